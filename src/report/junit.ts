/**
 * JUnit XML (the Ant/Jenkins schema CI systems read): one testsuite per run, one testcase per scenario, <failure>
 * for a failed scenario, <error> for one that broke or gave no verdict (inconclusive), <skipped> for one that did not
 * run.
 */
import type {FailoverReport, ScenarioResult} from '../failover/types.js'
import {instrumentsLine, keptLine} from './failover-table.js'

/** XML 1.0 text or attribute value: the five special characters escaped, characters XML forbids dropped. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

const attrs = (a: Record<string, string | number>) => Object.entries(a).map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`).join('')
const secs = (ms: number) => (ms / 1000).toFixed(3)

function measures(s: ScenarioResult): string[] {
  const m = s.measures
  if (!m) return []
  const f = (x?: number) => (x === undefined ? '-' : `${x.toFixed(3)} s`)
  return [
    `target: ${s.target ?? '-'}`,
    `vip moved after: ${f(m.movedS)}`,
    `outage: ${f(m.outageS)} (longest run of failed probes)`,
    `bound: ${s.bound ? `${f(s.bound.seconds)} = ${s.bound.formula}` : '-'}`,
    `ratio: ${m.ratio === undefined ? '-' : m.ratio.toFixed(3)}`,
    `failed probes: ${m.failedProbes}/${m.totalProbes} (${m.failedDuringReturn} while the VIP went back)`,
    `split brain: ${s.splitBrain.length ? s.splitBrain.map((b) => `${b.vip} on ${b.directors.join('+')} ${b.durationMs.toFixed(0)} ms`).join(', ') : 'no'}`,
    `restored: ${s.restored ? `yes, after ${f(m.returnS)}` : 'no'}`,
    ...s.notes.map((n) => `note: ${n}`),
  ]
}

function testcase(report: FailoverReport, s: ScenarioResult): string {
  const head = `    <testcase${attrs({classname: `failover.${report.cluster}`, name: s.name, time: secs(s.times.end - s.times.start)})}>`
  const body: string[] = []
  const why = s.reasons.join('\n')
  if (s.status === 'fail') body.push(`      <failure${attrs({message: s.reasons[0] ?? 'failed', type: 'FailoverFailure'})}>${xmlEscape(why)}</failure>`)
  if (s.status === 'error') body.push(`      <error${attrs({message: s.reasons[0] ?? 'error', type: 'FailoverError'})}>${xmlEscape(why)}</error>`)
  // No verdict is not a failure of the cluster: CI shows it as an error of the test itself.
  if (s.status === 'inconclusive') body.push(`      <error${attrs({message: s.reasons[0] ?? 'inconclusive', type: 'Inconclusive'})}>${xmlEscape(why)}</error>`)
  if (s.status === 'skipped' || s.status === 'not_run') body.push(`      <skipped${attrs({message: s.reasons[0] ?? 'not run'})}/>`)
  const b = s.baseline
  const out = [
    ...(b ? [`baseline: ${b.ok ? 'ok' : 'FAILED'}, ${b.failed}/${b.probes} probes failed, latency p50 ${b.p50Ms.toFixed(1)} ms p99 ${b.p99Ms.toFixed(1)} ms (limit ${b.limitMs} ms), ${b.tries} window(s)`] : []),
    ...measures(s),
    ...(Object.keys(s.instruments).length ? [`instruments, processes started per second by lbctl (all on the host): ${instrumentsLine(s.instruments)}`] : []),
    ...(s.established ? [`established connections: ${keptLine(s.established)}`] : []),
    ...(s.sticky ? [`sticky clients (by ${s.sticky.by}): ${s.sticky.kept} of ${s.sticky.total} kept their server`] : []),
  ]
  if (out.length) body.push(`      <system-out>${xmlEscape(out.join('\n'))}</system-out>`)
  return [head, ...body, '    </testcase>'].join('\n')
}

export function junitXml(report: FailoverReport): string {
  const count = (st: ScenarioResult['status'][]) => report.scenarios.filter((s) => st.includes(s.status)).length
  const cases = report.scenarios.map((s) => testcase(report, s))
  // A run refused before any scenario still fails the CI job: one errored testcase says why.
  const refused = report.refused ?? (report.unreachable ? `unreachable: ${report.unreachable}` : undefined)
  if (refused) cases.push(`    <testcase${attrs({classname: `failover.${report.cluster}`, name: 'preflight', time: '0'})}>\n      <error${attrs({message: refused.split('\n')[0], type: 'Refused'})}>${xmlEscape(refused)}</error>\n    </testcase>`)
  const suite = attrs({
    name: `lbctl failover-test ${report.cluster}`,
    tests: cases.length,
    failures: count(['fail']),
    errors: count(['error', 'inconclusive']) + (refused ? 1 : 0),
    skipped: count(['skipped', 'not_run']),
    time: secs(report.durationMs),
    timestamp: report.startedAt.replace(/\.\d+Z$/, ''),
  })
  return ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites${attrs({name: 'lbctl failover-test'})}>`, `  <testsuite${suite}>`, ...cases, '  </testsuite>', '</testsuites>', ''].join('\n')
}
