/**
 * failover-test's pure measurements: outage from a probe series, split brain and stale VIPs from VIP samples, when the
 * VIP moved, the timer bounds, and the pass/fail verdict.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {failedRuns, holdIntervals, holdersAt, movedAt, outage, splitBrains, staleVips} from '../../src/failover/analyze.js'
import {masterDownBound, masterDownS, skewBound, skewS, trackScriptBound, haproxyCheckBound} from '../../src/failover/bounds.js'
import type {ProbeResult, VipSample} from '../../src/failover/types.js'
import {ratioOf, verdict} from '../../src/failover/verdict.js'

const near = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-6, `${what} ${a} ≉ ${b}`)

/** A probe every 20 ms from `from` to `to`; failed where `failed(t)` says so. */
function series(from: number, to: number, failed: (t: number) => boolean, target = 'web'): ProbeResult[] {
  const out: ProbeResult[] = []
  for (let t = from; t < to; t += 20) out.push({target, start: t, latency: failed(t) ? 800 : 3, ok: !failed(t), detail: failed(t) ? 'timeout' : '200'})
  return out
}

/** Samples every 50 ms (10 ms round trip) of one director; `holds(t)` = it holds the VIP, `ka(t)` = keepalived runs. */
function samples(director: string, from: number, to: number, holds: (t: number) => boolean, ka: (t: number) => boolean = () => true, vip = '10.0.0.100'): VipSample[] {
  const out: VipSample[] = []
  for (let t = from; t < to; t += 50) out.push({director, sent: t, recv: t + 10, ok: true, addresses: ['10.0.0.11', ...(holds(t + 5) ? [vip] : [])], keepalived: ka(t + 5)})
  return out
}

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

describe('VIP samples', () => {
  test('a clean handover is no split brain, even when one round of samples sees both holders', () => {
    // lb2 takes the VIP at 3000; lb1 lets go 1 ms later — lb1's sample at 2995–3005 ran after lb2's at 2990–3000.
    const s = [...samples('lb1', 0, 6000, (t) => t < 3001), ...samples('lb2', -10, 6000, (t) => t >= 3000)]
    assert.deepEqual(splitBrains(s, ['10.0.0.100']), [])
    assert.equal(holdersAt(s, ['10.0.0.100'], 2000)['10.0.0.100'].join(), 'lb1')
    assert.equal(holdersAt(s, ['10.0.0.100'], 5000)['10.0.0.100'].join(), 'lb2')
  })

  test('two live holders over several samples is a split brain, with when and how long', () => {
    const s = [...samples('lb1', 0, 5000, () => true), ...samples('lb2', 0, 5000, (t) => t >= 1000)]
    const [b, ...rest] = splitBrains(s, ['10.0.0.100'])
    assert.equal(rest.length, 0)
    assert.deepEqual(b.directors, ['lb1', 'lb2'])
    assert.ok(b.start >= 1000 && b.start <= 1100, String(b.start))
    assert.ok(b.durationMs > 3800 && b.durationMs < 4000, String(b.durationMs))
  })

  test('a VIP left on a director whose keepalived was killed is stale, not a split brain', () => {
    const s = [...samples('lb1', 0, 6000, (t) => t < 5000, (t) => t < 1000 || t >= 5000), ...samples('lb2', 0, 6000, (t) => t >= 4000 && t < 5000)]
    assert.deepEqual(splitBrains(s, ['10.0.0.100']), [])
    const [stale] = staleVips(s, ['10.0.0.100'])
    assert.equal(stale.director, 'lb1')
    assert.ok(stale.durationMs > 3800, String(stale.durationMs))
  })

  test('a restarted keepalived does not claim the stale VIP it finds: it removes it first', () => {
    // lb1 killed at 1000 (VIP left behind), keepalived started again at 5000, leftover VIP removed at 5080.
    const lb1 = samples('lb1', 0, 7000, (t) => t < 5080, (t) => t < 1000 || t >= 5000)
    const lb2 = samples('lb2', 0, 7000, (t) => t >= 4000)
    assert.deepEqual(splitBrains([...lb1, ...lb2], ['10.0.0.100']), [])
    const [stale] = staleVips([...lb1, ...lb2], ['10.0.0.100'])
    assert.ok(stale.durationMs > 4000, String(stale.durationMs))
  })

  test('a director that answered late (its link was down) proves nothing about the time it was cut off', () => {
    const lb1 = samples('lb1', 0, 1000, () => true)
    lb1.push({director: 'lb1', sent: 1000, recv: 8000, ok: true, addresses: ['10.0.0.100'], keepalived: true}, ...samples('lb1', 8000, 9000, () => true))
    const lb2 = samples('lb2', 0, 9000, (t) => t >= 4000 && t < 8000)
    assert.deepEqual(splitBrains([...lb1, ...lb2], ['10.0.0.100']), [])
    const intervals = holdIntervals(lb1, '10.0.0.100', true).get('lb1')!
    assert.ok(intervals.every((i) => i.end <= 1000 || i.start >= 8000), JSON.stringify(intervals))
  })

  test('moved: halfway between the last sample without the VIP and the first with it, on another director', () => {
    const s = [...samples('lb1', 0, 6000, (t) => t < 3020), ...samples('lb2', 0, 6000, (t) => t >= 3020)]
    const m = movedAt(s, '10.0.0.100', 'lb1', 1000)
    assert.equal(m?.to, 'lb2')
    assert.ok(Math.abs(m!.at - 3030) <= 25, String(m!.at))
    assert.equal(movedAt(s, '10.0.0.100', 'lb2', 0)?.to, 'lb1', 'moved away from whoever held it')
    assert.equal(movedAt(samples('lb2', 0, 6000, () => false), '10.0.0.100', 'lb1', 0), undefined)
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
})

describe('verdict', () => {
  const bound = masterDownBound(1, 100, 0.02)
  const base = {expect: ['vip_moves'], bound, tolerance: 0.1, sampleIntervalMs: 50, movedS: 3.1, outageS: 3.0, failedProbes: 150, splitBrain: [], restored: true, stepFailures: [], baselineOk: true}

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
    assert.match(verdict({...base, baselineOk: false}).join(), /no probe succeeded before the fault/)
  })
})
