/**
 * Client probes from the controller: every `interval` ms one new connection per VIP service, whether or not the
 * previous probes have answered (so they overlap while the VIP is gone), each with its own hard timeout.
 */
import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {connect} from 'node:net'
import type {ProbeResult, ProbeTarget} from './types.js'

export interface Prober {
  start(): Promise<void>
  /** The answered probes so far, and when the ones still in flight started (for the baseline gate). */
  snapshot(): {results: ProbeResult[]; inFlight: number[]}
  /** Stops starting probes, waits for those in flight, returns every result. */
  stop(): Promise<ProbeResult[]>
  /** How late its own timer fired over [from, to]: the worst of each second, in ms (when it can tell). */
  delays?(from: number, to: number): number[]
}

export interface ProbeOptions {
  intervalMs: number
  timeoutMs: number
  /** HTTP(S) path every probe asks for. */
  path: string
}

/** HAProxy's own failure answers are 5xx (502, 503, 504); anything below means the load balancer did its job. */
export const okStatus = (status: number) => status > 0 && status < 500

/**
 * How long this process could not run: a 10 ms ticker sums the gaps between its ticks beyond the tick. On a busy
 * two-core machine the controller can stall for a second (CI saw one probe of 452 "time out" beside two CPU hogs);
 * when the loop resumes Node runs due timers before it reads the sockets, so a plain timer calls an answer that had
 * already arrived lost. A probe's limit is extended by the stalls it lived through (bench/loadgen.mjs does the same).
 */
export function stallMeter(tickMs = 10): {now: () => number; stop: () => void} {
  let last = performance.now()
  let stalled = 0
  const ticker = setInterval(() => {
    const t = performance.now()
    if (t - last - tickMs > 20) stalled += t - last - tickMs
    last = t
  }, tickMs)
  ticker.unref()
  // Including a stall still in progress (the ticker has not run since the loop resumed).
  return {now: () => stalled + Math.max(0, performance.now() - last - tickMs - 20), stop: () => clearInterval(ticker)}
}

const MAX_STALL_CREDIT_MS = 10_000

/**
 * One probe: resolves with its outcome, never rejects. `now` is the run's clock; `stalls` (a stallMeter's now) makes
 * the limit count only time this process could run, at most 10 s more.
 */
export function probeOnce(t: ProbeTarget, timeoutMs: number, now: () => number, path = '/', stalls?: () => number): Promise<ProbeResult> {
  const start = now()
  const stalledAtStart = stalls?.() ?? 0
  let credited = 0
  return new Promise((resolve) => {
    let settled = false
    let cleanup = () => {}
    const finish = (ok: boolean, detail: string) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      cleanup()
      resolve({target: t.name, start, latency: now() - start, ok, detail})
    }
    const expire = () => {
      const owed = stalls ? Math.min(MAX_STALL_CREDIT_MS, stalls() - stalledAtStart) - credited : 0
      if (owed > 5) {
        credited += owed
        timer = setTimeout(expire, owed)
        return
      }
      finish(false, 'timeout')
    }
    let timer = setTimeout(expire, timeoutMs)
    const onError = (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message)
    if (t.kind === 'tcp') {
      const s = connect({host: t.address, port: t.port})
      cleanup = () => s.destroy()
      s.once('connect', () => finish(true, 'connected'))
      s.on('error', onError)
      return
    }
    // agent: false and Connection: close — a new TCP connection per probe, as a new client would open.
    const opts = {host: t.address, port: t.port, path, method: 'GET', agent: false as const, headers: {Connection: 'close', 'User-Agent': 'lbctl-failover-test'}}
    const req = t.kind === 'https' ? httpsRequest({...opts, rejectUnauthorized: false}) : httpRequest(opts)
    cleanup = () => req.destroy()
    req.on('error', onError)
    req.once('response', (res) => {
      res.on('error', onError)
      res.on('data', () => {})
      res.once('end', () => finish(okStatus(res.statusCode ?? 0), String(res.statusCode)))
    })
    req.end()
  })
}

export function controllerProber(targets: ProbeTarget[], opts: ProbeOptions & {now: () => number}): Prober {
  const results: ProbeResult[] = []
  const pending = new Map<Promise<void>, number>()
  let timer: NodeJS.Timeout | undefined
  // The worst lateness of the interval timer in each second: a busy controller starts probes late.
  const late: {t: number; ms: number}[] = []
  let last: number | undefined
  let meter: ReturnType<typeof stallMeter> | undefined
  const fire = () => {
    const now = opts.now()
    if (last !== undefined) {
      const ms = Math.max(0, now - last - opts.intervalMs)
      const cur = late.at(-1)
      if (cur && Math.floor(cur.t / 1000) === Math.floor(now / 1000)) cur.ms = Math.max(cur.ms, ms)
      else late.push({t: now, ms})
    }
    last = now
    for (const t of targets) {
      const started = opts.now()
      const p = probeOnce(t, opts.timeoutMs, opts.now, opts.path, meter?.now).then((r) => {
        results.push(r)
        pending.delete(p)
      })
      pending.set(p, started)
    }
  }
  return {
    async start() {
      meter = stallMeter()
      fire()
      timer = setInterval(fire, opts.intervalMs)
    },
    snapshot: () => ({results: [...results], inFlight: [...pending.values()]}),
    delays: (from, to) => late.filter((x) => x.t >= from && x.t <= to).map((x) => x.ms),
    async stop() {
      if (timer) clearInterval(timer)
      await Promise.all([...pending.keys()])
      meter?.stop()
      return results.sort((a, b) => a.start - b.start)
    },
  }
}
