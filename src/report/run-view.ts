import type {RunResult} from '../playbook/runner.js'
import type {TaskResult} from '../playbook/execute.js'

import {jsonText} from './json.js'

export {SCHEMA_VERSION} from './json.js'

const useColor = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR

function paint(line: string): string {
  if (!useColor()) return line
  if (line.startsWith('+++') || line.startsWith('---')) return `\x1b[1m${line}\x1b[0m`
  if (line.startsWith('+')) return `\x1b[32m${line}\x1b[0m`
  if (line.startsWith('-')) return `\x1b[31m${line}\x1b[0m`
  if (line.startsWith('@@')) return `\x1b[36m${line}\x1b[0m`
  return line
}

const loud = (line: string) => (useColor() ? `\x1b[1;31m${line}\x1b[0m` : line)

/** Unified diffs per host per file (secrets were masked when the diffs were made). */
export function diffText(results: TaskResult[]): string {
  const out: string[] = []
  for (const r of results) {
    for (const d of r.diffs ?? []) {
      // createTwoFilesPatch starts with a ==== rule and ---/+++ headers; name the host in them instead.
      const body = d.patch.split('\n').filter((l) => !/^={10,}$/.test(l))
      const rest = body.slice(body.findIndex((l) => l.startsWith('+++')) + 1)
      const to = r.module === 'activate_release' ? 'in the release' : 'rendered'
      out.push(paint(`--- ${r.host}:${d.path} (on the host)`), paint(`+++ ${r.host}:${d.path} (${to})`), ...rest.map(paint))
    }
  }
  return out.join('\n').trimEnd()
}

/** -v: every command task's rc, stdout and stderr, per host (secrets masked when they were recorded). */
export function commandOutputText(results: TaskResult[]): string {
  return results
    .filter((r) => r.rc !== undefined)
    .map((r) => [`==> ${r.host}: ${r.task} (rc=${r.rc}) <==`, `stdout:${block(r.stdout)}`, `stderr:${block(r.stderr)}`].join('\n'))
    .join('\n')
}

const block = (s: string | undefined) => (s?.trim() ? `\n${s.trimEnd()}` : ' (none)')

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Ansible's PLAY RECAP: one row per host, the same columns in the same order, and why a host did not run. */
export function recapText(run: RunResult): string {
  const rows = Object.entries(run.hosts).sort(([a], [b]) => a.localeCompare(b, 'en', {numeric: true}))
  // A run refused before any host did anything (a release no host has) has nothing to recap.
  if (rows.every(([, s]) => s.ok + s.changed + s.skipped === 0 && !s.failed && !s.error)) return ''
  const width = Math.max(4, ...rows.map(([h]) => h.length))
  const lines = ['PLAY RECAP']
  for (const [host, s] of rows) {
    const cols = `ok=${s.ok}`.padEnd(7) + `changed=${s.changed}`.padEnd(12) + `failed=${s.failed ? 1 : 0}`.padEnd(10) + `unreachable=${s.unreachable ? 1 : 0}`.padEnd(15) + `skipped=${s.skipped}`
    const ran = s.ok + s.changed + s.skipped > 0 || s.failed
    const why = s.refused ? `refused: ${s.error}` : s.unreachable ? `unreachable: ${s.error}` : s.failed || ran ? '' : 'not run'
    lines.push(`${host.padEnd(width)} : ${cols}${why ? `  ${why}` : ''}`.trimEnd())
  }
  return lines.join('\n')
}

/** After a run that stopped half-way: which hosts changed and which did not, and directors left on different releases. */
export function stopText(run: RunResult): string {
  const lines: string[] = []
  if (run.failure) lines.push(`stopped: ${run.failure.host} failed at "${run.failure.task}": ${run.failure.message}`)
  // Each error once: a host's own (unreachable, refused, locked) is on its recap row already.
  const onRows = new Set(Object.values(run.hosts).map((s) => s.error))
  for (const e of run.errors) if (!onRows.has(e) && (!run.failure || !e.includes(run.failure.message))) lines.push(e)
  const stopped = run.outcome === 'failed' || run.outcome === 'interrupted'
  if (stopped && !run.check) {
    const hosts = Object.entries(run.hosts)
    const changed = hosts.filter(([, s]) => s.changed > 0).map(([h]) => h)
    const unchanged = hosts.filter(([, s]) => s.changed === 0).map(([h]) => h)
    if (run.outcome === 'interrupted') lines.push('interrupted: the steps in flight finished, no other started, and every lock was released.')
    lines.push(`changed: ${changed.join(', ') || 'none'}`, `not changed: ${unchanged.join(', ') || 'none'}`)
  }
  for (const m of run.mixed) {
    lines.push(loud(`WARNING: the directors of ${m.instance} now run different releases: ${m.directors.map((d) => `${d.name} ${d.release}`).join(', ')}.`))
    lines.push(loud(`  A failover now changes the configuration that serves. Run \`lbctl ${run.command.startsWith('run ') ? run.command : run.command === 'rollback' ? 'rollback' : 'deploy'}\` again to finish, or \`lbctl rollback\` to go back.`))
  }
  return lines.join('\n')
}

/** One line that says what happened, honestly: the outcome, what changed, and the release only when one was recorded. */
export function verdictText(run: RunResult): string {
  const hosts = Object.values(run.hosts)
  const changedHosts = hosts.filter((s) => s.changed > 0).length
  const changes = hosts.reduce((n, s) => n + s.changed, 0)
  const recorded = hosts.filter((s) => s.recorded).length
  const name = `${run.command}${run.check ? ' --check' : ''}`
  const took = secs(run.durationMs)
  switch (run.outcome) {
    case 'ok':
      if (run.check) return `${name}: ok — ${changes ? `${changes} change(s) pending on ${changedHosts} host(s)` : 'no changes'}; nothing was changed (${took})`
      return `${name}: ok — ${changedHosts ? `${changedHosts} of ${hosts.length} host(s) changed` : 'nothing changed'}${recorded ? `, release ${run.releaseId} recorded on ${recorded} host(s)` : ''}${run.clusterState?.state === 'new' ? '; new cluster: directors started together' : ''} (${took})`
    case 'failed':
      return `${name}: FAILED${run.failure ? ` — ${run.failure.host} failed at "${run.failure.task}"` : ''}; ${changedHosts} host(s) changed before it stopped (${took})`
    case 'interrupted':
      return `${name}: INTERRUPTED — ${changedHosts} host(s) changed before it stopped; every lock released (${took})`
    case 'refused':
      return `${name}: REFUSED — nothing was changed (${took})`
    case 'unreachable':
      return `${name}: UNREACHABLE — nothing was changed (${took})`
    case 'invalid':
      return `${name}: INVALID — nothing was changed (${took})`
  }
}

/** The data part of a run on a terminal: recap, what stopped it, the verdict. */
export function summaryText(run: RunResult): string {
  return [recapText(run), stopText(run), verdictText(run)].filter(Boolean).join('\n\n')
}

/** --json: per host the recap and per task status, changed, duration, message, the command's output. Secrets masked. */
export function runJson(run: RunResult, extra: Record<string, unknown> = {}): string {
  const hosts = Object.fromEntries(
    Object.entries(run.hosts).map(([host, s]) => [
      host,
      {
        ok: s.ok,
        changed: s.changed,
        failed: s.failed,
        unreachable: s.unreachable,
        refused: s.refused,
        skipped: s.skipped,
        error: s.error,
        release_before: s.releaseBefore ?? null,
        release_after: run.check ? (s.releaseBefore ?? null) : s.releaseAfter,
        tasks: run.results
          .filter((r) => r.host === host)
          .map((r) => ({play: r.play, task: r.task, module: r.module, status: r.status, changed: r.changed, handler: r.handler ?? false, duration_ms: r.durationMs, message: r.message, diffs: r.diffs, rc: r.rc, stdout: r.stdout, stderr: r.stderr})),
      },
    ]),
  )
  const recorded = Object.values(run.hosts).some((s) => s.recorded)
  return jsonText({
    command: run.command,
    playbook: run.playbook,
    outcome: run.outcome,
    check: run.check,
    release: run.releaseId,
    release_recorded: recorded,
    duration_ms: run.durationMs,
    failure: run.failure,
    errors: run.errors,
    mixed_releases: run.mixed,
    cluster_state: run.clusterState ?? null,
    ...extra,
    hosts,
  })
}
