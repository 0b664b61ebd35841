import type {FailoverReport, ScenarioResult} from '../failover/types.js'
import {jsonText} from './json.js'

const sec = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)} s`)
const RESULT: Record<ScenarioResult['status'], string> = {pass: 'PASS', fail: 'FAIL', inconclusive: 'INCONCLUSIVE', skipped: 'SKIP', error: 'ERROR', not_run: 'NOT RUN'}

function row(s: ScenarioResult): string[] {
  const m = s.measures
  const sb = s.splitBrain.length ? `YES ${(Math.max(...s.splitBrain.map((b) => b.durationMs)) / 1000).toFixed(2)} s` : m ? 'no' : '—'
  const restored = !m ? '—' : s.restored ? `yes ${sec(m.returnS)}` : 'NO'
  return [
    s.name,
    s.target ?? '—',
    sec(m?.movedS),
    m ? sec(m.outageS) : '—',
    sec(s.bound?.seconds),
    m?.ratio === undefined ? '—' : m.ratio.toFixed(2),
    m ? `${m.failedProbes}/${m.totalProbes}` : '—',
    sb,
    restored,
    RESULT[s.status],
  ]
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n')
}

/** The terminal summary: one row per scenario, then why each failed or was skipped, notes, and the bounds used. */
export function failoverTable(report: FailoverReport): string {
  const lines: string[] = []
  if (report.unreachable) return `unreachable, nothing was done:\n${report.unreachable}`
  if (report.refused) return `refused: ${report.refused}`
  const keeps = report.scenarios.some((s) => s.established || s.sticky)
  const kept = (s: ScenarioResult) => [
    s.established ? `${s.established.kept}/${s.established.total}` : '—',
    s.sticky ? `${s.sticky.kept}/${s.sticky.total}` : '—',
  ]
  const head = ['SCENARIO', 'TARGET', 'VIP MOVED', 'OUTAGE', 'BOUND', 'RATIO', 'FAILED', 'SPLIT BRAIN', 'RESTORED', 'RESULT']
  lines.push(table(keeps ? [[...head.slice(0, -1), 'CONN KEPT', 'STICKY KEPT', 'RESULT'], ...report.scenarios.map((s) => [...row(s).slice(0, -1), ...kept(s), row(s).at(-1)!])] : [head, ...report.scenarios.map(row)]))
  lines.push('')
  for (const s of report.scenarios) {
    const prefix = {pass: '', fail: 'FAIL: ', inconclusive: 'INCONCLUSIVE: ', error: 'ERROR: ', skipped: 'skipped: ', not_run: ''}[s.status]
    for (const r of s.reasons) lines.push(`${s.name}: ${prefix}${r}`)
    for (const n of s.notes) lines.push(`${s.name}: note: ${n}`)
    if (s.established) lines.push(`${s.name}: established connections (GET ${s.established.path}): ${keptLine(s.established)}`)
    if (s.sticky) lines.push(`${s.name}: sticky clients (by ${s.sticky.by}): ${s.sticky.kept} of ${s.sticky.total} kept their server`)
    if (s.bound && s.measures) lines.push(`${s.name}: bound ${s.bound.formula} = ${s.bound.seconds.toFixed(3)} s`)
  }
  const count = (...st: ScenarioResult['status'][]) => report.scenarios.filter((s) => st.includes(s.status)).length
  const st = report.settings
  const rate = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0))
  lines.push(
    '',
    `${report.cluster}: ${count('pass')} passed, ${count('fail', 'error')} failed, ${count('inconclusive')} inconclusive, ${count('skipped', 'not_run')} skipped/not run — ${(report.durationMs / 1000).toFixed(1)} s${report.interrupted ? '; INTERRUPTED' : ''}`,
    `probes: ${report.targets.some((t) => t.kind !== 'tcp') ? `GET ${st.path}` : 'TCP connect'} every ${st.probeIntervalMs} ms from ${report.prober} = ${rate(report.probeRate)} new connections/s ` +
      `(timeout ${st.probeTimeoutMs} ms) on ${report.targets.map((t) => t.name).join(', ')}; tolerance ${Math.round(st.tolerance * 100)} %`,
    `directors: address and link events streamed, daemon pids checked every ${st.checkIntervalMs} ms; processes started per second by lbctl's instruments (all processes on the host): ${instrumentsLine(report.instruments)}`,
  )
  return lines.join('\n')
}

/** "18 of 20 still moving data after the VIP moved, 2 reset". */
export function keptLine(e: NonNullable<ScenarioResult['established']>): string {
  const rest = [['reset', e.reset], ['stalled', e.stalled], ['finished', e.ended], ['never started', e.notStarted]].filter(([, n]) => n).map(([w, n]) => `${n} ${w}`)
  const synced = e.synced !== undefined ? ` (${e.synced} of ${e.total} on every director's IPVS table before the fault)` : ''
  return `${e.kept} of ${e.total} still moving data after the VIP moved${rest.length ? `, ${rest.join(', ')}` : ''}${synced}`
}

/** "lb1 0.06/s (2.1/s), lb2 …": what watching cost each host. */
export function instrumentsLine(load: FailoverReport['instruments']): string {
  const per = (n: number, s: number) => (s > 0 ? `${(n / s).toFixed(2)}/s` : '—')
  const parts = Object.entries(load).map(([h, l]) => `${h} ${per(l.trackerProcesses, l.seconds)} (${per(l.hostProcesses, l.seconds)})`)
  return parts.join(', ') || '—'
}

/** --json: everything, the probe series and the directors' events included, times in ms since the run started. */
export function failoverJson(report: FailoverReport): string {
  const round = (x: number) => Math.round(x * 10) / 10
  return jsonText({
    ...report,
    scenarios: report.scenarios.map((s) => ({
      ...s,
      probes: s.probes.map((p) => [p.target, round(p.start), round(p.latency), p.ok ? 1 : 0, p.detail]),
      events: s.events.map((e) => [e.director, round(e.t), e.kind, e.what ?? '', e.iface ?? (e.up === undefined ? '' : e.up ? 1 : 0)]),
    })),
    series_format: {probes: ['target', 'start_ms', 'latency_ms', 'ok', 'detail'], events: ['director', 't_ms', 'kind', 'address/interface/pid', 'interface (add, del) or up (link, keepalived, haproxy)']},
  })
}
