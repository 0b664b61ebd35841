/**
 * Issue 14, bootstrap fast, stay safe: on a new cluster (no director holds any VIP) deploy starts the directors
 * together; whenever a VIP is served it keeps the HA-safe order (backup, then master); the run says which.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {after, before, describe, test} from 'node:test'
import {lbctl, upLab, type TestLab} from '../helpers/lab.js'

const NAME = 'it14boot'
const SUBNET = '198.18.85.0/24'
const VIP = '198.18.85.100'

let lab: TestLab

interface JsonRun {
  outcome: string
  cluster_state: {state: 'new' | 'serving'; why: string} | null
  hosts: Record<string, {changed: number; tasks: {play: string; task: string; status: string}[]}>
}

async function deploy(): Promise<JsonRun> {
  const r = await lbctl(['deploy', lab.inventory, '--json'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  return JSON.parse(r.stdout) as JsonRun
}

/** The plays a host ran tasks in, in order. */
const playsOf = (run: JsonRun, host: string) => [...new Set(run.hosts[host].tasks.map((t) => t.play))]

async function vipHolders(): Promise<string[]> {
  const out: string[] = []
  for (const d of ['lb1', 'lb2']) if ((await lab.sh(d, 'ip -4 -o addr show')).stdout.includes(` inet ${VIP}/`)) out.push(d)
  return out
}

describe('deploy: a new cluster starts its directors together, a serving one keeps the HA-safe order', {concurrency: false}, () => {
  before(async () => {
    lab = await upLab(NAME, SUBNET)
  })
  after(async () => {
    await lab?.down()
  })

  test('first deploy: no VIP anywhere, so both directors in one play; the VIP ends on the master only', async () => {
    const run = await deploy()
    assert.equal(run.outcome, 'ok')
    assert.equal(run.cluster_state?.state, 'new', JSON.stringify(run.cluster_state))
    assert.match(run.cluster_state!.why, new RegExp(`no director holds any of ${VIP.replaceAll('.', '\\.')}`))
    for (const d of ['lb1', 'lb2']) assert.deepEqual(playsOf(run, d), ['directors together (new cluster)'])
    assert.deepEqual(await vipHolders(), ['lb1'])
  })

  test('a change on a serving cluster: backup first, then master, and the run names the VIP it protects', async () => {
    writeFileSync(lab.inventory, readFileSync(lab.inventory, 'utf8').replace('balance: roundrobin', 'balance: leastconn'))
    const run = await deploy()
    assert.equal(run.cluster_state?.state, 'serving')
    assert.equal(run.cluster_state?.why, `${VIP} on lb1`)
    assert.deepEqual(playsOf(run, 'lb2'), ['backup directors'])
    assert.deepEqual(playsOf(run, 'lb1'), ['master directors'])
    assert.ok(run.hosts.lb1.changed > 0 && run.hosts.lb2.changed > 0)
    assert.deepEqual(await vipHolders(), ['lb1'])
  })

  test('keepalived gone on both directors (no VIP served): the next deploy brings them up together again', async () => {
    for (const d of ['lb1', 'lb2']) await lab.sh(d, 'kill -TERM "$(cat /run/keepalived.pid)"; i=0; while [ -s /run/keepalived.pid ] && kill -0 "$(cat /run/keepalived.pid)" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done')
    assert.deepEqual(await vipHolders(), [])
    const run = await deploy()
    assert.equal(run.cluster_state?.state, 'new')
    for (const d of ['lb1', 'lb2']) assert.deepEqual(playsOf(run, d), ['directors together (new cluster)'])
    assert.deepEqual(await vipHolders(), ['lb1'])
  })

  test('a new cluster whose real servers have work too: the directors start alongside them, not after them', async () => {
    for (const d of ['lb1', 'lb2']) await lab.sh(d, 'kill -TERM "$(cat /run/keepalived.pid)"; i=0; while [ -s /run/keepalived.pid ] && kill -0 "$(cat /run/keepalived.pid)" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done')
    // A sysctl makes every real server a target of the "real servers" play.
    writeFileSync(lab.inventory, readFileSync(lab.inventory, 'utf8').replace(/^ {2}(web\d+): \{ address: ([\d.]+), port: 80 \}$/gm, '  $1: { address: $2, port: 80, tuning: { sysctls: { net.core.somaxconn: 1500 } } }'))
    const r = await lbctl(['deploy', lab.inventory])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const log = r.stderr.split('\n')
    const plays = log.filter((l) => l.startsWith('PLAY ['))
    assert.deepEqual(plays, ['PLAY [real servers] web1, web2, web3', 'PLAY [directors together (new cluster)] lb1, lb2 — alongside real servers'])
    // Both plays announced before any host finished a step: they run at once.
    assert.ok(log.indexOf(plays[1]) < log.findIndex((l) => /^(ok|changed): \[/.test(l)), r.stderr)
    assert.ok(log.some((l) => /^changed: \[web1\] sysctls/.test(l)) && log.some((l) => /^(ok|changed): \[lb1\] VIPs on their master/.test(l)), r.stderr)
    assert.deepEqual(await vipHolders(), ['lb1'])
  })
})
