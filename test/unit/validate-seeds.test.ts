/**
 * Issue 11, "real seed setups wrongly refused": the five seed articles' own setups validate, render as they wrote
 * them, and pass the daemons' checks. And "every problem at once" holds across schema and cluster errors.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it, test} from 'node:test'
import {loadInventory, type Cluster} from '../../src/inventory/index.js'
import {renderCluster, renderHost} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'
import {haproxyCheck, keepalivedCheck, prerequisites} from '../helpers/daemons.js'
import {load, SHOP_VIP, shopHaproxy} from '../helpers/shop.js'
import {problemsOf, ROOT} from './validate-helpers.js'

const ENV = {LBCTL_TEST_STATS_PASS: 'St4ts pw'}
const SEEDS = ['seed000-haproxy', 'seed001-lvs-dr', 'seed002-haproxy-l7', 'seed002-keepalived', 'seed003-local-apps', 'seed004-director-web']
const seed = (name: string): Cluster => loadInventory(`test/fixtures/valid/${name}.yaml`, {cwd: ROOT, env: ENV}).cluster
const content = (cluster: Cluster, host: string, path: string) => renderHost(cluster, host).find((f) => f.path === path)!.content

test('seed 000: backends by host name, web1 with its own check timing, the pidfile handed to haproxy.service (issue 16)', () => {
  const cluster = seed('seed000-haproxy')
  assert.ok(content(cluster, 'master', PATHS.haproxyCfg).includes('    server web1 host1:80 weight 1 check inter 3s rise 1 fall 2\n    server web2 host2:80 weight 1 check\n'))
  assert.match(content(cluster, 'master', PATHS.haproxyPidfileDropIn), /\nEnvironment=PIDFILE=\/var\/run\/haproxy\.pid\n$/)
})

test('seed 002\'s keepalived reference: sync group notify scripts and smtp_alert, smtp.abc.com, dont_track_primary, mcast_src_ip (issue 16)', () => {
  const conf = content(seed('seed002-keepalived'), 'host164', PATHS.keepalivedConf)
  assert.ok(conf.includes('    smtp_server smtp.abc.com\n'), conf)
  assert.ok(conf.includes('    }\n    smtp_alert\n    notify_master "/path/to_master.sh"\n    notify_backup "/path/to_backup.sh"\n    notify_fault "/path/fault.sh VG_1"\n    notify "/path/notify.sh"\n}\n'), conf)
  assert.ok(conf.includes('    use_vmac\n    dont_track_primary\n'), conf)
  assert.ok(conf.includes('    mcast_src_ip 10.210.214.164\n'), conf)
})

test('seed 001: root@localhost as the mail address, notify hooks with an argument, LVS-DR real servers across a /16', () => {
  const conf = content(seed('seed001-lvs-dr'), 'lvs-master', PATHS.keepalivedConf)
  assert.ok(conf.includes('    notification_email {\n        root@localhost\n    }\n'), conf)
  assert.ok(conf.includes('    notify_master "/etc/keepalived/notify.sh master"\n    notify_backup "/etc/keepalived/notify.sh backup"\n    notify_fault "/etc/keepalived/notify.sh fault"\n'), conf)
  assert.ok(conf.includes('    real_server 172.17.22.22 80 {\n        weight 2\n'), conf)
})

test('seed 002: three services on each of two hosts, one port each (192.168.8.111:8080-8082)', () => {
  const cfg = content(seed('seed002-haproxy-l7'), 'ha1', PATHS.haproxyCfg)
  for (const [backend, port] of [['ms1', 8080], ['ms2', 8081], ['default_servers', 8082]] as const) {
    const prefix = backend === 'default_servers' ? 'def' : backend
    assert.ok(cfg.includes(`\nbackend ${backend}\n`), cfg)
    assert.ok(cfg.includes(`    server ${prefix}.srv1 192.168.8.111:${port} weight 1 check cookie ${prefix}.srv1 maxconn 300\n    server ${prefix}.srv2 192.168.8.112:${port} weight 1 check cookie ${prefix}.srv2 maxconn 300\n`), cfg)
  }
})

test('seed 003: the application\'s four workers on 127.0.0.1:5001-5004', () => {
  const cfg = content(seed('seed003-local-apps'), 'node1', PATHS.haproxyCfg)
  assert.ok(cfg.includes([1, 2, 3, 4].map((i) => `    server app${i} 127.0.0.1:500${i} weight 1 check\n`).join('')), cfg)
})

test('seed 004: a director\'s own web server on 8080 behind HAProxy on :80', () => {
  const cfg = content(seed('seed004-director-web'), 'master', PATHS.haproxyCfg)
  assert.ok(cfg.includes('    server web2 192.168.207.130:8080 weight 5 check\n    server web3 192.168.207.131:8080 weight 5 check\n'), cfg)
})

test('the fix "listed twice" suggests is accepted: a real server of its own, same address, another port', () => {
  const head = SHOP_VIP.replace('web1: {address: 10.0.0.21}', 'web1: {address: 10.0.0.21, port: 8080}')
  assert.throws(() => load(`${head}${shopHaproxy('[web1, web1]')}`), /define a real server of its own with the same address and that port \(e\.g\. web1_2: \{address: 10\.0\.0\.21, port: 8081\}\)/)
  const fixed = load(`${head.replace('real_servers:\n', 'real_servers:\n  web1_2: {address: 10.0.0.21, port: 8081}\n')}${shopHaproxy('[web1, web1_2]')}`)
  assert.match(content(fixed, 'lb1', PATHS.haproxyCfg), /server web1 10\.0\.0\.21:8080 weight 1 check\n {4}server web1_2 10\.0\.0\.21:8081 weight 1 check\n/)
})

test('a schema error (a mail address) no longer hides the cluster checks: one run reports both', () => {
  assert.equal(
    problemsOf('57-schema-and-cluster.yaml'),
    `test/fixtures/broken/57-schema-and-cluster.yaml:7:16: notifications.email.to[0]: is not an email address (got "ops-at-example.com")
    fix: write it like ops@example.com
test/fixtures/broken/57-schema-and-cluster.yaml:7:43: notifications.email.from: is not an email address (got "keepalived@")
    fix: write it like ops@example.com
test/fixtures/broken/57-schema-and-cluster.yaml:10:29: vrrp_instances.VI_2.virtual_router_id: 51 is also the VRID of vrrp_instances.VI_1, and both run on lb1's eth0: VRRP tells routers on a segment apart only by VRID, so each would take the other's adverts as its own
    fix: use a VRID no other instance on that segment uses, e.g. 52`,
  )
})

test("a real server on a director's own address: never for LVS, never on a port HAProxy binds there; one service listed as two real servers", () => {
  assert.equal(
    problemsOf('58-director-own-host.yaml'),
    `test/fixtures/broken/58-director-own-host.yaml:7:21: real_servers.on_lb1.address: 10.0.0.11 is the address of director lb1: LVS cannot balance to the director that runs it (the packets never leave the host)
    fix: serve it from its own host, or through HAProxy (a backend may point at the director's own web server on another port)
test/fixtures/broken/58-director-own-host.yaml:8:21: real_servers.on_lb2.address: on_lb2 would listen on 10.0.0.12:80, which HAProxy binds on that director (:80): the two cannot share the port
    fix: run on_lb2 on another port (real_servers.on_lb2.port)
test/fixtures/broken/58-director-own-host.yaml:10:25: real_servers.app1_again.address: 10.0.0.31:8080 is also real server app1 (real_servers.app1.address): the same service twice
    fix: use app1, or give app1_again the port its service really listens on`,
  )
})

test("LVS-DR with a VIP written without prefix: the segment comes from the directors' addresses (at least /24), and network: can widen it", () => {
  assert.equal(
    problemsOf('59-dr-segment-unknown.yaml'),
    `test/fixtures/broken/59-dr-segment-unknown.yaml:12:57: virtual_servers.web.real_servers[1]: far (10.0.5.20) is not on the directors' segment 10.0.0.0/24 (from the directors' addresses and the VIP 10.0.0.100, which has no prefix): LVS-DR only rewrites the destination MAC, so a real server must be on the same L2 segment as the directors; if the segment is larger, say so with vrrp_instances.VI_1.network (e.g. 10.0.0.0/16), which leaves the VIP as written
    fix: move far onto 10.0.0.0/24, or use forwarding: TUN (IP-in-IP) or NAT for web`,
  )
})

test('network: states the segment without changing how the VIP is added', () => {
  const text = readFileSync(join(ROOT, 'test/fixtures/broken/59-dr-segment-unknown.yaml'), 'utf8').replace('vips: [10.0.0.100]}', 'vips: [10.0.0.100], network: 10.0.0.0/16}')
  const cluster = load(text)
  assert.match(content(cluster, 'lb1', PATHS.keepalivedConf), /virtual_ipaddress \{\n {8}10\.0\.0\.100\/32\n {4}\}/)
})

describe('the seeds\' setups pass keepalived -t and haproxy -c', () => {
  for (const name of SEEDS) {
    it(name, {skip: prerequisites('keepalived') ?? prerequisites('haproxy') ?? false}, async () => {
      for (const {host, files} of renderCluster(seed(name))) {
        for (const f of files) {
          const scripts = files.filter((x) => x.kind === 'script' && x.path.startsWith('/etc/keepalived/'))
          const r = f.validate === 'keepalived' ? await keepalivedCheck(f.content, {files: scripts}) : f.validate === 'haproxy' ? await haproxyCheck(f.content) : undefined
          if (r) assert.ok(r.ok && !/\[WARNING\]/.test(r.output), `${name} ${host} ${f.path}:\n${r.output}`)
        }
      }
    })
  }
})
