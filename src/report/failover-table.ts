import type {FailoverReport, ScenarioResult} from '../failover/types.js'

const sec = (x: number | undefined) => (x === undefined ? '—' : `${x.toFixed(2)} s`)
const RESULT: Record<ScenarioResult['status'], string> = {pass: 'PASS', fail: 'FAIL', skipped: 'SKIP', error: 'ERROR', not_run: 'NOT RUN'}

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
  lines.push(table([['SCENARIO', 'TARGET', 'VIP MOVED', 'OUTAGE', 'BOUND', 'RATIO', 'FAILED', 'SPLIT BRAIN', 'RESTORED', 'RESULT'], ...report.scenarios.map(row)]))
  lines.push('')
  for (const s of report.scenarios) {
    const prefix = {pass: '', fail: 'FAIL: ', error: 'ERROR: ', skipped: 'skipped: ', not_run: ''}[s.status]
    for (const r of s.reasons) lines.push(`${s.name}: ${prefix}${r}`)
    for (const n of s.notes) lines.push(`${s.name}: note: ${n}`)
    if (s.bound && s.measures) lines.push(`${s.name}: bound ${s.bound.formula} = ${s.bound.seconds.toFixed(3)} s`)
  }
  const failed = report.scenarios.filter((s) => s.status === 'fail' || s.status === 'error').length
  const passed = report.scenarios.filter((s) => s.status === 'pass').length
  lines.push(
    '',
    `${report.cluster}: ${passed} passed, ${failed} failed, ${report.scenarios.length - passed - failed} skipped/not run — probes every ${report.settings.probeIntervalMs} ms from ${report.prober} ` +
      `(timeout ${report.settings.probeTimeoutMs} ms) on ${report.targets.map((t) => t.name).join(', ')}; VIPs sampled every ${report.settings.sampleIntervalMs} ms; ` +
      `tolerance ${Math.round(report.settings.tolerance * 100)} %; ${(report.durationMs / 1000).toFixed(1)} s${report.interrupted ? '; INTERRUPTED' : ''}`,
  )
  return lines.join('\n')
}

/** --json: everything, the probe series and VIP samples included, times in ms since the run started. */
export function failoverJson(report: FailoverReport): string {
  const round = (x: number) => Math.round(x * 10) / 10
  return JSON.stringify(
    {
      ...report,
      scenarios: report.scenarios.map((s) => ({
        ...s,
        probes: s.probes.map((p) => [p.target, round(p.start), round(p.latency), p.ok ? 1 : 0, p.detail]),
        samples: s.samples.map((x) => [x.director, round(x.sent), round(x.recv), x.ok ? 1 : 0, x.keepalived ? 1 : 0, x.addresses.filter((a) => s.vips.includes(a) || Object.keys(s.initialHolders).includes(a))]),
      })),
      series_format: {probes: ['target', 'start_ms', 'latency_ms', 'ok', 'detail'], samples: ['director', 'sent_ms', 'recv_ms', 'answered', 'keepalived', 'vips_held']},
    },
    null,
    2,
  )
}
