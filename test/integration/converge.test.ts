/**
 * Faults at exact moments of real runs on a lab, each followed by a plain re-run that must converge: the files,
 * the running daemons and the releases agree with the inventory on every director, and what HAProxy serves is
 * the inventory's servers. A client load runs through the VIP the whole time and must lose no request.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, beforeEach, describe, test} from 'node:test'
import {cutFromController, cutSessionsWhenCreated, fillDisk, killSessions, pausedCli, startLoad} from '../helpers/faults.js'
import {lbctl, upLab, waitFor, type TestLab} from '../helpers/lab.js'

const NAME = 'itconv'
const NET = '198.18.50'
const VIP = `${NET}.100`
const CONTROLLER = `${NET}.1`
const DIRECTORS = {lb1: `${NET}.11`, lb2: `${NET}.12`} as const

let lab: TestLab
let load: ReturnType<typeof startLoad> | undefined
const tally = {faults: 0, converged: 0, giveUpMs: [] as number[], exitMs: [] as number[]}
const inv: Record<'A' | 'B' | 'C' | 'rejected' | 'sysctl', string> = {A: '', B: '', C: '', rejected: '', sysctl: ''}
const serves = {A: ['web1', 'web2', 'web3'], B: ['web1', 'web2'], C: ['web1', 'web3'], sysctl: ['web1', 'web2', 'web3']}

interface JsonRun {
  outcome: string
  release: string
  failure?: {host: string; task: string; message: string}
  errors: string[]
  mixed_releases: {instance: string; directors: {name: string; release: string}[]}[]
  hosts: Record<string, {failed: boolean; tasks: {task: string; status: string; message?: string; duration_ms: number}[]}>
}

const json = (stdout: string) => JSON.parse(stdout) as JsonRun
const sh = async (host: string, command: string) => (await lab.sh(host, command)).stdout.trim()

async function deploy(inventory: string, ...flags: string[]): Promise<{code: number; run: JsonRun}> {
  const r = await lbctl(['deploy', inventory, '--json', ...flags])
  assert.ok(r.stdout.trim().startsWith('{'), `deploy printed no JSON (exit ${r.code}): ${r.stderr}`)
  return {code: r.code, run: json(r.stdout)}
}

/** Which real servers a director's HAProxy sends requests to (round robin: 24 requests reach every one). */
async function servedBy(address: string): Promise<string[]> {
  const out = await sh('client', `for i in $(seq 24); do curl -s -m 3 http://${address}/; echo; done | grep -o 'server=[a-z0-9]*' | sort -u`)
  return out.split('\n').filter(Boolean).map((l) => l.slice('server='.length))
}

/**
 * Converged: `deploy --check` finds nothing to do (no file, no pending reload, no daemon running an older
 * config, no release to record); every director is on one release with no journal and no lock; each director's
 * HAProxy serves exactly the inventory's servers.
 */
async function assertConverged(inventory: string, servers: string[]): Promise<string> {
  const {code, run} = await deploy(inventory, '--check')
  assert.equal(code, 0, JSON.stringify(run.errors))
  const pending = Object.entries(run.hosts).flatMap(([h, s]) => s.tasks.filter((t) => t.status === 'changed').map((t) => `${h}: ${t.task}: ${t.message}`))
  assert.deepEqual(pending, [], 'a re-run would still change something')
  const releases = new Set<string>()
  for (const d of Object.keys(DIRECTORS)) {
    releases.add(await sh(d, 'readlink /var/lib/lbctl/releases/current'))
    assert.equal(await sh(d, 'ls /var/lib/lbctl/journal /var/lib/lbctl/lock 2>/dev/null; ls /etc/haproxy /etc/keepalived | grep lbctl-new; true'), '', `${d}: journal, lock or staged file left`)
  }
  assert.equal(releases.size, 1, `directors on different releases: ${[...releases].join(', ')}`)
  // Polled: a real server's health check may flap on a busy machine; converged is where HAProxy settles.
  for (const [d, address] of Object.entries(DIRECTORS)) {
    let last: string[] = []
    await waitFor(`${d} to serve ${servers.join(', ')}`, 30_000, async () => ((last = await servedBy(address)).join() === servers.join() ? true : undefined)).catch(() => undefined)
    assert.deepEqual(last, servers, `${d} serves other servers than the inventory`)
  }
  tally.converged++
  return [...releases][0]
}

/** The plain re-run after a fault (with --break-lock where the README says so) succeeds and converges. */
async function reRunConverges(target: keyof typeof serves, ...flags: string[]): Promise<string> {
  const again = await deploy(inv[target], ...flags)
  assert.equal(again.code, 0, JSON.stringify(again.run.failure))
  return assertConverged(inv[target], serves[target])
}

/** What lb2's HAProxy serves right after a fault: proof that the fault left a renamed file not running. */
async function staleOn(d: keyof typeof DIRECTORS, servers: string[]): Promise<void> {
  assert.deepEqual(await servedBy(DIRECTORS[d]), servers, `${d} was expected to still run its old config`)
}

describe('converge after any fault', {concurrency: false}, () => {
  before(async () => {
    lab = await upLab(NAME, `${NET}.0/24`)
    const text = readFileSync(lab.inventory, 'utf8')
    const variant = (name: string, edit: (y: string) => string) => {
      const file = join(lab.inventoryDir, `${name}.yaml`)
      writeFileSync(file, edit(text))
      return file
    }
    inv.A = lab.inventory
    inv.B = variant('B', (y) => y.replace('servers: [web1, web2, web3]', 'servers: [web1, web2]'))
    inv.C = variant('C', (y) => y.replace('servers: [web1, web2, web3]', 'servers: [web1, web3]'))
    // keepalived -t rejects a track script that does not exist on the host; lbctl validate cannot know that.
    inv.rejected = variant('rejected', (y) =>
      y
        .replace('servers: [web1, web2, web3]', 'servers: [web2, web3]')
        .replace('vrrp_scripts:\n', 'vrrp_scripts:\n  chk_missing: { script: "/etc/keepalived/no-such-check.sh", interval: 1 }\n')
        .replace('track_scripts: [chk_haproxy, chk_maintenance]', 'track_scripts: [chk_haproxy, chk_maintenance, chk_missing]'),
    )
    inv.sysctl = variant('sysctl', (y) => y.replace('\ngroups:\n', '\ngroups:\n  directors:\n    tuning: { sysctls: { net.ipv4.tcp_fin_timeout: 17 } }\n'))
    const first = await deploy(inv.A)
    assert.equal(first.code, 0, JSON.stringify(first.run.errors))
    await assertConverged(inv.A, serves.A)
    load = startLoad(NAME, `http://${VIP}/`, 20)
  })
  beforeEach((t) => load?.mark(t.name))
  after(async () => {
    const r = await load?.stop()
    console.log(`faults injected: ${tally.faults}, converged after them: ${tally.converged - 1}, client requests: ${r?.sent} sent, ${r?.failed} failed (slowest answer ${r?.slowestMs} ms, the client's longest stall ${r?.longestStallMs} ms), gave up on a lost host after: ${tally.giveUpMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')} (exit after ${tally.exitMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')})`)
    await lab?.down()
  })

  for (const d of ['lb2', 'lb1'] as const) {
    test(`controller SIGKILLed between rename and reload on ${d}: a re-run (--break-lock) reloads and converges`, async () => {
      const target = d === 'lb2' ? ('B' as const) : ('C' as const)
      const before = await servedBy(DIRECTORS[d])
      const p = await pausedCli(['deploy', inv[target], '--json'], `after:director files@${d}`)
      tally.faults++
      p.signal('SIGKILL')
      assert.equal((await p.done).code, 137)
      assert.equal(await sh(d, 'cat /var/lib/lbctl/journal | grep -c "^service haproxy"'), '1', 'the journal names the reload still owed')
      await staleOn(d, before)
      const check = await deploy(inv[target], '--check')
      assert.ok(check.run.hosts[d].tasks.some((t) => t.task === 'finish an interrupted activation' && /would reload/.test(t.message ?? '')), '--check reports the pending reload')
      const refused = await deploy(inv[target])
      assert.equal(refused.code, 3, 'the killed run left its lock')
      assert.match(refused.run.errors.join('\n'), /no longer running \(a stale lock\)/)
      await reRunConverges(target, '--break-lock')
    })
  }

  for (const d of ['lb2', 'lb1'] as const) {
    test(`Ctrl-C between rename and reload on ${d}: exit 130, every lock released; a plain re-run converges`, async () => {
      const target = d === 'lb2' ? ('B' as const) : ('A' as const)
      const p = await pausedCli(['deploy', inv[target], '--json'], `after:director files@${d}`)
      tally.faults++
      p.signal('SIGINT')
      p.resume()
      const r = await p.done
      assert.equal(r.code, 130, r.stderr)
      assert.equal(json(r.stdout).outcome, 'interrupted')
      // The director stopped between rename and reload runs the old config under new files: a mixed pair, reported.
      const mixed = json(r.stdout).mixed_releases
      assert.deepEqual(mixed.map((m) => m.instance), ['VI_1'], 'the mixed pair is reported')
      assert.match(mixed[0].directors.find((x) => x.name === d)!.release, /\(files active, release not recorded\)$/)
      for (const h of Object.keys(DIRECTORS)) assert.equal(await sh(h, 'ls -d /var/lib/lbctl/lock 2>/dev/null; true'), '', `${h} still locked`)
      assert.match(await sh(d, 'cat /var/lib/lbctl/journal'), /service haproxy/)
      await reRunConverges(target)
    })
  }

  test('the SSH session killed during the handlers: the host fails, the run stops before the master; a plain re-run converges', async () => {
    const lb1Release = await sh('lb1', 'readlink /var/lib/lbctl/releases/current')
    const p = await pausedCli(['deploy', inv.C, '--json'], 'handlers@lb2')
    tally.faults++
    await killSessions(lab, 'lb2')
    p.resume()
    const r = await p.done
    assert.equal(r.code, 1, r.stdout)
    const run = json(r.stdout)
    assert.equal(run.failure?.host, 'lb2')
    assert.equal(run.hosts.lb1.tasks.length, 0, 'nothing ran on the master')
    assert.equal(await sh('lb1', 'readlink /var/lib/lbctl/releases/current'), lb1Release)
    assert.equal(await sh('lb2', 'ls -d /var/lib/lbctl/lock 2>/dev/null; true'), '', 'the lock was given back over a new connection')
    await reRunConverges('C')
  })

  test('the SSH session killed while the master receives its files: the run fails, a plain re-run converges', async () => {
    // Any state other than the one running, so the master has files to receive.
    const target = (await servedBy(DIRECTORS.lb1)).join() === serves.A.join() ? ('B' as const) : ('A' as const)
    const p = await pausedCli(['deploy', inv[target], '--json'], 'before:director files@lb1')
    tally.faults++
    // Cut the session the moment the first staged file appears on the master (validation still to come).
    const killer = await cutSessionsWhenCreated(lab, 'lb1', '/etc/haproxy', '.lbctl-new')
    p.resume()
    const r = await p.done
    await killer.fired
    assert.equal(r.code, 1, r.stdout)
    assert.equal(json(r.stdout).failure?.host, 'lb1')
    await reRunConverges(target)
  })

  test("the master's link to the controller down mid-run: given up on within seconds, exit 1; a re-run finishes the deploy under one release", async () => {
    const p = await pausedCli(['deploy', inv.B, '--json'], 'before:director files@lb1')
    tally.faults++
    const restore = await cutFromController(lab, 'lb1', CONTROLLER)
    let r
    try {
      p.resume()
      r = await p.done
    } finally {
      await restore()
    }
    assert.equal(r.code, 1, r.stdout)
    const run = json(r.stdout)
    // Given up: the failed step's own time; the exit adds the last try to give the lock back (up to 5 s).
    tally.giveUpMs.push(run.hosts.lb1.tasks.find((t) => t.status === 'failed')?.duration_ms ?? -1)
    tally.exitMs.push(r.afterResumeMs)
    assert.equal(run.failure?.host, 'lb1')
    assert.match(run.failure?.message ?? '', /lost|Keepalive|closed/i)
    assert.ok(r.afterResumeMs < 30_000, `gave up after ${r.afterResumeMs} ms`)
    // The backup is on the new release, the master on the old one: a re-run finishes it under the same ID.
    const partial = run.release
    assert.equal(await sh('lb2', 'readlink /var/lib/lbctl/releases/current'), partial)
    const again = await deploy(inv.B, '--break-lock')
    assert.equal(again.code, 0, JSON.stringify(again.run.failure))
    assert.equal(again.run.release, partial, 'one logical deploy, one release ID')
    assert.equal(await assertConverged(inv.B, serves.B), partial)
  })

  test('keepalived.conf rejected after haproxy.cfg changed: nothing is installed on that host, the master is untouched', async () => {
    const before = {lb2: await sh('lb2', 'sha256sum /etc/haproxy/haproxy.cfg'), lb1: await sh('lb1', 'sha256sum /etc/haproxy/haproxy.cfg')}
    tally.faults++
    const {code, run} = await deploy(inv.rejected)
    assert.equal(code, 1)
    assert.equal(run.failure?.host, 'lb2')
    assert.match(run.failure?.message ?? '', /keepalived -t rejected the new \/etc\/keepalived\/keepalived\.conf/)
    assert.equal(await sh('lb2', 'sha256sum /etc/haproxy/haproxy.cfg'), before.lb2, 'the new haproxy.cfg was not installed either')
    assert.equal(await sh('lb1', 'sha256sum /etc/haproxy/haproxy.cfg'), before.lb1)
    await staleOn('lb2', serves.B)
    await reRunConverges('B')
  })

  test('/etc/haproxy full: the deploy fails before activating anything, the lock is released; a re-run converges', async () => {
    const free = await fillDisk(lab, 'lb2', '/etc/haproxy')
    tally.faults++
    try {
      const {code, run} = await deploy(inv.C)
      assert.equal(code, 1)
      assert.equal(run.failure?.host, 'lb2')
      assert.match(run.failure?.message ?? '', /nothing was changed on this host/)
      assert.equal(await sh('lb2', 'ls -d /var/lib/lbctl/lock 2>/dev/null; true'), '')
      await staleOn('lb2', serves.B)
    } finally {
      await free()
    }
    await reRunConverges('C')
  })

  test('/var/lib/lbctl full after the lock was taken: nothing is activated, the lock is released, the next lock is refused readably', async () => {
    const p = await pausedCli(['deploy', inv.B, '--json'], 'before:stage release@lb2')
    tally.faults++
    const free = await fillDisk(lab, 'lb2', '/var/lib/lbctl')
    try {
      p.resume()
      const r = await p.done
      assert.equal(r.code, 1, r.stdout)
      // Where it stops depends on what the host already holds (the release may be there from before): staging the
      // release, or writing the journal — both before any file is renamed.
      assert.match(json(r.stdout).failure?.message ?? '', /\(disk full\?\); nothing was changed on this host/)
      assert.equal(await sh('lb2', 'ls -d /var/lib/lbctl/lock /var/lib/lbctl/releases/*.tmp 2>/dev/null; true'), '', 'no lock and no half-staged release left')
      await staleOn('lb2', serves.C)
      // Still full: refused readably if not even the lock holder fits, else stopped again before activation.
      const locked = await deploy(inv.B)
      if (locked.code === 3) assert.match(locked.run.errors.join('\n'), /lb2: cannot take the lock .*disk full/)
      else assert.match(`${locked.code} ${locked.run.failure?.message}`, /^1 .*\(disk full\?\); nothing was changed on this host/)
      assert.equal(await sh('lb2', 'ls -d /var/lib/lbctl/lock 2>/dev/null; true'), '', 'no lock left, empty or not')
    } finally {
      await free()
    }
    await reRunConverges('B')
  })

  test('a controller clock a day behind changes nothing: the release is kept, current, and rollback returns to the one before', async () => {
    await reRunConverges('B')
    const skew = join(lab.inventoryDir, 'skew.mjs')
    writeFileSync(skew, 'const D = Date; const off = -86400000; globalThis.Date = class extends D { constructor(...a) { super(...(a.length ? a : [D.now() + off])) } static now() { return D.now() + off } }\n')
    const previous = await sh('lb1', 'readlink /var/lib/lbctl/releases/current')
    tally.faults++
    const r = await lbctl(['deploy', inv.A, '--json'], {NODE_OPTIONS: `--import=${skew}`})
    assert.equal(r.code, 0, r.stdout)
    const id = json(r.stdout).release
    for (const d of Object.keys(DIRECTORS)) assert.equal(await sh(d, `readlink /var/lib/lbctl/releases/current; test -d /var/lib/lbctl/releases/${id} && echo kept`), `${id}\nkept`)
    const back = await lbctl(['rollback', inv.A, '--json'], {NODE_OPTIONS: `--import=${skew}`})
    assert.equal(back.code, 0, back.stdout)
    assert.equal(json(back.stdout).release, previous)
    await assertConverged(inv.B, serves.B)
  })

  test('deploy and failover-test exclude each other: each is refused with the other\'s name while it runs', async () => {
    tally.faults++
    const ft = lbctl(['failover-test', inv.B, '--scenario', 'realserver-down'])
    await waitFor('failover-test to take the lock', 120_000, async () => ((await sh('lb1', 'cat /var/lib/lbctl/lock/holder 2>/dev/null')).includes('failover-test') ? true : undefined))
    const refused = await deploy(inv.C)
    assert.equal(refused.code, 3)
    assert.match(refused.run.errors.join('\n'), /lb\d is locked by failover-test by /)
    const done = await ft
    assert.equal(done.code, 0, done.stdout + done.stderr)
    const p = await pausedCli(['deploy', inv.C, '--json'], 'before:director files@lb2')
    const other = await lbctl(['failover-test', inv.C, '--scenario', 'realserver-down'])
    assert.equal(other.code, 3, other.stdout)
    assert.match(other.stdout + other.stderr, /locked by deploy by /)
    p.resume()
    assert.equal((await p.done).code, 0)
    await assertConverged(inv.C, serves.C)
  })

  test('rollback returns to what ran before: A → B → rollback → C → rollback is A on every director', async () => {
    tally.faults++
    assert.equal((await deploy(inv.A)).code, 0)
    const a = await sh('lb1', 'readlink /var/lib/lbctl/releases/current')
    assert.equal((await deploy(inv.B)).code, 0)
    assert.equal((await lbctl(['rollback', inv.A])).code, 0)
    assert.equal((await deploy(inv.C)).code, 0)
    const r = await lbctl(['rollback', inv.A, '--json'])
    assert.equal(r.code, 0, r.stdout)
    assert.equal(json(r.stdout).release, a)
    assert.equal(await assertConverged(inv.A, serves.A), a)
  })

  test('rollback undoes additions: a sysctl only the newer release set goes back to its value from before lbctl', async () => {
    tally.faults++
    const original = await sh('lb1', 'sysctl -n net.ipv4.tcp_fin_timeout')
    assert.equal((await deploy(inv.sysctl)).code, 0)
    assert.equal(await sh('lb1', 'sysctl -n net.ipv4.tcp_fin_timeout'), '17')
    const r = await lbctl(['rollback', inv.A, '--json'])
    assert.equal(r.code, 0, r.stdout)
    for (const d of Object.keys(DIRECTORS)) assert.equal(await sh(d, 'sysctl -n net.ipv4.tcp_fin_timeout'), original, `${d} kept the rolled-back sysctl`)
    await assertConverged(inv.A, serves.A)
  })

  test('Ctrl-C during a rollback and during a run: exit 130, no lock left anywhere', async () => {
    assert.equal((await deploy(inv.B)).code, 0)
    for (const args of [['rollback', inv.A, '--json'], ['run', 'deploy', inv.C, '--json']]) {
      const p = await pausedCli(args, args[0] === 'rollback' ? 'before:activate release@lb2' : 'before:director files@lb2')
      tally.faults++
      p.signal('SIGINT')
      p.resume()
      const r = await p.done
      assert.equal(r.code, 130, `${args[0]}: ${r.stderr}`)
      for (const h of Object.keys(DIRECTORS)) assert.equal(await sh(h, 'ls -d /var/lib/lbctl/lock 2>/dev/null; true'), '', `${args[0]}: ${h} still locked`)
    }
    assert.equal((await deploy(inv.B)).code, 0)
    await assertConverged(inv.B, serves.B)
  })

  test('the client load through the VIP lost no request during all of it', async () => {
    const r = await load!.stop()
    assert.ok(r.sent > 100, `only ${r.sent} requests were sent`)
    assert.equal(r.failed, 0, load!.explain(r))
  })
})
