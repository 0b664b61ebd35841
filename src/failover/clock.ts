import {raw} from '../shell/index.js'
import type {Transport} from '../transport/types.js'

/**
 * The run's clock: milliseconds since the run started, monotonic (performance.now), and conversions from a host's
 * wall clock, for times a host reports itself (a client's probe loop, an `lbctl-mark` line).
 */
export interface RunClock {
  now(): number
  /** Wall-clock epoch milliseconds of run time 0. */
  readonly epochMs: number
}

export function runClock(): RunClock {
  const t0 = performance.now()
  return {now: () => performance.now() - t0, epochMs: performance.timeOrigin + t0}
}

export interface HostClock {
  /** Host clock minus controller clock, in ms. */
  offsetMs: number
  /** Half the round trip of the best measurement: the offset is right within ± this. */
  uncertaintyMs: number
}

/**
 * NTP's trick, once: ask the host for its time and assume it read its clock halfway through the round trip. The
 * shortest of a few round trips bounds the error best. In the lab every host shares the machine's clock (offset ≈ 0).
 */
export async function hostClock(t: Transport, clock: RunClock, tries = 5): Promise<HostClock> {
  let best: HostClock | undefined
  for (let i = 0; i < tries; i++) {
    const a = clock.now()
    const r = await t.exec(raw`date +%s.%N`)
    const b = clock.now()
    const hostMs = Number(r.stdout.trim()) * 1000
    if (r.code !== 0 || !Number.isFinite(hostMs)) throw new Error(`${t.host}: cannot read its clock (date +%s.%N): ${r.stderr.trim() || r.stdout.trim()}`)
    const m = {offsetMs: hostMs - (clock.epochMs + (a + b) / 2), uncertaintyMs: (b - a) / 2}
    if (!best || m.uncertaintyMs < best.uncertaintyMs) best = m
  }
  return best!
}

/** A host's epoch milliseconds as run time. */
export function toRunTime(hostEpochMs: number, clock: RunClock, host: HostClock): number {
  return hostEpochMs - host.offsetMs - clock.epochMs
}
