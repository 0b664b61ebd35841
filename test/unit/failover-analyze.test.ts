/**
 * failover-test's pure measurements: outage from a probe series, split brain and stale VIPs from VIP samples, when the
 * VIP moved, the timer bounds, and the pass/fail verdict.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {baseline, failedRuns, outage} from '../../src/failover/analyze.js'
import {holdersAt, holds, longestOverlapMs, movedAt, splitBrains, staleVips, statesAt} from '../../src/failover/holds.js'
import {masterDownBound, masterDownS, skewBound, skewS, trackScriptBound, haproxyCheckBound, withHostDelay} from '../../src/failover/bounds.js'
import type {ProbeResult, VipEvent} from '../../src/failover/types.js'
import {ratioOf, verdict} from '../../src/failover/verdict.js'

const near = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-6, `${what} ${a} ≉ ${b}`)

/** A probe every 20 ms from `from` to `to`; failed where `failed(t)` says so. */
function series(from: number, to: number, failed: (t: number) => boolean, target = 'web'): ProbeResult[] {
  const out: ProbeResult[] = []
  for (let t = from; t < to; t += 20) out.push({target, start: t, latency: failed(t) ? 800 : 3, ok: !failed(t), detail: failed(t) ? 'timeout' : '200'})
  return out
}

const VIP = '10.0.0.100'

/** A director's stream: its snapshot at 0 (own address, link up, keepalived running), then `more`, known until `end`. */
function director(name: string, holds: boolean, more: Omit<VipEvent, 'director'>[], end = 10_000): VipEvent[] {
  return [
    {director: name, t: 0, kind: 'start'},
    {director: name, t: 0, kind: 'add', what: name === 'lb1' ? '10.0.0.11' : '10.0.0.12', iface: 'eth0'},
    ...(holds ? [{director: name, t: 0, kind: 'add' as const, what: VIP, iface: 'eth0'}] : []),
    {director: name, t: 0, kind: 'link', what: 'eth0', up: true},
    {director: name, t: 0, kind: 'keepalived', up: true, what: '7'},
    ...more.map((e) => ({...e, director: name})),
    {director: name, t: end, kind: 'end'},
  ]
}
const add = (t: number): Omit<VipEvent, 'director'> => ({t, kind: 'add', what: VIP, iface: 'eth0'})
const del = (t: number): Omit<VipEvent, 'director'> => ({t, kind: 'del', what: VIP, iface: 'eth0'})
const ka = (t: number, up: boolean): Omit<VipEvent, 'director'> => ({t, kind: 'keepalived', up})

describe('outage from a probe series', () => {
  test('the longest run of failed probes, from its first failed probe to the next successful one', () => {
    const probes = series(0, 10_000, (t) => t >= 2000 && t < 6100)
    const o = outage(probes, 2000, 8000)
    assert.equal(o.longestMs, 4100)
    assert.equal(o.failed, 205)
    assert.equal(o.total, 300)
  })

  test('a run that started just before the fault (a probe in flight) counts; noise long before does not', () => {
    const probes = series(0, 5000, (t) => (t >= 500 && t < 540) || (t >= 1980 && t < 2600))
    const o = outage(probes, 2000, 4000)
    assert.equal(o.longestMs, 620)
    assert.equal(o.run?.start, 1980)
  })

  test('runs are per target; the longest wins, failures add up', () => {
    const probes = [...series(0, 3000, (t) => t >= 1000 && t < 1200, 'a'), ...series(0, 3000, (t) => t >= 1000 && t < 1500, 'b')]
    const runs = failedRuns(probes)
    assert.deepEqual(runs.map((r) => [r.target, r.start, r.end, r.count]), [['a', 1000, 1200, 10], ['b', 1000, 1500, 25]])
    assert.equal(outage(probes, 1000, 3000).longestMs, 500)
    assert.equal(outage(probes, 1000, 3000).failed, 35)
  })

  test('no failure: no outage; a run still open at the end lasts until the end of probing', () => {
    assert.equal(outage(series(0, 1000, () => false), 0, 1000).longestMs, 0)
    assert.equal(outage(series(0, 1000, (t) => t >= 600), 0, 1000, 1500).longestMs, 900)
  })
})

describe('who held the VIP, from the directors\' events', () => {
  test('a clean handover (lb1 lets go 1 ms after lb2 takes over) is no split brain; holders before and after', () => {
    const e = [...director('lb1', true, [del(3001)]), ...director('lb2', false, [add(3000)])]
    assert.deepEqual(splitBrains(e, [VIP], 200), [])
    assert.equal(longestOverlapMs(e, [VIP]), 1)
    assert.deepEqual(holdersAt(e, [VIP], 2000)[VIP], ['lb1'])
    assert.deepEqual(holdersAt(e, [VIP], 5000)[VIP], ['lb2'])
  })

  test('two live holders for longer than the limit is a split brain, with when and how long', () => {
    const e = [...director('lb1', true, [], 5000), ...director('lb2', false, [add(1000)], 5000)]
    const [b, ...rest] = splitBrains(e, [VIP], 1000)
    assert.equal(rest.length, 0)
    assert.deepEqual(b.directors, ['lb1', 'lb2'])
    assert.deepEqual([b.start, b.durationMs], [1000, 4000])
    assert.deepEqual(splitBrains(e, [VIP], 5000), [], 'shorter than the limit')
  })

  test('a VIP left on a director whose keepalived was killed is stale, not a split brain', () => {
    const e = [...director('lb1', true, [ka(1000, false), ka(5000, true), del(5080)]), ...director('lb2', false, [add(4000), del(9000)])]
    assert.deepEqual(splitBrains(e, [VIP], 200), [])
    const [stale] = staleVips(e, [VIP])
    assert.equal(stale.director, 'lb1')
    // Killed at 1000; keepalived started again at 5000 removes the address it finds at 5080: stale all along.
    assert.deepEqual([stale.start, stale.durationMs], [1000, 4080])
    assert.deepEqual(movedAt(e, VIP, 'lb1', 1000), {at: 4000, to: 'lb2'})
  })

  test('a VIP on a link that is down is isolated: it moved when the backup holds it, and no split brain', () => {
    const e = [...director('lb1', true, [{t: 1000, kind: 'link', what: 'eth0', up: false}, {t: 6000, kind: 'link', what: 'eth0', up: true}, del(6010)]), ...director('lb2', false, [add(3700), del(6020)])]
    assert.deepEqual(splitBrains(e, [VIP], 200), [])
    assert.deepEqual(holds(e, VIP).get('lb1')!.map((h) => [h.state, h.start, h.end]), [['live', 0, 1000], ['isolated', 1000, 6000], ['live', 6000, 6010], ['none', 6010, 10_000]])
    assert.deepEqual(movedAt(e, VIP, 'lb1', 1000), {at: 3700, to: 'lb2'})
  })

  test('nothing is claimed for a director after its stream ended, nor before it started', () => {
    const e = [...director('lb1', true, [], 2000), ...director('lb2', true, [], 10_000)]
    assert.deepEqual(splitBrains(e, [VIP], 200).map((b) => [b.start, b.durationMs]), [[0, 2000]])
    assert.deepEqual(holdersAt(e, [VIP], 5000)[VIP], ['lb2'])
    assert.equal(statesAt(e, 5000).get('lb1'), undefined)
  })

  test('moved: the first instant another director holds it live, not earlier than the fault', () => {
    const e = [...director('lb1', true, [del(3020)]), ...director('lb2', false, [add(3021)])]
    assert.deepEqual(movedAt(e, VIP, 'lb1', 1000), {at: 3021, to: 'lb2'})
    assert.equal(movedAt(e, VIP, 'lb2', 0)?.to, 'lb1', 'moved away from whoever held it')
    assert.equal(movedAt(director('lb2', false, []), VIP, 'lb1', 0), undefined)
  })
})

describe('the baseline before the fault', () => {
  test('every probe answered well within the limit: ok, with p50 and p99', () => {
    const b = baseline(series(0, 1000, () => false), 0, 1000, 1400, 800, {expected: 50})
    assert.deepEqual(b, {ok: true, windowMs: 1000, probes: 50, failed: 0, unanswered: 0, p50Ms: 3, p99Ms: 3, limitMs: 400})
  })

  test('one failed probe, a slow p99, probes stuck in flight, or too few answers: not ok', () => {
    assert.equal(baseline(series(0, 1000, (t) => t === 500), 0, 1000, 1400, 800).failed, 1)
    assert.equal(baseline(series(0, 1000, (t) => t === 500), 0, 1000, 1400, 800).ok, false)
    const slow = series(0, 1000, () => false).map((p, i) => (i % 10 === 0 ? {...p, latency: 450} : p))
    assert.deepEqual([baseline(slow, 0, 1000, 1400, 800).ok, baseline(slow, 0, 1000, 1400, 800).p99Ms], [false, 450])
    const stuck = baseline(series(0, 900, () => false), 0, 1000, 1400, 800, {inFlight: [900, 920, 940, 960, 980]})
    assert.deepEqual([stuck.ok, stuck.probes, stuck.unanswered, stuck.p99Ms], [false, 50, 5, 500])
    assert.equal(baseline(series(0, 200, () => false), 0, 1000, 1400, 800, {expected: 50}).ok, false, '10 answers of 50 expected')
  })
})

describe('bounds', () => {
  test('skew and master-down interval as RFC 5798 §6.1 defines them', () => {
    assert.equal(skewS(100, 1), 156 / 256)
    assert.equal(masterDownS(100, 1), 3 + 156 / 256)
    near(skewS(100, 0.1), (156 * 0.1) / 256)
    near(masterDownS(254, 0.1), 0.3 + (2 * 0.1) / 256)
  })

  test('a failing track script: fall × interval + 3 × advert_int + skew (+ one probe interval)', () => {
    const b = trackScriptBound({name: 'chk_haproxy', interval: 1, fall: 2}, 1, 100, 0.02)
    near(b.seconds, 2 + 3 + 0.609375 + 0.02)
    assert.equal(b.terms.skew, 0.609375)
    assert.match(b.formula, /2 × 1 \+ 3 × 1 \+ 0\.609375 \+ 0\.02/)
  })

  test('kill: master-down interval; graceful stop: skew plus the stated allowance; HAProxy: fall × inter', () => {
    near(masterDownBound(1, 100, 0.02).seconds, 3.629375)
    near(skewBound(1, 100, 0.02).seconds, 0.609375 + 0.05 + 0.02)
    near(skewBound(0.1, 100, 0.02).seconds, 0.0609375 + 0.05 + 0.02)
    assert.equal(haproxyCheckBound('2s', 3).seconds, 6)
    assert.equal(haproxyCheckBound(500, 2).seconds, 1)
  })

  test('on a busy host each timer of the chain may fire as late as the worst delays measured meanwhile', () => {
    const delays = [3, 120, 5, 80, 40, 2, 60]
    const b = withHostDelay(trackScriptBound({name: 'chk_haproxy', interval: 1, fall: 2}, 1, 100, 0.04), delays)
    // fall (2) script runs + master-down timer + ARP, and the probe that sees the VIP back: the 5 worst.
    near(b.seconds, 5.649375 + (120 + 80 + 60 + 40 + 5) / 1000)
    assert.equal(b.terms.host_delay, 0.305)
    assert.match(b.formula, / \+ host delay 0\.305$/)
    near(withHostDelay(skewBound(1, 100, 0.04), delays).seconds, 0.699375 + 0.3)
    assert.equal(withHostDelay(haproxyCheckBound('2s', 3), delays).seconds, 6, 'HAProxy checks: no VRRP timer')
    assert.equal(withHostDelay(masterDownBound(1, 100, 0.04), []).seconds, masterDownBound(1, 100, 0.04).seconds)
  })
})

describe('verdict', () => {
  const bound = masterDownBound(1, 100, 0.02)
  const base = {expect: ['vip_moves'], bound, tolerance: 0.1, timingSlackMs: 2, movedS: 3.1, outageS: 3.0, failedProbes: 150, splitBrain: [], restored: true, stepFailures: []}

  test('within the bound: passes; ratio = outage ÷ bound', () => {
    assert.deepEqual(verdict(base), [])
    assert.equal(ratioOf(3.0, bound)!.toFixed(3), (3 / 3.629375).toFixed(3))
  })

  test('each way to fail says why', () => {
    assert.match(verdict({...base, outageS: 4.1}).join(), /outage 4\.10 s is 1\.13 × the bound 3\.63 s \(tolerance 10 %\)/)
    assert.deepEqual(verdict({...base, outageS: 3.9}), [], '7 % over is within the 10 % tolerance')
    assert.match(verdict({...base, movedS: undefined}).join(), /the VIP did not move/)
    assert.match(verdict({...base, movedS: 4.2}).join(), /the VIP moved after 4\.20 s, later than the bound/)
    assert.match(verdict({...base, splitBrain: [{vip: '10.0.0.100', directors: ['lb1', 'lb2'], start: 0, durationMs: 2500}]}).join(), /split brain: 10\.0\.0\.100 held by lb1 and lb2 at once for 2\.50 s/)
    assert.match(verdict({...base, restored: false, restoreProblem: 'x is on lb2'}).join(), /did not get back to its initial state: x is on lb2/)
    assert.match(verdict({...base, expect: ['no_failed_probes', 'vip_stays'], bound: haproxyCheckBound('2s', 3), outageS: 0.1, failedProbes: 2}).join(), /the VIP moved to another director after 3\.10 s, but should have stayed,2 probe\(s\) failed, expected none/)
  })
})

test('a probe in flight when the fault hit is not one a proxy could have saved; one sent after it is', async () => {
  const {inFlightAt} = await import('../../src/failover/scenario.js')
  const probe = (start: number, latency: number): ProbeResult => ({target: 'web', start, latency, ok: false, detail: 'ECONNRESET'})
  const fault = 10_000
  const taken = probe(9_990, 15) // sent 10 ms before the kill's mark, cut off 5 ms after it
  const lagged = probe(9_700, 80) // cut off by the kill before its mark was printed on a busy host
  const before = probe(9_000, 30) // over long before the fault
  const after = probe(10_050, 3) // sent after the fault: HAProxy should have redispatched it
  assert.deepEqual(inFlightAt([taken, lagged, before, after], fault, 2), [taken, lagged])
  const v = verdict({expect: ['no_failed_probes'], tolerance: 0.1, timingSlackMs: 0, outageS: 0, failedProbes: 1, failedAt: [{atS: 0.05, detail: 'ECONNRESET'}], splitBrain: [], restored: true, stepFailures: []})
  assert.deepEqual(v, ['1 probe(s) failed, expected none (ECONNRESET at +0.05 s against the fault)'])
})

test('a split brain outlasts one advert interval (at least 200 ms) plus the timer delay measured on the hosts', async () => {
  const {splitBrainMinMs} = await import('../../src/failover/scenario.js')
  assert.equal(splitBrainMinMs({advertInt: 1}), 1000)
  assert.equal(splitBrainMinMs({advertInt: 0.05}), 200)
  assert.equal(splitBrainMinMs({advertInt: 0.1}, 150), 350)
})
