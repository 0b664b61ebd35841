import assert from 'node:assert/strict'
import {test} from 'node:test'
import {problemsOf} from './validate-helpers.js'

// Issue 11, "mistakes that go unnoticed": every daemon accepts these, and the cluster does not work. And the
// commands keepalived runs, which it runs without a shell.

test("VIPs outside their interface's subnet or segment, a broadcast address, VRRP's own multicast group, loopback", () => {
  assert.equal(
    problemsOf('55-vip-addresses.yaml'),
    `test/fixtures/broken/55-vip-addresses.yaml:9:12: vrrp_instances.VI_1.vips[0]: 10.0.1.100/24 is not on the subnet of eth0, where it is added: lb1's own address there, 10.0.0.11, is outside 10.0.1.0/24, so clients on that segment would not reach the VIP
    fix: use a VIP inside lb1's subnet (with its real prefix), or put it on the interface of its own subnet with dev:
test/fixtures/broken/55-vip-addresses.yaml:9:27: vrrp_instances.VI_1.vips[1]: 10.0.0.255/24 is the broadcast address of 10.0.0.0/24: clients would broadcast to every host on the segment, not the VIP
    fix: use a host address inside 10.0.0.0/24
test/fixtures/broken/55-vip-addresses.yaml:9:42: vrrp_instances.VI_1.vips[2]: 224.0.0.18 is a multicast address (VRRP's own group: the adverts themselves go there): clients cannot open a connection to it, and the directors would join the group instead of answering ARP
    fix: use a free unicast address on the directors' segment
test/fixtures/broken/55-vip-addresses.yaml:9:54: vrrp_instances.VI_1.vips[3]: 127.0.0.2 is a loopback address: it never leaves the director that holds it
    fix: use a free unicast address on the directors' segment
test/fixtures/broken/55-vip-addresses.yaml:14:12: vrrp_instances.VI_2.vips[0]: 192.168.20.5 is outside VI_2's segment 192.168.10.0/24 (vrrp_instances.VI_2.network): clients on the segment would not reach it
    fix: use an address inside 192.168.10.0/24, or correct network`,
  )
})

test('HTTP_GET against port 443, written or by default', () => {
  assert.equal(
    problemsOf('56-http-get-https.yaml'),
    `test/fixtures/broken/56-http-get-https.yaml:14:26: virtual_servers.https.health_check.type: is HTTP_GET, but on port 443: HTTP_GET speaks plain HTTP, so against HTTPS every check fails and keepalived takes every real server out
    fix: use type: SSL_GET for an HTTPS port (or TCP_CHECK to only test that it accepts connections)
test/fixtures/broken/56-http-get-https.yaml:15:3: virtual_servers.default_check: has no health_check, so keepalived checks it with HTTP_GET, but on port 443: HTTP_GET speaks plain HTTP, so against HTTPS every check fails and keepalived takes every real server out
    fix: use health_check: {type: SSL_GET} for an HTTPS port (or TCP_CHECK to only test that it accepts connections)`,
  )
})

test('commands keepalived runs without a shell: a double quote, shell syntax, an unclosed quote, a relative notify hook', () => {
  assert.equal(
    problemsOf('53-keepalived-commands.yaml'),
    `test/fixtures/broken/53-keepalived-commands.yaml:9:23: vrrp_scripts.chk_quote.script: contains a double quote ("): lbctl writes the command inside double quotes, and keepalived's config has no escape for one there
    fix: group an argument with single quotes instead, like /usr/bin/test -e '/run/my file'
test/fixtures/broken/53-keepalived-commands.yaml:10:22: vrrp_scripts.chk_down.script: is shell syntax ("[["), but keepalived runs the command without a shell: there is no program "[[" to run, so it would always fail
    fix: use down_file: /etc/keepalived/down (unhealthy while that file exists) instead of script
test/fixtures/broken/53-keepalived-commands.yaml:11:22: vrrp_scripts.chk_pipe.script: is shell syntax ("|"), but keepalived runs the command without a shell: "|" would reach /usr/bin/pgrep as a plain argument, so it would always fail
    fix: put the check in a script file (e.g. /etc/keepalived/check.sh) and give its path, or run it through a shell explicitly: /bin/sh -c '…'
test/fixtures/broken/53-keepalived-commands.yaml:12:22: vrrp_scripts.chk_open.script: has a single quote that is never closed
    fix: close it: keepalived would refuse the command ("missing terminating '")
test/fixtures/broken/53-keepalived-commands.yaml:18:22: vrrp_instances.VI_1.notify.master: starts with "notify.sh", not an absolute path: keepalived would look it up in its own PATH (not a login shell's), so which file runs is left to chance
    fix: write the full path, like /usr/local/bin/notify.sh
test/fixtures/broken/53-keepalived-commands.yaml:24:49: virtual_servers.web.health_check.misc_path: contains a double quote ("): lbctl writes the command inside double quotes, and keepalived's config has no escape for one there
    fix: group an argument with single quotes instead, like /usr/bin/test -e '/run/my file'`,
  )
})

