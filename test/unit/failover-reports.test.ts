/**
 * failover-test's reports from a made-up run: the terminal table, JUnit XML (well-formed, parsed back, one testcase per
 * scenario with <failure> on a failed one), and the timeline as SVG and HTML (well-formed, with its ticks, bands and
 * marks).
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {XMLParser, XMLValidator} from 'fast-xml-parser'
import {masterDownBound, trackScriptBound} from '../../src/failover/bounds.js'
import type {FailoverReport, ProbeResult, ScenarioResult, VipSample} from '../../src/failover/types.js'
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
  const samples: VipSample[] = []
  for (let t = 0; t < 8000; t += 50) {
    const moved = t >= 1000 + moveAt && t < 6000
    samples.push({director: 'lb1', sent: t, recv: t + 5, ok: true, addresses: ['198.18.32.11', ...(!moved || split ? [VIP] : [])], keepalived: true})
    samples.push({director: 'lb2', sent: t, recv: t + 6, ok: true, addresses: ['198.18.32.12', ...(moved ? [VIP] : [])], keepalived: true})
  }
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
    samples,
    ...over,
  }
}

const report: FailoverReport = {
  cluster: 'itfail',
  inventory: '/tmp/itfail.yaml',
  startedAt: '2026-11-21T10:00:00.000Z',
  instance: 'VI_1',
  prober: 'controller',
  settings: {probeIntervalMs: 20, probeTimeoutMs: 800, sampleIntervalMs: 50, tolerance: 0.1},
  targets: [{name: `web ${VIP}:80`, kind: 'http', address: VIP, port: 80}],
  scenarios: [
    scenario('haproxy-kill', {bound: trackScriptBound({name: 'chk_haproxy', interval: 1, fall: 2}, 1, 100, 0.02), measures: {movedS: 4.2, outageS: 4.2, failedProbes: 210, totalProbes: 400, failedDuringReturn: 1, ratio: 0.75, returnS: 2}}, 4200),
    scenario('keepalived-kill', {
      status: 'fail',
      reasons: ['split brain: 198.18.32.100 held by lb1 and lb2 at once for 2.00 s', 'odd <chars> & "more" \u0007'],
      splitBrain: [{vip: VIP, directors: ['lb1', 'lb2'], start: 2000, durationMs: 2000}],
      bound: masterDownBound(1, 100, 0.02),
      measures: {movedS: 1, outageS: 1, failedProbes: 50, totalProbes: 400, failedDuringReturn: 0, ratio: 0.28, returnS: 2},
    }, 1000, true),
    scenario('maintenance', {status: 'skipped', reasons: ['VI_1 tracks no down_file script'], probes: [], samples: [], times: {start: 0, end: 0}}, 0),
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
    assert.match(t, /^maintenance: skipped: VI_1 tracks no down_file script$/m)
    assert.match(t, /itfail: 1 passed, 1 failed, 1 skipped\/not run/)
    const json = JSON.parse(failoverJson(report))
    assert.equal(json.scenarios[0].probes.length, 400)
    assert.deepEqual(json.series_format.probes, ['target', 'start_ms', 'latency_ms', 'ok', 'detail'])
  })

  test('JUnit XML is well-formed and says which scenario failed', () => {
    const xml = junitXml(report)
    assert.equal(XMLValidator.validate(xml), true)
    const doc = new XMLParser({ignoreAttributes: false, attributeNamePrefix: ''}).parse(xml)
    const suite = doc.testsuites.testsuite
    assert.deepEqual([suite.tests, suite.failures, suite.errors, suite.skipped], ['3', '1', '0', '1'])
    const cases = suite.testcase as {name: string; failure?: {message: string; '#text': string}; skipped?: unknown; 'system-out'?: string}[]
    assert.deepEqual(cases.map((c) => c.name), ['haproxy-kill', 'keepalived-kill', 'maintenance'])
    assert.equal(cases[0].failure, undefined)
    assert.match(cases[0]['system-out'] ?? '', /outage: 4\.200 s/)
    assert.match(cases[1].failure!.message, /^split brain/)
    assert.match(cases[1].failure!['#text'], /odd <chars> & "more"/)
    assert.ok(cases[2].skipped !== undefined)
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
