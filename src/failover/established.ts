/**
 * What established connections keep through a failover (--established N): before the fault, N long downloads
 * through the VIP (a path that answers slowly and long, the lab's /stream: 8 MiB at 32 KiB/s), each on its own
 * connection from the controller. After the VIP moved, each is judged by whether data still arrives:
 *   kept      data arrived after the VIP moved (+ 1 s), and the connection is still open
 *   reset     it ended with an error (the new director answered RST: it has no such connection)
 *   stalled   open, but nothing arrived for the last 2 s (packets go nowhere)
 *   ended     the download finished (too short a resource for the test)
 * Connections that end on the director (HAProxy) cannot survive the VIP's move; LVS forwards them through only when the
 * backup holds a synchronised copy of the connection table (keepalived's lvs_sync_daemon).
 */
import {request} from 'node:http'
import {cmd} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import type {EstablishedMeasure, ProbeTarget} from './types.js'

interface Stream {
  start: number
  /** The controller's end of the connection, `ADDRESS:PORT`, as IPVS lists it (once connected). */
  local?: string
  lastData?: number
  bytes: number
  end?: {at: number; how: string}
  destroy: () => void
}

const STALL_MS = 2000

export interface EstablishedSet {
  /** `ADDRESS:PORT` of every connection that has connected. */
  locals(): string[]
  /** How many every director's IPVS table held at the fault (set by the caller; reported with the measure). */
  synced?: number
  /** Which of them (`ADDRESS:PORT`), to tell a lost synchronised connection from one the backup never knew. */
  syncedLocals?: Set<string>
  /** Judges every connection at `at` (run time) against the VIP's move, then closes them all. */
  finish(at: number, movedAt: number | undefined): EstablishedMeasure
  /** After finish(): one line per connection not kept — its client end, what happened, when against the move. */
  lost(): string[]
}

export function openEstablished(target: ProbeTarget, n: number, path: string, now: () => number): EstablishedSet {
  const streams: Stream[] = []
  for (let i = 0; i < n; i++) {
    const s: Stream = {start: now(), bytes: 0, destroy: () => {}}
    const req = request({host: target.address, port: target.port, path, agent: false, headers: {Connection: 'close', 'User-Agent': 'lbctl-failover-test established'}}, (res) => {
      res.on('data', (d: Buffer) => {
        s.bytes += d.length
        s.lastData = now()
      })
      res.on('end', () => (s.end ??= {at: now(), how: 'ended'}))
      res.on('error', (e: NodeJS.ErrnoException) => (s.end ??= {at: now(), how: e.code ?? 'error'}))
    })
    req.on('error', (e: NodeJS.ErrnoException) => (s.end ??= {at: now(), how: e.code ?? 'error'}))
    req.on('socket', (sock) => sock.on('connect', () => (s.local = `${sock.localAddress}:${sock.localPort}`)))
    req.end()
    s.destroy = () => req.destroy()
    streams.push(s)
  }
  const lost: string[] = []
  return {
    locals: () => streams.flatMap((s) => (s.local && !s.end ? [s.local] : [])),
    lost: () => lost,
    finish(at, movedAt) {
      const after = (movedAt ?? at - STALL_MS) + 1000
      const m: EstablishedMeasure = {path, total: n, kept: 0, reset: 0, stalled: 0, ended: 0, notStarted: 0, ...(this.synced !== undefined ? {synced: this.synced} : {})}
      const rel = (t: number | undefined) => (t === undefined ? 'never' : `${((t - (movedAt ?? at)) / 1000).toFixed(2)} s`)
      for (const s of streams) {
        let outcome: 'notStarted' | 'ended' | 'reset' | 'kept' | 'stalled'
        if (s.lastData === undefined && !s.end) outcome = 'notStarted'
        else if (s.end?.how === 'ended') outcome = 'ended'
        else if (s.end) outcome = 'reset'
        else if (s.lastData !== undefined && s.lastData > after && at - s.lastData <= STALL_MS) outcome = 'kept'
        else outcome = 'stalled'
        m[outcome]++
        if (outcome !== 'kept') {
          const synced = this.syncedLocals ? (s.local && this.syncedLocals.has(s.local) ? ', synchronised' : ', not synchronised') : ''
          lost.push(`${s.local ?? 'unconnected'} ${outcome}${s.end ? ` (${s.end.how} at ${rel(s.end.at)})` : ''}, last data ${rel(s.lastData)} from the move, ${s.bytes} bytes${synced}`)
        }
        s.destroy()
      }
      return m
    },
  }
}

/** `ADDRESS:PORT` of each client end in /proc/net/ip_vs_conn (hex fields: `TCP C612F001 D5A4 …`). */
export function ipvsClients(table: string): Set<string> {
  const out = new Set<string>()
  for (const m of table.matchAll(/^\w+\s+([0-9A-F]{8})\s+([0-9A-F]{4})\s/gim)) {
    const ip = m[1].match(/../g)!.map((b) => parseInt(b, 16)).join('.')
    out.add(`${ip}:${parseInt(m[2], 16)}`)
  }
  return out
}

/**
 * Until every director's IPVS table lists every open connection (or `ms` passed): with lvs_sync, the backup learns a
 * connection only when the master's sync thread flushes (IPVS_SYNC_FLUSH_TIME, 2 s) a message it queued on the
 * connection's 3rd packet, then every 50th (sync_threshold "3 50") — on a starved emulated director, later still.
 * A fault before that judges the sync's lag, not whether synced connections survive. Returns how many every
 * director knew.
 */
export async function awaitSynced(directors: Transport[], set: EstablishedSet, ms: number, signal?: AbortSignal): Promise<number> {
  const deadline = Date.now() + ms
  for (;;) {
    const locals = set.locals()
    const tables = await Promise.all(directors.map((d) => d.exec(cmd`cat /proc/net/ip_vs_conn`, {timeoutMs: 5000}).then((r) => ipvsClients(r.stdout), () => new Set<string>())))
    const known = locals.filter((l) => tables.every((t) => t.has(l)))
    set.syncedLocals = new Set(known)
    if (known.length === locals.length || Date.now() > deadline || signal?.aborted) return known.length
    await new Promise((r) => setTimeout(r, 500))
  }
}
