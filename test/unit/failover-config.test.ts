/**
 * failover-test from configuration alone: the scenarios file (schema, file:line problems, selection), the probe
 * targets and fault targets an inventory gives, its bounds, and the pieces of remote plumbing that are pure (env
 * export, marks, sample and probe-line parsing, the lab marker).
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {backupPriority, downFileOf, returnS, trackedScripts} from '../../src/failover/bounds.js'
import {healthProblems, holderDifferences, parseState} from '../../src/failover/health.js'
import {parseProbeLine, targetSpec} from '../../src/failover/remote-probe.js'
import {loadScenarios, selectScenarios} from '../../src/failover/scenarios.js'
import {parseMarks, withEnv} from '../../src/failover/steps.js'
import {faultTarget, pickInstance, probeTargets} from '../../src/failover/targets.js'
import {InventoryError, loadInventoryText} from '../../src/inventory/index.js'
import {raw} from '../../src/shell/index.js'

const T1 = `name: unit
directors:
  lb1: { address: 10.0.0.11, priority: 101 }
  lb2: { address: 10.0.0.12, priority: 100 }
real_servers:
  web1: { address: 10.0.0.21, port: 8080 }
  web2: { address: 10.0.0.22, port: 8080 }
clients:
  client: { address: 10.0.0.5 }
vrrp_scripts:
  chk_haproxy: { process: haproxy, interval: 1, weight: -20, fall: 2, rise: 1 }
  chk_maintenance: { down_file: /etc/keepalived/down, interval: 1, fall: 1, weight: -50 }
vrrp_instances:
  VI_1:
    virtual_router_id: 51
    vips: [10.0.0.100/24]
    auth_pass: pass1234
    track_scripts: [chk_haproxy, chk_maintenance]
haproxy:
  frontends:
    web: { bind: [":80", {port: 443, ssl: {crt: /etc/haproxy/site.pem}}], default_backend: web }
    db: { bind: "10.0.0.100:3306", mode: tcp, default_backend: db }
    other: { bind: "10.0.0.99:81", default_backend: web }
  backends:
    web: { servers: [web1, web2], httpchk: { path: /health }, check: { inter: 500ms, fall: 2 } }
    db: { mode: tcp, servers: [{name: web2, port: 3306}] }
  stats: { bind: ":8404" }
`
const cluster = loadInventoryText(T1, 'unit.yaml', {env: {}}).cluster
const inst = pickInstance(cluster)

describe('the scenarios file', () => {
  test('lbctl\'s own file loads; the default set leaves out iface-down', () => {
    const {scenarios} = loadScenarios()
    assert.deepEqual(scenarios.map((s) => s.name), ['haproxy-kill', 'keepalived-stop', 'keepalived-kill', 'iface-down', 'realserver-down', 'maintenance'])
    assert.deepEqual(selectScenarios(scenarios, undefined).map((s) => s.name), ['haproxy-kill', 'keepalived-stop', 'keepalived-kill', 'realserver-down', 'maintenance'])
    assert.deepEqual(selectScenarios(scenarios, ['iface-down', 'maintenance']).map((s) => s.name), ['iface-down', 'maintenance'])
    assert.throws(() => selectScenarios(scenarios, ['nope']), /unknown scenario "nope" \(scenarios: haproxy-kill, /)
  })

  test('every command step of lbctl\'s own scenarios is valid POSIX sh', () => {
    for (const s of loadScenarios().scenarios) {
      for (const t of [...s.fault, ...s.restore].filter((x) => x.module === 'command')) {
        execFileSync('sh', ['-n', '-c', String((t.args as {cmd: string}).cmd)])
      }
    }
  })

  test('problems come with file:line:column, bad module args included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-scen-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(file, `name: bad
scenarios:
  one:
    description: x
    target: vip_holder
    expect: vip_flies
    bound: skew
    fault:
      - {name: stop, module: service, args: {name: keepalived, state: gone}}
    restore:
      - {name: start, module: nosuch}
`)
    let problems: {line: number; column: number; path: string; message: string}[] = []
    try {
      loadScenarios(file)
    } catch (e) {
      assert.ok(e instanceof InventoryError)
      problems = e.problems
    }
    assert.equal(problems.length, 1, 'the schema error is reported first')
    assert.deepEqual([problems[0].line, problems[0].path], [6, 'scenarios.one.expect'])
    writeFileSync(file, readFix(file))
    try {
      loadScenarios(file)
      assert.fail('should not load')
    } catch (e) {
      const ps = (e as InventoryError).problems
      assert.deepEqual(ps.map((p) => [p.line, p.path]), [[9, 'scenarios.one.fault[0].args.state'], [11, 'scenarios.one.restore[0].module']])
      assert.match(ps[1].message, /unknown module "nosuch"/)
    }
  })
})

function readFix(file: string): string {
  return readFileSync(file, 'utf8').replace('vip_flies', 'vip_moves')
}

describe('targets and bounds from the inventory', () => {
  test('probes: every VIP service, https for ssl binds, tcp in tcp mode; binds on other addresses and stats left out', () => {
    assert.deepEqual(probeTargets(cluster).map((t) => [t.name, t.kind, targetSpec(t)]), [
      ['web 10.0.0.100:80', 'http', 'http,10.0.0.100,80'],
      // From a --from client, HTTPS is a TCP connect: perl has no TLS without IO::Socket::SSL.
      ['web 10.0.0.100:443', 'https', 'tcp,10.0.0.100,443'],
      ['db 10.0.0.100:3306', 'tcp', 'tcp,10.0.0.100,3306'],
    ])
  })

  test('fault targets: the VIP holder, the backup, the first real server behind a service, or a named host', () => {
    const one = {'10.0.0.100': ['lb2']}
    assert.equal((faultTarget(cluster, inst, 'vip_holder', one) as {name: string}).name, 'lb2')
    assert.equal((faultTarget(cluster, inst, 'vip_backup', one) as {name: string}).name, 'lb1')
    assert.equal((faultTarget(cluster, inst, 'real_server', one) as {name: string}).name, 'web1')
    assert.equal((faultTarget(cluster, inst, 'web2', one) as {name: string}).name, 'web2')
    assert.equal((faultTarget(cluster, inst, 'vip_holder', {'10.0.0.100': ['lb1', 'lb2']}) as {name: string}).name, 'lb1', 'split brain: the intended master')
    assert.equal(faultTarget(cluster, inst, 'vip_holder', {'10.0.0.100': []}), '10.0.0.100 is held by no director')
    assert.match(String(faultTarget(cluster, inst, 'nohost', one)), /no host "nohost"/)
  })

  test('bounds use the backup\'s priority and the tracked script the scenario trips', () => {
    assert.equal(backupPriority(cluster, inst, 'lb1'), 100)
    assert.equal(backupPriority(cluster, inst, 'lb2'), 101)
    assert.deepEqual(trackedScripts(cluster, inst, 'haproxy').map((s) => s.name), ['chk_haproxy'])
    assert.deepEqual(trackedScripts(cluster, inst, 'down_file').map((s) => s.name), ['chk_maintenance'])
    assert.equal(downFileOf(trackedScripts(cluster, inst, 'down_file')[0]), '/etc/keepalived/down')
    assert.equal(returnS(cluster, inst, trackedScripts(cluster, inst, 'haproxy')), 1 + 3 + (256 - 101) / 256)
  })
})

describe('remote plumbing', () => {
  test('scenario data reaches a step as exported variables, each value quoted', () => {
    const c = withEnv({LBCTL_TARGET: 'lb1', LBCTL_VIPS: "10.0.0.100 10.0.0.101'"}, raw`touch "$LBCTL_DOWN_FILE"`)
    assert.equal(c.text, `export LBCTL_TARGET=lb1 'LBCTL_VIPS=10.0.0.100 10.0.0.101'\\'''; touch "$LBCTL_DOWN_FILE"`)
    const shown = execFileSync('sh', ['-c', withEnv({LBCTL_VIPS: "a b'; rm -rf /tmp/x"}, raw`printf %s "$LBCTL_VIPS"`).text], {encoding: 'utf8'})
    assert.equal(shown, "a b'; rm -rf /tmp/x")
  })

  test('marks and a director\'s state are parsed from command output', () => {
    assert.deepEqual(parseMarks('x\nlbctl-mark fault 1795255000.123456789\nlbctl-mark restore 1795255007\n'), {fault: 1795255000123.4568, restore: 1795255007000})
    const out = '2: eth0    inet 10.0.0.11/24 scope global eth0\n2: eth0    inet 10.0.0.100/24 scope global secondary eth0\n'
    const st = parseState('lb1', `${out}lbctl-keepalived=94\nlbctl-haproxy=87\n`)
    assert.deepEqual([st.keepalived, st.haproxy, st.addresses], ['94', '87', ['10.0.0.11', '10.0.0.100']])
    const state = {directors: [st, {...parseState('lb2', 'lbctl-keepalived=5\n'), haproxy: undefined}], holders: {'10.0.0.100': ['lb1', 'lb2']}}
    assert.deepEqual(healthProblems(cluster, state), ['haproxy is not running on lb2', '10.0.0.100 is held by lb1 and lb2 (split brain)'])
    assert.deepEqual(holderDifferences({'10.0.0.100': ['lb1']}, {'10.0.0.100': ['lb2']}), ['10.0.0.100 is on lb2, expected lb1'])
  })

  test('a client\'s probe lines land on the controller\'s time line, judged as the controller\'s own probes', () => {
    const targets = probeTargets(cluster)
    const toRun = (ms: number) => ms - 1795255000000
    const lines = ['P 0 1795255000.000000 4.000 1 200', 'P 0 1795255000.020000 800.100 0 timeout', 'P 0 1795255000.030000 2.500 1 503', 'P 2 1795255000.040000 1.200 1 connected', 'P 1 1795255000.060000 0.300 0 ECONNREFUSED', 'garbage', 'P 9 1795255000.0 1 1 200']
    const r = lines.map((l) => parseProbeLine(l, targets, toRun)).filter((p) => p !== undefined)
    assert.deepEqual(r.map((p) => [p.target, Math.round(p.start), p.latency, p.ok, p.detail]), [
      ['web 10.0.0.100:80', 0, 4, true, '200'],
      ['web 10.0.0.100:80', 20, 800.1, false, 'timeout'],
      ['web 10.0.0.100:80', 30, 2.5, false, '503'],
      ['db 10.0.0.100:3306', 40, 1.2, true, 'connected'],
      ['web 10.0.0.100:443', 60, 0.3, false, 'ECONNREFUSED'],
    ])
  })
})
