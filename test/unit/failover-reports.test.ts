/**
 * failover-test's reports from a made-up run: the terminal table, JUnit XML (well-formed, parsed back, one testcase per
 * scenario with <failure> on a failed one), and the timeline as SVG and HTML (well-formed, with its ticks, bands and
 * marks).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {masterDownBound, trackScriptBound} from '../../src/failover/bounds.js'
import type {FailoverReport, ProbeResult, ScenarioResult, VipEvent} from '../../src/failover/types.js'
import {failoverJson, failoverTable} from '../../src/report/failover-table.js'
import {junitXml} from '../../src/report/junit.js'
import {timelineHtml, timelineSvg} from '../../src/report/timeline.js'

const VIP = '198.18.32.100'

function scenario(name: string, over: Partial<ScenarioResult>, moveAt: number, split = false): ScenarioResult {
  const probes: ProbeResult[] = []
  for (let t = 0; t < 8000; t += 20) {
    const failed = t >= 1000 && t < 1000 + moveAt
    probes.push({target: `web ${VIP}:80`, start: t, latency: failed ? 800 : 4, ok: !failed, detail: failed ? 'ECONNREFUSED' : '200'})
  }
  // lb1 holds the VIP, lb2 takes it at the move and gives it back at 6000 (unless split: then lb1 never lets go).
  const events: VipEvent[] = []
  for (const [d, own] of [['lb1', '198.18.32.11'], ['lb2', '198.18.32.12']]) {
    events.push({director: d, t: 0, kind: 'start'}, {director: d, t: 0, kind: 'add', what: own, iface: 'eth0'}, {director: d, t: 0, kind: 'link', what: 'eth0', up: true}, {director: d, t: 0, kind: 'keepalived', up: true, what: '42'})
  }
  events.push({director: 'lb1', t: 0, kind: 'add', what: VIP, iface: 'eth0'})
  if (!split) events.push({director: 'lb1', t: 1000 + moveAt - 1, kind: 'del', what: VIP, iface: 'eth0'}, {director: 'lb1', t: 6001, kind: 'add', what: VIP, iface: 'eth0'})
  events.push({director: 'lb2', t: 1000 + moveAt, kind: 'add', what: VIP, iface: 'eth0'}, {director: 'lb2', t: 6000, kind: 'del', what: VIP, iface: 'eth0'})
  events.push({director: 'lb1', t: 8000, kind: 'end'}, {director: 'lb2', t: 8000, kind: 'end'})
  return {
    name,
    description: `${name} <test> & "quotes"`,
    status: 'pass',
    reasons: [],
    notes: [],
    target: 'lb1',
    instance: 'VI_1',
    vips: [VIP],
    expect: ['vip_moves'],
    splitBrain: [],
    staleVips: [],
    restored: true,
    initialHolders: {[VIP]: ['lb1']},
    finalHolders: {[VIP]: ['lb1']},
    times: {start: 0, fault: 1000, moved: 1000 + moveAt, restore: 4000, restored: 6000, end: 8000},
    steps: [],
    probes,
    events,
    instruments: {lb1: {trackerProcesses: 0, hostProcesses: 24, seconds: 8}, lb2: {trackerProcesses: 0, hostProcesses: 16, seconds: 8}},
    ...over,
  }
}

const report: FailoverReport = {
  cluster: 'itfail',
  inventory: '/tmp/itfail.yaml',
  startedAt: '2026-11-21T10:00:00.000Z',
  instance: 'VI_1',
  prober: 'controller',
  settings: {probeIntervalMs: 20, probeTimeoutMs: 800, path: '/', checkIntervalMs: 50, tolerance: 0.1},
  probeRate: 50,
  instruments: {lb1: {trackerProcesses: 5, hostProcesses: 48, seconds: 17}, lb2: {trackerProcesses: 5, hostProcesses: 34, seconds: 17}},
  clocks: {lb1: {offsetMs: 0, uncertaintyMs: 0.3}, lb2: {offsetMs: 0, uncertaintyMs: 0.4}},
  targets: [{name: `web ${VIP}:80`, kind: 'http', address: VIP, port: 80}],
  scenarios: [
    scenario('haproxy-kill', {bound: trackScriptBound({name: 'chk_haproxy', interval: 1, fall: 2}, 1, 100, 0.02), measures: {movedS: 4.2, outageS: 4.2, failedProbes: 210, totalProbes: 400, failedDuringReturn: 1, ratio: 0.75, returnS: 2, overlapMs: 1}}, 4200),
    scenario('keepalived-kill', {
      status: 'fail',
      reasons: ['split brain: 198.18.32.100 held by lb1 and lb2 at once for 2.00 s', 'odd <chars> & "more" \u0007'],
      splitBrain: [{vip: VIP, directors: ['lb1', 'lb2'], start: 2000, durationMs: 2000}],
      bound: masterDownBound(1, 100, 0.02),
      measures: {movedS: 1, outageS: 1, failedProbes: 50, totalProbes: 400, failedDuringReturn: 0, ratio: 0.28, returnS: 2, overlapMs: 2000},
    }, 1000, true),
    scenario('keepalived-stop', {
      status: 'inconclusive',
      reasons: ['no verdict: the cluster did not answer the probes reliably before the fault, so no fault was injected — 12 of 50 probes failed'],
      baseline: {ok: false, windowMs: 1000, probes: 50, failed: 12, unanswered: 0, p50Ms: 300, p99Ms: 800, limitMs: 400, tries: 3},
      measures: undefined,
      times: {start: 0, end: 4000},
    }, 0),
    scenario('maintenance', {status: 'skipped', reasons: ['VI_1 tracks no down_file script'], probes: [], events: [], instruments: {}, times: {start: 0, end: 0}}, 0),
  ],
  interrupted: false,
  ok: false,
  durationMs: 17000,
}

describe('failover reports', () => {
  test('the table: one row per scenario, then why', () => {
    const t = failoverTable(report)
    assert.match(t, /^SCENARIO +TARGET +VIP MOVED +OUTAGE +BOUND +RATIO +FAILED +SPLIT BRAIN +RESTORED +RESULT$/m)
    assert.match(t, /^haproxy-kill +lb1 +4\.20 s +4\.20 s +5\.63 s +0\.75 +210\/400 +no +yes 2\.00 s +PASS$/m)
    assert.match(t, /^keepalived-kill .* YES 2\.00 s +yes 2\.00 s +FAIL$/m)
    assert.match(t, /^keepalived-stop +lb1 +— +— +.* +INCONCLUSIVE$/m)
    assert.match(t, /^keepalived-stop: INCONCLUSIVE: no verdict: the cluster did not answer the probes reliably before the fault/m)
    assert.match(t, /^maintenance: skipped: VI_1 tracks no down_file script$/m)
    assert.match(t, /itfail: 1 passed, 1 failed, 1 inconclusive, 1 skipped\/not run/)
    assert.match(t, /^probes: GET \/ every 20 ms from controller = 50 new connections\/s \(timeout 800 ms\)/m)
    assert.match(t, /processes started per second by lbctl's instruments \(all processes on the host\): lb1 0\.29\/s \(2\.82\/s\), lb2 0\.29\/s \(2\.00\/s\)$/m)
    const json = JSON.parse(failoverJson(report))
    assert.equal(json.scenarios[0].probes.length, 400)
    assert.deepEqual(json.series_format.probes, ['target', 'start_ms', 'latency_ms', 'ok', 'detail'])
    assert.deepEqual(json.scenarios[0].events.find((e: unknown[]) => e[2] === 'del'), ['lb1', 5199, 'del', VIP, 'eth0'])
    assert.equal(json.scenarios[2].status, 'inconclusive')
    assert.equal(json.scenarios[2].baseline.failed, 12)
  })

  test('JUnit XML is well-formed and says which scenario failed', () => {
    const xml = junitXml(report)
    assert.equal(XMLValidator.validate(xml), true)
    const doc = new XMLParser({ignoreAttributes: false, attributeNamePrefix: ''}).parse(xml)
    const suite = doc.testsuites.testsuite
    assert.deepEqual([suite.tests, suite.failures, suite.errors, suite.skipped], ['4', '1', '1', '1'])
    const cases = suite.testcase as {name: string; failure?: {message: string; '#text': string}; error?: {message: string; type: string}; skipped?: unknown; 'system-out'?: string}[]
    assert.deepEqual(cases.map((c) => c.name), ['haproxy-kill', 'keepalived-kill', 'keepalived-stop', 'maintenance'])
    assert.equal(cases[0].failure, undefined)
    assert.match(cases[0]['system-out'] ?? '', /outage: 4\.200 s/)
    assert.match(cases[0]['system-out'] ?? '', /instruments, processes started per second by lbctl \(all on the host\): lb1 0\.00\/s \(3\.00\/s\)/)
    assert.match(cases[1].failure!.message, /^split brain/)
    assert.match(cases[1].failure!['#text'], /odd <chars> & "more"/)
    assert.equal(cases[2].error?.type, 'Inconclusive', 'no verdict is an error of the test, not a failure of the cluster')
    assert.match(cases[2]['system-out'] ?? '', /baseline: FAILED, 12\/50 probes failed, latency p50 300\.0 ms p99 800\.0 ms \(limit 400 ms\), 3 window\(s\)/)
    assert.ok(cases[3].skipped !== undefined)
  })

  test('a refused run is one errored testcase', () => {
    const xml = junitXml({...report, scenarios: [], refused: 'the cluster is not healthy <x>'})
    assert.equal(XMLValidator.validate(xml), true)
    const suite = new XMLParser({ignoreAttributes: false, attributeNamePrefix: ''}).parse(xml).testsuites.testsuite
    assert.deepEqual([suite.tests, suite.errors], ['1', '1'])
  })

  test('the timeline SVG is well-formed: probe ticks, owner bands, fault/move/restore/back marks, split brain', () => {
    const svg = timelineSvg(report)
    assert.equal(XMLValidator.validate(svg), true)
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    assert.match(svg, /<g class="scenario" id="scenario-haproxy-kill">/)
    assert.match(svg, /<g class="scenario" id="scenario-keepalived-kill">/)
    assert.doesNotMatch(svg, /id="scenario-maintenance"/, 'a skipped scenario has no timeline')
    assert.match(svg, /<g class="scenario" id="scenario-keepalived-stop">/, 'an inconclusive one shows its probes')
    for (const mark of ['fault', 'VIP moved', 'restore', 'back']) assert.ok(svg.includes(`>${mark}</text>`), mark)
    assert.ok((svg.match(/fill="#16a34a"/g) ?? []).length > 100, 'green ticks')
    assert.ok((svg.match(/fill="#dc2626"/g) ?? []).length > 50, 'red ticks')
    assert.match(svg, /fill="#2563eb"/, 'lb1 band')
    assert.match(svg, /fill="#7c3aed"/, 'lb2 band')
    assert.match(svg, /split brain on 198\.18\.32\.100: lb1 and lb2/)
    assert.match(svg, /lb1 holds 198\.18\.32\.100/)
  })

  test('the HTML page is well-formed too and carries the table and the picture', () => {
    const html = timelineHtml(report, failoverTable(report))
    assert.equal(XMLValidator.validate(html), true)
    assert.match(html, /<pre>SCENARIO/)
    assert.match(html, /<svg /)
    assert.doesNotMatch(html, /<script|<link|src="http/, 'self-contained')
  })
})
