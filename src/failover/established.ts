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
import type {EstablishedMeasure, ProbeTarget} from './types.js'

interface Stream {
  start: number
  lastData?: number
  bytes: number
  end?: {at: number; how: string}
  destroy: () => void
}

const STALL_MS = 2000

export interface EstablishedSet {
  /** Judges every connection at `at` (run time) against the VIP's move, then closes them all. */
  finish(at: number, movedAt: number | undefined): EstablishedMeasure
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
    req.end()
    s.destroy = () => req.destroy()
    streams.push(s)
  }
  return {
    finish(at, movedAt) {
      const after = (movedAt ?? at - STALL_MS) + 1000
      const m: EstablishedMeasure = {path, total: n, kept: 0, reset: 0, stalled: 0, ended: 0, notStarted: 0}
      for (const s of streams) {
        if (s.lastData === undefined && !s.end) m.notStarted++
        else if (s.end?.how === 'ended') m.ended++
        else if (s.end) m.reset++
        else if (s.lastData !== undefined && s.lastData > after && at - s.lastData <= STALL_MS) m.kept++
        else m.stalled++
        s.destroy()
      }
      return m
    },
  }
}
