/**
 * Who holds which VIP, sampled on every director over its already-open SSH connection, timed on the controller.
 * One command in flight per director: a director that does not answer (its link is down) leaves a gap instead of
 * piling up channels, and its samples resume when it answers again.
 */
import {addressesOf} from '../modules/wait-for.js'
import {raw} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import type {VipSample} from './types.js'

/** Addresses, and whether keepalived runs: a VIP on a director whose keepalived is dead is stale, not claimed. */
export const SAMPLE = raw`ip -4 -o addr show; if pgrep -x keepalived >/dev/null; then echo lbctl-keepalived=up; else echo lbctl-keepalived=down; fi`

export function parseSample(director: string, sent: number, recv: number, stdout: string, code: number): VipSample {
  return {director, sent, recv, ok: code === 0, addresses: [...addressesOf(stdout)], keepalived: /^lbctl-keepalived=up$/m.test(stdout)}
}

export interface Sampler {
  readonly samples: VipSample[]
  /** Stops sampling; waits up to `graceMs` for answers in flight (a cut-off director's may never come). */
  stop(graceMs?: number): Promise<VipSample[]>
}

export function startSampler(transports: Map<string, Transport>, directors: string[], intervalMs: number, now: () => number): Sampler {
  const samples: VipSample[] = []
  let running = true
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
  const loop = async (name: string) => {
    const t = transports.get(name)!
    while (running) {
      const sent = now()
      try {
        const r = await t.exec(SAMPLE)
        samples.push(parseSample(name, sent, now(), r.stdout, r.code))
      } catch {
        samples.push({director: name, sent, recv: now(), ok: false, addresses: [], keepalived: false})
        await sleep(intervalMs) // a lost connection fails at once: do not spin
      }
      const wait = sent + intervalMs - now()
      if (wait > 0 && running) await sleep(wait)
    }
  }
  const loops = directors.map((d) => loop(d))
  return {
    samples,
    async stop(graceMs = 2000) {
      running = false
      await Promise.race([Promise.all(loops), sleep(graceMs)])
      return [...samples].sort((a, b) => a.sent - b.sent)
    },
  }
}
