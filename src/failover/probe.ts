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
  /** Stops starting probes, waits for those in flight, returns every result. */
  stop(): Promise<ProbeResult[]>
}

/** HAProxy's own failure answers are 5xx (502, 503, 504); anything below means the load balancer did its job. */
export const okStatus = (status: number) => status > 0 && status < 500

/** One probe: resolves with its outcome, never rejects. `now` is the run's clock. */
export function probeOnce(t: ProbeTarget, timeoutMs: number, now: () => number): Promise<ProbeResult> {
  const start = now()
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
    const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs)
    const onError = (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message)
    if (t.kind === 'tcp') {
      const s = connect({host: t.address, port: t.port})
      cleanup = () => s.destroy()
      s.once('connect', () => finish(true, 'connected'))
      s.on('error', onError)
      return
    }
    // agent: false and Connection: close — a new TCP connection per probe, as a new client would open.
    const opts = {host: t.address, port: t.port, path: '/', method: 'GET', agent: false as const, headers: {Connection: 'close', 'User-Agent': 'lbctl-failover-test'}}
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

export function controllerProber(targets: ProbeTarget[], opts: {intervalMs: number; timeoutMs: number; now: () => number}): Prober {
  const results: ProbeResult[] = []
  const pending = new Set<Promise<void>>()
  let timer: NodeJS.Timeout | undefined
  const fire = () => {
    for (const t of targets) {
      const p = probeOnce(t, opts.timeoutMs, opts.now).then((r) => {
        results.push(r)
        pending.delete(p)
      })
      pending.add(p)
    }
  }
  return {
    async start() {
      fire()
      timer = setInterval(fire, opts.intervalMs)
    },
    async stop() {
      if (timer) clearInterval(timer)
      await Promise.all([...pending])
      return results.sort((a, b) => a.start - b.start)
    },
  }
}
