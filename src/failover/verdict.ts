import type {Bound, SplitBrain} from './types.js'

export interface VerdictInput {
  expect: string[]
  bound?: Bound
  /** 0.1 = 10 %. */
  tolerance: number
  /** How far the fault's and the VIP's time stamps may be off (their hosts' clock offsets are measured, not exact). */
  timingSlackMs: number
  movedS?: number
  movedTo?: string
  outageS: number
  /** Failed probes the expectation counts (not those in flight when the fault hit), and when each started. */
  failedProbes: number
  failedAt?: {atS?: number; detail: string}[]
  splitBrain: SplitBrain[]
  restored: boolean
  restoreProblem?: string
  stepFailures: string[]
}

const s = (x: number) => `${x.toFixed(2)} s`

/** outage ÷ bound (undefined without a bound). */
export function ratioOf(outageS: number, bound?: Bound): number | undefined {
  return bound && bound.seconds > 0 ? outageS / bound.seconds : undefined
}

/**
 * Why a scenario fails; empty when it passes. The VIP's move time is checked against the bound too, with the clocks'
 * uncertainty as slack: a VIP that moved late fails even when clients were still served, e.g. by the stale VIP on a
 * director whose keepalived was killed. (A cluster that did not answer before the fault gets no verdict at all: see
 * the baseline in scenario.ts.)
 */
export function verdict(v: VerdictInput): string[] {
  const out: string[] = [...v.stepFailures]
  const limit = v.bound ? v.bound.seconds * (1 + v.tolerance) : undefined
  const pct = `${Math.round(v.tolerance * 100)} %`
  if (v.expect.includes('vip_moves')) {
    if (v.movedS === undefined) out.push('the VIP did not move')
    else if (limit !== undefined && v.movedS > limit + v.timingSlackMs / 1000) out.push(`the VIP moved after ${s(v.movedS)}, later than the bound ${s(v.bound!.seconds)} + ${pct}`)
  }
  if (v.expect.includes('vip_stays') && v.movedS !== undefined) out.push(`the VIP moved to ${v.movedTo ?? 'another director'} after ${s(v.movedS)}, but should have stayed`)
  if (v.expect.includes('no_failed_probes') && v.failedProbes > 0) {
    const which = (v.failedAt ?? []).slice(0, 3).map((f) => `${f.detail}${f.atS === undefined ? '' : ` at ${f.atS >= 0 ? '+' : ''}${f.atS.toFixed(2)} s`}`)
    out.push(`${v.failedProbes} probe(s) failed, expected none${which.length ? ` (${which.join(', ')}${v.failedProbes > 3 ? ', …' : ''} against the fault)` : ''}`)
  }
  const ratio = ratioOf(v.outageS, v.bound)
  if (ratio !== undefined && ratio > 1 + v.tolerance) out.push(`outage ${s(v.outageS)} is ${ratio.toFixed(2)} × the bound ${s(v.bound!.seconds)} (tolerance ${pct})`)
  for (const b of v.splitBrain) out.push(`split brain: ${b.vip} held by ${b.directors.join(' and ')} at once for ${(b.durationMs / 1000).toFixed(2)} s`)
  if (!v.restored) out.push(`the cluster did not get back to its initial state${v.restoreProblem ? `: ${v.restoreProblem}` : ''}`)
  return out
}
