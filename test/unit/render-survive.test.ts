/**
 * What lets client state survive a director failover, rendered and checked by the daemons themselves:
 * keepalived's lvs_sync_daemon (the backup keeps a copy of the IPVS connection table) and HAProxy's peers section with
 * stick tables replicated between the directors (each director naming itself with localpeer).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {InventoryError, formatProblem} from '../../src/inventory/index.js'
import {renderHost} from '../../src/render/index.js'
import {haproxyCheck, keepalivedCheck, prerequisites} from '../helpers/daemons.js'
import {SHOP_VIP, load} from '../helpers/shop.js'

const LVS = `${SHOP_VIP}virtual_servers:
  web: {vip: 10.0.0.100, port: 80, forwarding: DR, real_servers: [web1], health_check: {type: TCP_CHECK}}
`
const file = (host: string, path: string, yaml: string) => renderHost(load(yaml), host).find((f) => f.path === path)!.content
const problems = (yaml: string) => {
  try {
    load(yaml)
    return ''
  } catch (e) {
    return (e as InventoryError).problems.map(formatProblem).join('\n')
  }
}

describe('LVS connection sync', () => {
  test('lvs_sync: true renders lvs_sync_daemon on the instance\'s interface, keepalived -t accepts it', {skip: prerequisites('keepalived') ?? false}, async () => {
    const yaml = `${LVS}keepalived:\n  lvs_sync: true\n`
    const conf = file('lb1', '/etc/keepalived/keepalived.conf', yaml)
    assert.match(conf, /^ {4}lvs_sync_daemon eth0 VI_1\n/m)
    const r = await keepalivedCheck(conf)
    assert.ok(r.ok, r.output)
    assert.match(file('lb1', '/etc/keepalived/keepalived.conf', `${LVS}keepalived:\n  lvs_sync: {id: 7}\n`), /^ {4}lvs_sync_daemon eth0 VI_1 id 7$/m)
  })

  test('with lvs_sync each director syncs a connection on its first established packet and resends (IPVS sysctls, reapplied at boot)', async () => {
    const yaml = `${LVS}keepalived:\n  lvs_sync: true\n`
    const sysctl = file('lb1', '/etc/sysctl.d/90-lbctl.conf', yaml)
    assert.match(sysctl, /^net\.ipv4\.vs\.sync_refresh_period = 10\nnet\.ipv4\.vs\.sync_retries = 3\nnet\.ipv4\.vs\.sync_threshold = 3 0$/m)
    const tuning = file('lb1', '/etc/lbctl/tuning.sh', yaml)
    assert.match(tuning, /^if modprobe ip_vs && sysctl -q -p \/etc\/sysctl\.d\/90-lbctl\.conf; then$/m)
    // The inventory's own value wins; without lvs_sync, none of them.
    const own = file('lb1', '/etc/sysctl.d/90-lbctl.conf', `${LVS.replace('  lb1: {address', '  lb1: {tuning: {sysctls: {net.ipv4.vs.sync_retries: 1}}, address')}keepalived:\n  lvs_sync: true\n`)
    assert.match(own, /^net\.ipv4\.vs\.sync_retries = 1$/m)
    assert.doesNotMatch(renderHost(load(LVS), 'lb1').map((f) => f.content).join('\n'), /net\.ipv4\.vs\./)
  })

  test('refused: no LVS to sync, an unknown instance, an interface the instance does not run on', () => {
    assert.match(problems(`${SHOP_VIP}keepalived:\n  lvs_sync: true\n`), /keepalived\.lvs_sync: syncs LVS connections, but the cluster has no virtual_servers/)
    assert.match(problems(`${LVS}keepalived:\n  lvs_sync: {instance: VI_9}\n`), /keepalived\.lvs_sync\.instance: names VRRP instance "VI_9", which is not defined/)
    assert.match(problems(`${LVS}keepalived:\n  lvs_sync: {interface: eth7}\n`), /keepalived\.lvs_sync\.interface: eth7 is not an interface VI_1 runs on \(eth0\)/)
  })
})

describe('HAProxy peers and stick tables', () => {
  const yaml = `${SHOP_VIP}haproxy:
  peers: true
  frontends:
    web: {bind: ":80", default_backend: web}
  backends:
    web: {servers: [web1], stick_table: {expire: 10m}}
`
  test('a peers section of both directors, each naming itself; the stick table shared through it; haproxy -c accepts it', {skip: prerequisites('haproxy') ?? false}, async () => {
    for (const d of ['lb1', 'lb2']) {
      const cfg = file(d, '/etc/haproxy/haproxy.cfg', yaml)
      assert.match(cfg, new RegExp(`^ {4}localpeer ${d}$`, 'm'))
      assert.ok(cfg.includes('\npeers lbctl\n    peer lb1 10.0.0.11:10000\n    peer lb2 10.0.0.12:10000\n'), cfg)
      assert.ok(cfg.includes('    stick-table type ip size 100k expire 10m peers lbctl\n    stick on src\n'), cfg)
      const r = await haproxyCheck(cfg)
      assert.ok(r.ok, r.output)
    }
  })

  test('without peers a stick table stays local; the peers port may not be a bind\'s', () => {
    assert.ok(file('lb1', '/etc/haproxy/haproxy.cfg', yaml.replace('  peers: true\n', '')).includes('    stick-table type ip size 100k expire 10m\n    stick on src\n'))
    assert.match(problems(yaml.replace('  peers: true\n', '  peers: {port: 80}\n')), /haproxy\.peers: port 80 is also bound by frontend web: the peers would not get it/)
  })
})
