/**
 * Pure measurements over a scenario's probe series: the outage, and the baseline before the fault. Unit-tested in
 * test/unit/failover-analyze.test.ts. What the directors did is in holds.ts.
 */
import type {Baseline, ProbeResult} from './types.js'

export interface FailedRun {
  target: string
  /** Start of its first failed probe. */
  start: number
  /** Start of the first successful probe after it (or the end of probing). */
  end: number
  count: number
}

/**
 * Runs of consecutive failed probes per target, in start order. A run lasts from its first failed probe's start to
 * the next successful probe's start: what a client retrying every interval would have seen.
 */
export function failedRuns(probes: readonly ProbeResult[], endOfProbing?: number): FailedRun[] {
  const byTarget = new Map<string, ProbeResult[]>()
  for (const p of probes) {
    if (!byTarget.has(p.target)) byTarget.set(p.target, [])
    byTarget.get(p.target)!.push(p)
  }
  const runs: FailedRun[] = []
  for (const [target, list] of byTarget) {
    list.sort((a, b) => a.start - b.start)
    let open: FailedRun | undefined
    for (const p of list) {
      if (!p.ok) {
        if (open) open.count++
        else open = {target, start: p.start, end: p.start, count: 1}
      } else if (open) {
        open.end = p.start
        runs.push(open)
        open = undefined
      }
    }
    if (open) {
      const last = list[list.length - 1]
      open.end = endOfProbing ?? last.start + last.latency
      runs.push(open)
    }
  }
  return runs.sort((a, b) => a.start - b.start)
}

/**
 * The client-visible outage between the fault and the restore: the longest failed run that overlaps [from, to) — one
 * that began a moment before the fault counts too (a probe in flight when the VIP vanished) — in ms, and how many
 * probes started in the window failed.
 */
export function outage(probes: readonly ProbeResult[], from: number, to: number, endOfProbing?: number): {longestMs: number; failed: number; total: number; run?: FailedRun} {
  const inWindow = probes.filter((p) => p.start >= from && p.start < to)
  const runs = failedRuns(probes, endOfProbing).filter((r) => r.end > from && r.start < to)
  const run = runs.reduce<FailedRun | undefined>((best, r) => (!best || r.end - r.start > best.end - best.start ? r : best), undefined)
  return {longestMs: run ? run.end - run.start : 0, failed: inWindow.filter((p) => !p.ok).length, total: inWindow.length, run}
}

/** The value below which `q` of the sorted values lie (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]
}

/**
 * Whether the cluster answered before the fault: every probe started in [from, to) succeeded, and their 99th
 * percentile latency is at most half the timeout. Call it at `now` ≥ `to` + that limit: a probe of the window still in
 * flight then counts as slow (with its age as latency). Fewer than half the `expected` answers (a prober that cannot
 * keep up, or answers that never come) is no baseline either.
 */
export function baseline(probes: readonly ProbeResult[], from: number, to: number, now: number, timeoutMs: number, opts: {inFlight?: number[]; expected?: number} = {}): Omit<Baseline, 'tries'> {
  const limitMs = timeoutMs / 2
  const window = probes.filter((p) => p.start >= from && p.start < to)
  const slowInFlight = (opts.inFlight ?? []).filter((start) => start >= from && start < to).map((start) => now - start)
  const latencies = [...window.map((p) => p.latency), ...slowInFlight].sort((a, b) => a - b)
  const failed = window.filter((p) => !p.ok).length
  const p99 = percentile(latencies, 0.99)
  return {
    ok: failed === 0 && p99 <= limitMs && latencies.length > 0 && latencies.length >= (opts.expected ?? 0) / 2,
    windowMs: to - from,
    probes: latencies.length,
    failed,
    unanswered: slowInFlight.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: p99,
    limitMs,
  }
}
