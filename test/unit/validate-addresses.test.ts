import assert from 'node:assert/strict'
import {test} from 'node:test'
import {problemsOf} from './validate-helpers.js'

// Addresses and LVS: VIPs against hosts and each other, DR segments and ports, NAT gateways.
// Each fixture under test/fixtures/broken/ is a small realistic inventory with one mistake (a few have several, to
// show that every problem is reported in one run). The expected text is exactly what `lbctl validate` prints.

test('a VIP equal to a director address', () => {
  assert.equal(
    problemsOf('13-vip-director-address.yaml'),
    `test/fixtures/broken/13-vip-director-address.yaml:6:40: vrrp_instances.VI_1.vips[0]: 10.0.0.11 is the address of director lb1: a VIP must be an address no host owns, or whichever director holds it would answer ARP for lb1
    fix: pick an unused address on the segment for the VIP`,
  )
})

test('a VIP equal to a real server address, written as a mapping', () => {
  assert.equal(
    problemsOf('14-vip-real-server-address.yaml'),
    `test/fixtures/broken/14-vip-real-server-address.yaml:13:19: vrrp_instances.VI_1.vips[1].address: 10.0.0.22 is the address of real server web2: a VIP must be an address no host owns, or whichever director holds it would answer ARP for web2
    fix: pick an unused address on the segment for the VIP`,
  )
})

test('host names and addresses are unique across directors, real servers and clients', () => {
  assert.equal(
    problemsOf('39-duplicate-hosts.yaml'),
    `test/fixtures/broken/39-duplicate-hosts.yaml:6:3: real_servers.lb1: "lb1" is also defined under directors: a host name must be unique across directors, real_servers and clients
    fix: rename one of them (groups and --limit refer to hosts by name)
test/fixtures/broken/39-duplicate-hosts.yaml:7:19: real_servers.web2.address: 10.0.0.12 is also the address of director lb2 (directors.lb2.address): each host needs its own address
    fix: correct the address, or remove the duplicate host (a director's own web server may be an HAProxy backend on another port)`,
  )
})

test('VIPs with two prefixes on one subnet; LVS and HAProxy on one port; a frontend routing nowhere', () => {
  assert.equal(
    problemsOf('45-lvs-and-haproxy-port.yaml'),
    `test/fixtures/broken/45-lvs-and-haproxy-port.yaml:8:55: vrrp_instances.VI_1.vips[1]: 10.0.0.101/16 is on the same subnet as 10.0.0.100/24 (vrrp_instances.VI_1.vips[0]) but with another prefix: the directors would get two routes for one segment, and one prefix is wrong
    fix: write every VIP on a segment with that segment's real prefix
test/fixtures/broken/45-lvs-and-haproxy-port.yaml:10:32: virtual_servers.web.port: 10.0.0.100:80 is also bound by haproxy.frontends.web (:80): IPVS takes the packets on the director before HAProxy sees them
    fix: serve each address and port with either LVS or HAProxy: change one of the two ports
test/fixtures/broken/45-lvs-and-haproxy-port.yaml:13:5: haproxy.frontends.web: routes nowhere: it has neither default_backend nor use_backends, so HAProxy would answer every request with 503
    fix: add default_backend: NAME (a backend under haproxy.backends)`,
  )
})

test('an LVS-DR real server off the directors segment', () => {
  assert.equal(
    problemsOf('15-dr-other-subnet.yaml'),
    `test/fixtures/broken/15-dr-other-subnet.yaml:16:26: virtual_servers.web.real_servers[1]: web2 (10.0.1.22) is not on the directors' segment 10.0.0.0/24 (from the VIP 10.0.0.100/24): LVS-DR only rewrites the destination MAC, so a real server must be on the same L2 segment as the directors
    fix: move web2 onto 10.0.0.0/24, or use forwarding: TUN (IP-in-IP) or NAT for web`,
  )
})

test('LVS-DR cannot remap ports', () => {
  assert.equal(
    problemsOf('16-dr-port-remap.yaml'),
    `test/fixtures/broken/16-dr-port-remap.yaml:14:20: virtual_servers.web.real_servers[0]: web1 is on port 8080 but the service is on port 80: LVS-DR only rewrites the destination MAC, so the packet reaches the real server still addressed to port 80 (it cannot remap ports)
    fix: set port: 80 for web1 here or under real_servers.web1, or use forwarding: NAT to remap ports
test/fixtures/broken/16-dr-port-remap.yaml:14:26: virtual_servers.web.real_servers[1]: web2 is on port 8443 but the service is on port 80: LVS-DR only rewrites the destination MAC, so the packet reaches the real server still addressed to port 80 (it cannot remap ports)
    fix: set port: 80 for web2 here or under real_servers.web2, or use forwarding: NAT to remap ports`,
  )
})

test('LVS-NAT real servers need the floating DIP as their gateway', () => {
  assert.equal(
    problemsOf('17-nat-no-gateway.yaml'),
    `test/fixtures/broken/17-nat-no-gateway.yaml:7:3: real_servers.web1: has no gateway, but serves virtual_servers.web over LVS-NAT: the replies must go back through the director holding the VIP, so its default route must be the floating DIP
    fix: add gateway: 192.168.10.1 (a VIP of vrrp_instances.VI_1) to real_servers.web1 or its group
test/fixtures/broken/17-nat-no-gateway.yaml:8:43: real_servers.web2.gateway: 192.168.10.254 is not a VIP of any VRRP instance, but web2 serves virtual_servers.web over LVS-NAT: replies must return through whichever director holds the VIP, so the gateway must be the floating DIP
    fix: set gateway to 192.168.10.1 (a VIP of vrrp_instances.VI_1)`,
  )
})

test('the DIP floats with the VIP and is on the real servers subnet', () => {
  assert.equal(
    problemsOf('44-nat-dip.yaml'),
    `test/fixtures/broken/44-nat-dip.yaml:7:27: groups.real_servers.gateway: the DIP 192.168.10.1 floats in vrrp_instances.VI_2 but the VIP 10.0.0.100 in vrrp_instances.VI_1: they can fail over separately, and replies would then reach a director that does not hold the VIP
    fix: put the DIP in vrrp_instances.VI_1 with the VIP, or both instances in one sync_group
test/fixtures/broken/44-nat-dip.yaml:7:27: groups.real_servers.gateway: the DIP 192.168.10.1 is on 192.168.10.0/24, not on web2's subnet (192.168.20.22): a default gateway must be directly reachable
    fix: use a DIP on web2's subnet as its gateway`,
  )
})

test('a virtual service on an address no instance holds', () => {
  assert.equal(
    problemsOf('33-vs-vip-not-a-vip.yaml'),
    `test/fixtures/broken/33-vs-vip-not-a-vip.yaml:11:10: virtual_servers.web.vip: 10.0.0.200 is not a VIP of any VRRP instance: the virtual service would listen on an address no director holds
    fix: use one of the VIPs: 10.0.0.100 (VI_1), or add it to an instance's vips`,
  )
})

