import type {RunResult} from '../playbook/runner.js'
import type {TaskResult} from '../playbook/execute.js'

const useColor = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR

function paint(line: string): string {
  if (!useColor()) return line
  if (line.startsWith('+++') || line.startsWith('---')) return `\x1b[1m${line}\x1b[0m`
  if (line.startsWith('+')) return `\x1b[32m${line}\x1b[0m`
  if (line.startsWith('-')) return `\x1b[31m${line}\x1b[0m`
  if (line.startsWith('@@')) return `\x1b[36m${line}\x1b[0m`
  return line
}

/** Unified diffs per host per file (secrets were masked when the diffs were made). */
export function diffText(results: TaskResult[]): string {
  const out: string[] = []
  for (const r of results) {
    for (const d of r.diffs ?? []) {
      // createTwoFilesPatch starts with a ==== rule and ---/+++ headers; name the host in them instead.
      const body = d.patch.split('\n').filter((l) => !/^={10,}$/.test(l))
      const rest = body.slice(body.findIndex((l) => l.startsWith('+++')) + 1)
      out.push(paint(`--- ${r.host}:${d.path} (on the host)`), paint(`+++ ${r.host}:${d.path} (rendered)`), ...rest.map(paint))
    }
  }
  return out.join('\n')
}

/** The human summary: one line per host, then where and why the run stopped. */
export function summaryText(run: RunResult): string {
  const lines: string[] = []
  const verb = run.check ? 'would change' : 'changed'
  for (const [host, s] of Object.entries(run.hosts)) {
    const rs = run.results.filter((r) => r.host === host)
    const ok = rs.filter((r) => r.status === 'ok').length
    const skipped = rs.filter((r) => r.status === 'skipped').length
    const state = s.error ? `unreachable: ${s.error}` : s.failed ? 'FAILED' : rs.length === 0 ? 'not run' : 'ok'
    lines.push(`${host.padEnd(16)} ${state.padEnd(8)} ok=${ok} ${verb.replace(' ', '_')}=${s.changed} skipped=${skipped}`)
  }
  if (run.failure) lines.push('', `stopped: ${run.failure.host} failed at "${run.failure.task}": ${run.failure.message}`, 'hosts after it were left as they were.')
  for (const e of run.errors) if (!run.failure || !e.includes(run.failure.message)) lines.push('', e)
  const changed = run.results.filter((r) => r.status === 'changed').length
  lines.push('', `${run.playbook}: ${run.outcome}${run.check ? ' (check: nothing was changed)' : ''} — ${changed} task(s) ${verb}, release ${run.releaseId}, ${(run.durationMs / 1000).toFixed(2)}s`)
  return lines.join('\n')
}

/** --json: per host, per task: status, changed, duration. No file contents, secrets masked. */
export function runJson(run: RunResult, extra: Record<string, unknown> = {}): string {
  const hosts = Object.fromEntries(
    Object.entries(run.hosts).map(([host, s]) => [
      host,
      {
        changed: s.changed,
        failed: s.failed,
        error: s.error,
        tasks: run.results
          .filter((r) => r.host === host)
          .map((r) => ({play: r.play, task: r.task, module: r.module, status: r.status, changed: r.changed, handler: r.handler ?? false, duration_ms: r.durationMs, message: r.message, diffs: r.diffs})),
      },
    ]),
  )
  return JSON.stringify({playbook: run.playbook, outcome: run.outcome, check: run.check, release: run.releaseId, duration_ms: run.durationMs, failure: run.failure, errors: run.errors, ...extra, hosts}, null, 2)
}
