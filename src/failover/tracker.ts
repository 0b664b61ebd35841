/**
 * The controller's side of VIP tracking: one tracker (tracker-script.ts) per director for the whole run, on one SSH
 * channel each. Its lines become VipEvents on the run's time line: the host stamps each one, and the offset between
 * the host's clock and the controller's is measured with `ping` round trips on the same channel (NTP's assumption:
 * the host read its clock halfway through the best round trip).
 */
import type {RemoteProcess, Transport} from '../transport/types.js'
import type {HostClock, RunClock} from './clock.js'
import {trackerCommand, type TrackerArgs} from './tracker-script.js'
import type {InstrumentLoad, VipEvent} from './types.js'

/** `N: DEV    inet A.B.C.D/P …` (addresses) and `N: DEV[@PEER]: <FLAGS> … state S …` (links), "Deleted " first when gone. */
const ADDRESS = /^(Deleted )?\d+: (\S+)\s+inet (\d+\.\d+\.\d+\.\d+)\//
const LINK = /^(Deleted )?\d+: ([^:@\s]+)(?:@\S+)?: <([^>]*)>.*? state (\S+)/

/** An address or link line of `ip -o`, as an event (undefined for anything else: IPv6, routes …). */
export function parseIpLine(director: string, t: number, line: string): VipEvent | undefined {
  const a = ADDRESS.exec(line)
  if (a) return {director, t, kind: a[1] ? 'del' : 'add', what: a[3], iface: a[2]}
  const l = LINK.exec(line)
  if (l) {
    const flags = l[3].split(',')
    // A deleted link is down; NO-CARRIER or state DOWN: the cable (or the veth peer) is gone even if admin-up.
    const up = !l[1] && flags.includes('UP') && flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER') && l[4] !== 'DOWN'
    return {director, t, kind: 'link', what: l[2], up}
  }
  return undefined
}

/**
 * `[2026-12-02T04:44:14.118672] LINE` (ip -ts, the host's local time without a zone) → the line and its epoch ms.
 * The zone is what separates that stamp from the shell's own epoch stamp of the same line, rounded to 15 minutes.
 */
export function ipStamp(rest: string, shellMs: number): {line: string; atMs: number} {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)\] (.*)$/.exec(rest)
  if (!m) return {line: rest, atMs: shellMs}
  const asUtc = Date.parse(`${m[1].slice(0, 23)}Z`) + Number(`0.${m[1].slice(23) || '0'}`)
  if (!Number.isFinite(asUtc)) return {line: m[2], atMs: shellMs}
  const zone = Math.round((shellMs - asUtc) / 900_000) * 900_000
  const atMs = asUtc + zone
  // Never later than the shell saw it; never absurdly earlier (a wrong zone guess).
  return {line: m[2], atMs: atMs <= shellMs && shellMs - atMs < 60_000 ? atMs : shellMs}
}

interface Counter {
  /** Host epoch ms. */
  hostMs: number
  lastPid: number
  forks: number
  /** The most the tracker's timed waits overran in the second before (ms). */
  lateMs?: number
}

interface Pending {
  sentAt: number
  resolve: (hostMs: number) => void
}

/** One director's stream. Events keep the host's time until the offset is known. Exported for its unit test. */
export class DirectorStream {
  proc?: RemoteProcess
  private buf = ''
  private snapshot: string[] = []
  readonly raw: (Omit<VipEvent, 't'> & {hostMs: number})[] = []
  readonly counters: Counter[] = []
  /** Clock offset measurements (host − controller, ± half the round trip), one a second: clocks drift. */
  readonly clockSamples: {hostMs: number; offsetMs: number; uncertaintyMs: number}[] = []
  /** Host epoch ms of the latest line: the state is known up to then. */
  knownUntil = -Infinity
  started = false
  ended = false
  /** A clock measurement is in flight. */
  pinging = false
  error?: string
  private pings = new Map<string, Pending>()
  private waiters: (() => void)[] = []

  constructor(readonly director: string) {}

  feed(chunk: string): void {
    this.buf += chunk
    let nl: number
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl)
      this.buf = this.buf.slice(nl + 1)
      this.line(line)
    }
  }

  private line(line: string): void {
    const [tag, time] = line.split(' ', 2)
    const hostMs = Number(time) * 1000
    if (tag === 'I') return void this.snapshot.push(line.slice(2))
    if (tag === 'E') {
      this.error = line.slice(2)
      return this.wake()
    }
    if (!Number.isFinite(hostMs)) return
    this.knownUntil = Math.max(this.knownUntil, hostMs)
    const rest = line.slice(tag.length + time.length + 2)
    const d = this.director
    switch (tag) {
      case 'S': {
        this.raw.push({director: d, kind: 'start', hostMs})
        for (const l of this.snapshot) {
          const e = parseIpLine(d, 0, l)
          if (e) this.raw.push({...e, hostMs})
        }
        this.snapshot = []
        this.counter(hostMs, rest.split(' ')[0], '0')
        this.started = true
        break
      }
      case 'A': {
        const {line: ipLine, atMs} = ipStamp(rest, hostMs)
        const e = parseIpLine(d, 0, ipLine)
        if (e) this.raw.push({...e, hostMs: atMs})
        break
      }
      case 'K':
      case 'P': {
        const [up, pid] = rest.split(' ')
        this.raw.push({director: d, kind: tag === 'K' ? 'keepalived' : 'haproxy', up: up === '1', ...(pid ? {what: pid} : {}), hostMs})
        break
      }
      case 'Q': {
        this.pings.get(rest)?.resolve(hostMs)
        this.pings.delete(rest)
        break
      }
      case 'H':
      case 'X': {
        const [lastPid, forks, late] = rest.split(' ')
        this.counter(hostMs, lastPid, forks, late)
        if (tag === 'X') this.ended = true
        break
      }
    }
    this.wake()
  }

  private counter(hostMs: number, lastPid: string, forks: string, late?: string): void {
    if (/^\d+$/.test(lastPid) && /^\d+$/.test(forks)) {
      this.counters.push({hostMs, lastPid: Number(lastPid), forks: Number(forks), ...(late && /^-?\d+$/.test(late) ? {lateMs: Math.max(0, Number(late)) / 1000} : {})})
    }
  }

  /** Resolves on the next line (or error). */
  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r))
  }

  wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }

  ping(id: string, now: () => number): Promise<{sentAt: number; hostMs: number; recvAt: number}> {
    return new Promise((resolve) => {
      const sentAt = now()
      this.pings.set(id, {sentAt, resolve: (hostMs) => resolve({sentAt, hostMs, recvAt: now()})})
      this.proc?.write(`ping ${id}\n`)
    })
  }
}

export interface TrackerOptions extends Omit<TrackerArgs, 'maxSeconds'> {
  clock: RunClock
  /** Give up on a director whose tracker has not reported its snapshot after this long. */
  startTimeoutMs?: number
  maxSeconds?: number
}

export class VipTracker {
  private readonly streams = new Map<string, DirectorStream>()
  private seq = 0
  private clockTimer?: NodeJS.Timeout

  private constructor(private readonly clock: RunClock) {}

  /**
   * Starts a tracker on every director and measures each one's clock offset. A director whose tracker cannot start
   * is left out, with the reason in `problems`.
   */
  static async start(transports: Map<string, Transport>, directors: string[], o: TrackerOptions): Promise<VipTracker> {
    const tracker = new VipTracker(o.clock)
    await Promise.all(directors.map((d) => tracker.startOne(d, transports.get(d)!, o)))
    tracker.keepMeasuring()
    return tracker
  }

  private async startOne(director: string, t: Transport, o: TrackerOptions): Promise<void> {
    const s = new DirectorStream(director)
    this.streams.set(director, s)
    try {
      s.proc = await t.stream(trackerCommand({...o, maxSeconds: o.maxSeconds ?? 3600}), (chunk) => s.feed(chunk))
    } catch (e) {
      s.error = (e as Error).message
      return
    }
    s.proc.done.then(
      (r) => {
        if (!s.ended) s.error ??= `its tracker ended (exit code ${r.code}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-1)[0]}` : ''})`
        s.ended = true
        s.wake()
      },
      (e: Error) => {
        s.error ??= e.message
        s.ended = true
        s.wake()
      },
    )
    const deadline = this.clock.now() + (o.startTimeoutMs ?? 30_000)
    while (!s.started && !s.ended && !s.error && this.clock.now() < deadline) {
      await Promise.race([s.next(), new Promise((r) => setTimeout(r, 250))])
    }
    if (!s.started) {
      s.error ??= `its tracker did not start within ${((o.startTimeoutMs ?? 30_000) / 1000).toFixed(0)} s`
      s.proc.close()
      return
    }
    for (let i = 0; i < 5; i++) await this.measureClock(s, 2000)
    if (s.clockSamples.length === 0) s.error ??= 'its tracker does not answer pings'
  }

  private async measureClock(s: DirectorStream, timeoutMs: number): Promise<void> {
    s.pinging = true
    const p = await Promise.race([s.ping(String(++this.seq), this.clock.now), new Promise<undefined>((r) => setTimeout(r, timeoutMs))])
    s.pinging = false
    if (p) s.clockSamples.push({hostMs: p.hostMs, offsetMs: p.hostMs - (this.clock.epochMs + (p.sentAt + p.recvAt) / 2), uncertaintyMs: (p.recvAt - p.sentAt) / 2})
  }

  /**
   * The clock at a host moment. Only round trips close to the best count: a ping that waited out a cut link (the host
   * answers it seconds later, when TCP retransmits) says little about the offset — taking it placed a VIP two seconds
   * early. Among those, the one nearest in time: an emulated director's clock drifts by tenths of a second within
   * seconds when the machine is busy.
   */
  private clockAt(s: DirectorStream, hostMs: number): HostClock | undefined {
    if (s.clockSamples.length === 0) return undefined
    const best = Math.min(...s.clockSamples.map((c) => c.uncertaintyMs))
    const good = s.clockSamples.filter((c) => c.uncertaintyMs <= Math.max(25, 3 * best))
    const nearest = good.reduce((a, b) => (Math.abs(b.hostMs - hostMs) < Math.abs(a.hostMs - hostMs) ? b : a))
    return {offsetMs: nearest.offsetMs, uncertaintyMs: nearest.uncertaintyMs}
  }

  /** Measures every director's clock once a second for as long as the trackers run. */
  private keepMeasuring(): void {
    this.clockTimer = setInterval(() => {
      // One ping at a time: while a link is cut they would only pile up.
      for (const s of this.streams.values()) if (s.proc && !s.ended && !s.error && !s.pinging) void this.measureClock(s, 5000)
    }, 1000)
    this.clockTimer.unref()
  }

  /** Directors whose tracker could not start or was lost, and why. */
  problems(): string[] {
    return [...this.streams.values()].filter((s) => s.error).map((s) => `${s.director}: ${s.error}`)
  }

  private run(s: DirectorStream, hostMs: number): number {
    return hostMs - (this.clockAt(s, hostMs)?.offsetMs ?? 0) - this.clock.epochMs
  }

  /** A director's clock as measured over its tracker's channel, around host moment `hostMs` (default: the best). */
  clockOf(director: string, hostMs?: number): HostClock | undefined {
    const s = this.streams.get(director)
    if (!s) return undefined
    if (hostMs !== undefined) return this.clockAt(s, hostMs)
    const best = s.clockSamples.reduce<(typeof s.clockSamples)[number] | undefined>((a, b) => (!a || b.uncertaintyMs < a.uncertaintyMs ? b : a), undefined)
    return best && {offsetMs: best.offsetMs, uncertaintyMs: best.uncertaintyMs}
  }

  /** How far two directors' time stamps may disagree: the sum of the two largest (best) clock uncertainties. */
  uncertaintyMs(): number {
    const u = [...this.streams.keys()].map((d) => this.clockOf(d)?.uncertaintyMs ?? 0).sort((a, b) => b - a)
    return (u[0] ?? 0) + (u[1] ?? 0)
  }

  /** Run time up to which a director's state is known (its latest line). */
  knownUntil(director: string): number {
    const s = this.streams.get(director)
    return s && Number.isFinite(s.knownUntil) ? this.run(s, s.knownUntil) : -Infinity
  }

  /** Every event so far, on the run's time line; a lost stream ends with an `end` at its last line. */
  events(): VipEvent[] {
    const out: VipEvent[] = []
    for (const s of this.streams.values()) {
      for (const {hostMs, ...e} of s.raw) out.push({...e, t: this.run(s, hostMs)})
      if (s.ended && Number.isFinite(s.knownUntil)) out.push({director: s.director, t: this.run(s, s.knownUntil), kind: 'end'})
    }
    return out.sort((a, b) => a.t - b.t)
  }

  /**
   * The events of [from, to]: each director's state at `from` (a `start` and the events that rebuild it, all at
   * `from`), what happened in between, and an `end` where knowledge stops (its latest line, or `to`).
   */
  slice(from: number, to: number): VipEvent[] {
    const all = this.events()
    const out: VipEvent[] = []
    for (const director of this.streams.keys()) {
      const mine = all.filter((e) => e.director === director)
      const lastStart = mine.filter((e) => e.kind === 'start' && e.t <= from).at(-1)
      if (lastStart) {
        const before = mine.filter((e) => e.t >= lastStart.t && e.t <= from)
        if (!before.some((e) => e.kind === 'end')) {
          // Replayed at `from`: only the net effect matters (a later event about the same thing wins).
          const last = new Map<string, VipEvent>()
          for (const e of before) if (e.kind !== 'start') last.set(`${e.kind === 'del' ? 'add' : e.kind}:${e.kind === 'keepalived' || e.kind === 'haproxy' ? '' : e.what}`, e)
          out.push({director, t: from, kind: 'start'})
          for (const e of last.values()) if (e.kind !== 'del') out.push({...e, t: from})
        }
      }
      const known = Math.min(to, this.knownUntil(director))
      for (const e of mine) if (e.t > from && e.t <= known) out.push(e)
      out.push({director, t: Math.max(from, known), kind: 'end'})
    }
    return out.sort((a, b) => a.t - b.t)
  }

  /**
   * Until every live director has reported up to run time `t` (a ping makes it report at once), or `timeoutMs`.
   * A director cut off answers when its link is back: its late lines still carry the host's times.
   */
  async sync(t: number, timeoutMs: number): Promise<void> {
    const deadline = this.clock.now() + timeoutMs
    await Promise.all(
      [...this.streams.values()].map(async (s) => {
        if (!s.proc || s.ended) return
        while (!s.ended && this.run(s, s.knownUntil) < t && this.clock.now() < deadline) {
          const id = String(++this.seq)
          const p = await Promise.race([s.ping(id, this.clock.now), new Promise<undefined>((r) => setTimeout(r, Math.max(0, Math.min(1000, deadline - this.clock.now()))))])
          if (p) s.knownUntil = Math.max(s.knownUntil, p.hostMs)
        }
      }),
    )
  }

  /** What the instruments cost each director over [from, to] (the tracker's heartbeats nearest inside it). */
  load(from: number, to: number): Record<string, InstrumentLoad> {
    const out: Record<string, InstrumentLoad> = {}
    for (const s of this.streams.values()) {
      const inside = s.counters.map((c) => ({...c, t: this.run(s, c.hostMs)})).filter((c) => c.t >= from - 1000 && c.t <= to + 1000)
      if (inside.length < 2) continue
      const a = inside[0]
      const b = inside[inside.length - 1]
      out[s.director] = {trackerProcesses: b.forks - a.forks, hostProcesses: Math.max(0, b.lastPid - a.lastPid), seconds: (b.t - a.t) / 1000}
    }
    return out
  }

  /** How late the directors' timed waits woke up over [from, to]: the worst of each second, every director, in ms. */
  delays(from: number, to: number): number[] {
    const out: number[] = []
    for (const s of this.streams.values()) {
      for (const c of s.counters) {
        const t = this.run(s, c.hostMs)
        if (c.lateMs !== undefined && t >= from && t <= to + 1000) out.push(c.lateMs)
      }
    }
    return out
  }

  /** Ends every tracker (EOF on its stdin) and waits briefly for its last words. */
  async stop(graceMs = 2000): Promise<void> {
    clearInterval(this.clockTimer)
    await Promise.race([
      Promise.all(
        [...this.streams.values()].map(async (s) => {
          if (!s.proc || s.ended) return
          s.proc.end()
          await s.proc.done.catch(() => undefined)
        }),
      ),
      new Promise((r) => setTimeout(r, graceMs)),
    ])
    for (const s of this.streams.values()) if (!s.ended) s.proc?.close()
  }
}
