/**
 * Pure measurements over a scenario's probe series and VIP samples. Unit-tested in test/unit/failover-analyze.test.ts.
 */
import type {ProbeResult, SplitBrain, StaleVip, VipSample} from './types.js'

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

/** The samples of one director, in order. */
function perDirector(samples: readonly VipSample[]): Map<string, VipSample[]> {
  const out = new Map<string, VipSample[]>()
  for (const s of samples) {
    if (!out.has(s.director)) out.set(s.director, [])
    out.get(s.director)!.push(s)
  }
  for (const list of out.values()) list.sort((a, b) => a.sent - b.sent)
  return out
}

export interface Interval {
  start: number
  end: number
}

/** Consecutive samples further apart than this (first one sent → second one answered) prove nothing in between. */
export const DEFAULT_MAX_GAP_MS = 200

export type HoldState = 'live' | 'stale' | 'none'

/**
 * Each answered sample of one director (in order) as: holding the VIP with keepalived running (live), holding it
 * without (stale), or not holding it. A VIP a director already held while its keepalived was dead stays stale after
 * keepalived starts again, until it is gone once: keepalived removes leftover VIPs at start-up (a few tens of ms), and
 * claims them only later, so in between its VIP is not a claim.
 */
export function holdStates(list: readonly VipSample[], vip: string): HoldState[] {
  let inherited = false
  return list.map((s) => {
    if (!s.ok) return inherited ? 'stale' : 'none'
    if (!s.addresses.includes(vip)) {
      inherited = false
      return 'none'
    }
    if (!s.keepalived) inherited = true
    return inherited ? 'stale' : 'live'
  })
}

/**
 * When a director certainly held `vip` live (keepalived running and claiming it) or stale. A sample ran somewhere
 * between its send and its answer, so two consecutive samples that both saw the VIP prove it was held from the first
 * one's answer to the second one's send — assuming no flap in between, which is only safe when they are close: a
 * chain breaks when the first was sent more than `maxGapMs` before the second was answered (a director cut off for
 * seconds answers a sample late, and what it answers says nothing about the time it was unreachable). A single sample
 * proves an instant, and no interval.
 */
export function holdIntervals(samples: readonly VipSample[], vip: string, live: boolean, maxGapMs = DEFAULT_MAX_GAP_MS): Map<string, Interval[]> {
  const out = new Map<string, Interval[]>()
  const want: HoldState = live ? 'live' : 'stale'
  for (const [director, all] of perDirector(samples)) {
    const list = all.filter((s) => s.ok) // no answer says nothing either way
    const states = holdStates(list, vip)
    const intervals: Interval[] = []
    let first: VipSample | undefined
    let last: VipSample | undefined
    const close = () => {
      if (first && last && last !== first && last.sent > first.recv) intervals.push({start: first.recv, end: last.sent})
      first = last = undefined
    }
    list.forEach((s, i) => {
      if (last && s.recv - last.sent > maxGapMs) close()
      if (states[i] === want) {
        first ??= s
        last = s
      } else close()
    })
    close()
    out.set(director, intervals)
  }
  return out
}

/** When a sample most likely ran: its middle, or its answer when it took too long for the middle to mean anything. */
export function instant(s: VipSample, maxGapMs = DEFAULT_MAX_GAP_MS): number {
  return s.recv - s.sent > maxGapMs ? s.recv : (s.sent + s.recv) / 2
}

function overlaps(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = []
  for (const x of a) for (const y of b) {
    const start = Math.max(x.start, y.start)
    const end = Math.min(x.end, y.end)
    if (end > start) out.push({start, end})
  }
  return out.sort((p, q) => p.start - q.start)
}

/**
 * Split brain: two directors running keepalived that both certainly held the same VIP at the same time. A normal
 * VRRP handover overlaps for about a millisecond (the new master's first advert on its way to the old one), far less
 * than the sampling interval, so it cannot produce two overlapping certain intervals; a VRID mismatch or a partition
 * overlaps for as long as it lasts.
 */
export function splitBrains(samples: readonly VipSample[], vips: readonly string[], maxGapMs = DEFAULT_MAX_GAP_MS): SplitBrain[] {
  const out: SplitBrain[] = []
  for (const vip of vips) {
    const held = [...holdIntervals(samples, vip, true, maxGapMs)]
    for (let i = 0; i < held.length; i++) {
      for (let j = i + 1; j < held.length; j++) {
        const both = overlaps(held[i][1], held[j][1])
        if (both.length === 0) continue
        out.push({vip, directors: [held[i][0], held[j][0]], start: both[0].start, durationMs: both.reduce((n, x) => n + x.end - x.start, 0)})
      }
    }
  }
  return out
}

/**
 * A VIP left on a director whose keepalived is gone (killed with SIGKILL, so it could not remove it): that director
 * still answers ARP for it. Not a split brain — only one VRRP speaker claims the VIP — but worth reporting.
 */
export function staleVips(samples: readonly VipSample[], vips: readonly string[], maxGapMs = DEFAULT_MAX_GAP_MS): StaleVip[] {
  const out: StaleVip[] = []
  for (const vip of vips) {
    for (const [director, intervals] of holdIntervals(samples, vip, false, maxGapMs)) {
      if (intervals.length === 0) continue
      out.push({vip, director, start: intervals[0].start, durationMs: intervals.reduce((n, x) => n + x.end - x.start, 0)})
    }
  }
  return out
}

/**
 * When the VIP was first seen on a director other than `from` (running keepalived), after `after`: the midpoint between
 * that director's last sample without it and its first sample with it.
 */
export function movedAt(samples: readonly VipSample[], vip: string, from: string, after: number): {at: number; to: string} | undefined {
  let best: {at: number; to: string} | undefined
  for (const [director, list] of perDirector(samples)) {
    if (director === from) continue
    let prev: VipSample | undefined
    for (const s of list) {
      if (!s.ok) continue
      if (s.recv >= after && s.keepalived && s.addresses.includes(vip)) {
        const at = Math.max(after, prev ? (instant(prev) + instant(s)) / 2 : instant(s))
        if (!best || at < best.at) best = {at, to: director}
        break
      }
      prev = s
    }
  }
  return best
}

/** Holders of each VIP by the latest answered sample of every director at time `t` (live keepalived only). */
export function holdersAt(samples: readonly VipSample[], vips: readonly string[], t: number): Record<string, string[]> {
  const latest = new Map<string, VipSample>()
  for (const s of samples) {
    if (!s.ok || s.recv > t) continue
    const cur = latest.get(s.director)
    if (!cur || s.recv > cur.recv) latest.set(s.director, s)
  }
  const out: Record<string, string[]> = {}
  for (const vip of vips) out[vip] = [...latest.values()].filter((s) => s.keepalived && s.addresses.includes(vip)).map((s) => s.director).sort()
  return out
}
