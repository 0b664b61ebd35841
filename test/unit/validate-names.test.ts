/**
 * Host names instead of addresses (issue 16). HAProxy and keepalived resolve the names they read themselves, so
 * lbctl writes those as they are; where lbctl needs the address (a director, a host it connects to, an LVS real
 * server) it resolves the name when it validates — through a resolver it is given: a table here, never DNS.
 */
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {InventoryError, loadInventoryText, problemText, type Loaded} from '../../src/inventory/index.js'
import {systemResolver, tableResolver, type Resolver} from '../../src/inventory/names.js'
import {renderHost} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'

const DNS = {'lb1.example.com': '10.0.0.11', 'lb2.example.com': '10.0.0.12', 'web1.example.com': '10.0.0.21', 'probe.example.com': '10.0.0.5'}

/** A resolver that answers from DNS above and remembers what it was asked. */
function recording(): Resolver & {asked: string[]} {
  const asked: string[] = []
  const table = tableResolver(DNS)
  return Object.assign((name: string) => (asked.push(name), table(name)), {asked})
}

const T1 = (directors: string, realServers: string, more = '') => `name: shop
directors:
${directors}
real_servers:
${realServers}
vrrp_instances:
  VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24], unicast: true}
haproxy:
  frontends:
    web: {bind: ":80", default_backend: web}
  backends:
    web: {servers: [web1, web2]}
${more}`

const NAMED = T1(
  '  lb1: {address: lb1.example.com, priority: 101}\n  lb2: {address: 10.0.0.12, priority: 100}',
  '  web1: {address: host1}\n  web2: {address: host2, port: 8080}',
)

function load(yaml: string, resolver: Resolver = tableResolver(DNS)): Loaded {
  return loadInventoryText(yaml, 'shop.yaml', {env: {}, resolver})
}

function problems(yaml: string, resolver: Resolver = tableResolver(DNS)): string {
  try {
    load(yaml, resolver)
  } catch (e) {
    assert.ok(e instanceof InventoryError, String(e))
    return e.problems.map(problemText).join('\n')
  }
  assert.fail('the inventory loaded')
}

describe('a director written with a host name', () => {
  it('is resolved when lbctl validates, and validate says to what, at the line it is written', () => {
    const {cluster, resolved} = load(NAMED)
    assert.equal(cluster.directors[0]!.address, '10.0.0.11')
    assert.deepEqual(resolved.map(problemText), ['shop.yaml:3:18: directors.lb1.address: lb1.example.com resolves to 10.0.0.11 here: lbctl uses that address'])
  })

  it('puts the address into keepalived.conf, where keepalived needs one (unicast peers)', () => {
    const {cluster} = load(NAMED)
    const onLb2 = renderHost(cluster, 'lb2').find((f) => f.path === PATHS.keepalivedConf)!.content
    assert.match(onLb2, /unicast_src_ip 10\.0\.0\.12\n {4}unicast_peer \{\n {8}10\.0\.0\.11\n {4}\}/)
  })

  it('is what SSH connects to, as `ssh lb1.example.com` would: known_hosts and ~/.ssh/config match the name', () => {
    assert.equal(load(NAMED).cluster.directors[0]!.ssh.host, 'lb1.example.com')
  })

  it('that does not resolve is a problem at its line, and the only one: no subnet check guesses at it', () => {
    assert.equal(
      problems(NAMED.replace('lb1.example.com', 'lb9.example.com')),
      `shop.yaml:3:18: directors.lb1.address: lb9.example.com does not resolve to an IPv4 address here, and lbctl needs lb1's address: the VRRP and VIP checks and keepalived.conf use it, and deploy connects to it over SSH
    fix: check the name (getent ahostsv4 lb9.example.com), or write the address`,
    )
  })
})

describe('a real server written with a host name', () => {
  it('is HAProxy\'s to resolve when only HAProxy sends it traffic: written as it is (seed 000: host1:80), never looked up', () => {
    const resolver = recording()
    const {cluster, resolved} = load(NAMED, resolver)
    const cfg = renderHost(cluster, 'lb1').find((f) => f.path === PATHS.haproxyCfg)!.content
    assert.match(cfg, /\n {4}server web1 host1:80 weight 1 check\n {4}server web2 host2:8080 weight 1 check\n/)
    assert.deepEqual(resolver.asked, ['lb1.example.com'])
    assert.equal(resolved.length, 1)
  })

  it('is resolved when it is in an LVS virtual service: keepalived real_server and ipvsadm take addresses only', () => {
    const yaml = `name: dr
directors:
  lb1: {address: 10.0.0.11}
real_servers:
  web1: {address: web1.example.com}
vrrp_instances:
  VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24]}
virtual_servers:
  web: {vip: 10.0.0.100, port: 80, real_servers: [web1]}
`
    const {cluster} = load(yaml)
    const files = renderHost(cluster, 'lb1')
    assert.match(files.find((f) => f.path === PATHS.keepalivedConf)!.content, /real_server 10\.0\.0\.21 80 \{/)
    assert.match(files.find((f) => f.path === PATHS.ipvsadmRules)!.content, /-a -t 10\.0\.0\.100:80 -r 10\.0\.0\.21:80 -g -w 1/)
    assert.equal(
      problems(yaml.replace('web1.example.com', 'web7.example.com')),
      `shop.yaml:5:19: real_servers.web1.address: web7.example.com does not resolve to an IPv4 address here, and lbctl needs web1's address: LVS forwards to addresses only (keepalived real_server, ipvsadm)
    fix: check the name (getent ahostsv4 web7.example.com), or write the address`,
    )
  })

  it('is resolved when lbctl manages it over SSH', () => {
    const yaml = NAMED.replace('web1: {address: host1}', 'web1: {address: web9.example.com, manage: true}')
    assert.match(problems(yaml), /^shop\.yaml:6:19: real_servers\.web1\.address: web9\.example\.com does not resolve to an IPv4 address here, and lbctl needs web1's address: deploy configures it over SSH\n/)
  })
})

it('a client written with a host name is resolved: failover-test connects to it', () => {
  const {cluster} = load(`${NAMED}clients:\n  probe: {address: probe.example.com}\n`)
  assert.equal(cluster.clients[0]!.address, '10.0.0.5')
})

it('the SMTP relay may be a host name: keepalived resolves it when it loads its config (seed 002: smtp.abc.com)', () => {
  const {cluster} = load(`${NAMED}notifications:\n  email: {to: [a@abc.com], smtp_server: smtp.abc.com}\n`)
  assert.match(renderHost(cluster, 'lb1').find((f) => f.path === PATHS.keepalivedConf)!.content, /\n {4}smtp_server smtp\.abc\.com\n/)
})

it('what is neither an address nor a name is refused at its line, saying which it looks like', () => {
  assert.equal(
    problems(NAMED.replace('host1', '10.0.0.256').replace('host2', 'web_2')),
    `shop.yaml:6:19: real_servers.web1.address: is not an IPv4 address (got "10.0.0.256")
    fix: write it like 10.0.0.11
shop.yaml:7:19: real_servers.web2.address: is neither an IPv4 address nor a host name (got "web_2")
    fix: write it like 10.0.0.11 or web1.example.com: letters, digits, "-" and dots`,
  )
})

it('the system resolver answers from /etc/hosts like the daemons do (no DNS asked: localhost is in the file)', () => {
  assert.equal(systemResolver()('localhost'), '127.0.0.1')
})
