/**
 * Who held which VIP, and when, from the directors' event streams (tracker-script.ts): pure functions, unit-tested in
 * test/unit/failover-holds.test.ts. Every time is exact to the host's time stamp (moved onto the controller's clock),
 * not to a sampling interval: between two events a director's state is known to be what the first one left.
 */
import type {SplitBrain, StaleVip, VipEvent} from './types.js'

/**
 * A director's claim on one VIP over an interval:
 *   live     the address is up on an interface whose link is up, and keepalived runs
 *   stale    the address is there but keepalived does not run (killed: it could not remove it) — or keepalived started
 *            again and has not yet removed the address it found (it removes leftovers at start-up, claims them later)
 *   isolated the address is on an interface whose link is down: nobody can reach it there
 *   none     the address is not there
 */
export type HoldState = 'live' | 'stale' | 'isolated' | 'none'

export interface Hold {
  director: string
  start: number
  end: number
  state: HoldState
}

export interface TrackedState {
  /** Address → the interface it is on. */
  addresses: Map<string, string>
  /** Interface → link up. */
  links: Map<string, boolean>
  keepalived: boolean
  haproxy?: boolean
}

/** A stretch of time over which a director's state did not change; `known: false` = its stream said nothing then. */
export interface Segment {
  director: string
  start: number
  end: number
  known: boolean
  state: TrackedState
}

const empty = (): TrackedState => ({addresses: new Map(), links: new Map(), keepalived: false})
const copy = (s: TrackedState): TrackedState => ({...s, addresses: new Map(s.addresses), links: new Map(s.links)})

export function byDirector(events: readonly VipEvent[]): Map<string, VipEvent[]> {
  const out = new Map<string, VipEvent[]>()
  for (const e of events) {
    if (!out.has(e.director)) out.set(e.director, [])
    out.get(e.director)!.push(e)
  }
  // Stable: events of one time stamp keep their order (a pid change is "down" then "up" at the same instant).
  for (const list of out.values()) list.sort((a, b) => a.t - b.t)
  return out
}

function apply(s: TrackedState, e: VipEvent): void {
  switch (e.kind) {
    case 'add':
      s.addresses.set(e.what!, e.iface ?? '')
      break
    case 'del':
      s.addresses.delete(e.what!)
      break
    case 'link':
      s.links.set(e.what!, e.up === true)
      break
    case 'keepalived':
      s.keepalived = e.up === true
      break
    case 'haproxy':
      s.haproxy = e.up === true
      break
  }
}

/**
 * Each director's states over time. `start` begins knowledge (state cleared, then the snapshot's events at the same
 * instant fill it), `end` ends it; the last known state lasts until `until` or the director's last event.
 */
export function segments(events: readonly VipEvent[], until?: number): Map<string, Segment[]> {
  const out = new Map<string, Segment[]>()
  for (const [director, list] of byDirector(events)) {
    const segs: Segment[] = []
    let state: TrackedState | undefined
    let since = 0
    const close = (t: number) => {
      if (state && t > since) segs.push({director, start: since, end: t, known: true, state: copy(state)})
      since = t
    }
    for (const e of list) {
      if (e.kind === 'start') {
        close(e.t)
        state = empty()
        continue
      }
      if (e.kind === 'end') {
        close(e.t)
        state = undefined
        continue
      }
      if (!state) continue
      if (e.t > since) close(e.t)
      apply(state, e)
    }
    const last = list[list.length - 1]
    close(Math.max(until ?? last.t, last.t))
    out.set(director, segs)
  }
  return out
}

/** The state of each director at `t` (undefined where its stream said nothing about that moment). */
export function statesAt(events: readonly VipEvent[], t: number): Map<string, TrackedState | undefined> {
  const out = new Map<string, TrackedState | undefined>()
  for (const [director, segs] of segments(events, t)) {
    out.set(director, segs.find((s) => s.start <= t && t <= s.end)?.state)
  }
  return out
}

function holdOf(s: TrackedState, vip: string, inherited: boolean): HoldState {
  const iface = s.addresses.get(vip)
  if (iface === undefined) return 'none'
  if (s.links.get(iface) === false) return 'isolated'
  return s.keepalived && !inherited ? 'live' : 'stale'
}

/** Per director, its hold on `vip` as consecutive intervals (unknown stretches left out). */
export function holds(events: readonly VipEvent[], vip: string, until?: number): Map<string, Hold[]> {
  const out = new Map<string, Hold[]>()
  for (const [director, segs] of segments(events, until)) {
    const list: Hold[] = []
    let inherited = false
    for (const s of segs) {
      // Held while keepalived was dead: a keepalived started again removes such an address before it claims the VIP.
      if (!s.state.addresses.has(vip)) inherited = false
      else if (!s.state.keepalived) inherited = true
      const state = holdOf(s.state, vip, inherited)
      const prev = list.at(-1)
      if (prev && prev.state === state && prev.end === s.start) prev.end = s.end
      else list.push({director, start: s.start, end: s.end, state})
    }
    out.set(director, list)
  }
  return out
}

function overlaps(a: Hold[], b: Hold[]): {start: number; end: number}[] {
  const out: {start: number; end: number}[] = []
  for (const x of a) for (const y of b) {
    const start = Math.max(x.start, y.start)
    const end = Math.min(x.end, y.end)
    if (end > start) out.push({start, end})
  }
  return out.sort((p, q) => p.start - q.start)
}

/**
 * Split brain: two directors running keepalived, each with the VIP up on a live link, at the same time for longer
 * than `minMs`. A VRRP handover overlaps for as long as the new master's first advert takes to reach the old one and
 * be acted on (about a millisecond on a LAN, more on a loaded host); a VRID mismatch or a partition overlaps until
 * someone repairs it.
 */
export function splitBrains(events: readonly VipEvent[], vips: readonly string[], minMs: number, until?: number): SplitBrain[] {
  const out: SplitBrain[] = []
  for (const vip of vips) {
    const live = [...holds(events, vip, until)].map(([d, list]) => [d, list.filter((h) => h.state === 'live')] as const)
    for (let i = 0; i < live.length; i++) {
      for (let j = i + 1; j < live.length; j++) {
        const both = overlaps(live[i][1], live[j][1]).filter((o) => o.end - o.start > minMs)
        if (both.length === 0) continue
        out.push({vip, directors: [live[i][0], live[j][0]], start: both[0].start, durationMs: both.reduce((n, o) => n + o.end - o.start, 0)})
      }
    }
  }
  return out
}

/** The longest both-live overlap of any two directors on any of `vips`, in ms (0 when none): a handover's cost. */
export function longestOverlapMs(events: readonly VipEvent[], vips: readonly string[], until?: number): number {
  let best = 0
  for (const vip of vips) {
    const live = [...holds(events, vip, until).values()].map((list) => list.filter((h) => h.state === 'live'))
    for (let i = 0; i < live.length; i++) for (let j = i + 1; j < live.length; j++) for (const o of overlaps(live[i], live[j])) best = Math.max(best, o.end - o.start)
  }
  return best
}

/**
 * A VIP left on a director whose keepalived is gone (killed with SIGKILL, so it could not remove it): that director
 * still answers ARP for it. Not a split brain — only one VRRP speaker claims the VIP — but worth reporting.
 */
export function staleVips(events: readonly VipEvent[], vips: readonly string[], until?: number): StaleVip[] {
  const out: StaleVip[] = []
  for (const vip of vips) {
    for (const [director, list] of holds(events, vip, until)) {
      const stale = list.filter((h) => h.state === 'stale')
      if (stale.length) out.push({vip, director, start: stale[0].start, durationMs: stale.reduce((n, h) => n + h.end - h.start, 0)})
    }
  }
  return out
}

/** The first moment at or after `after` when a director other than `from` held `vip` live. */
export function movedAt(events: readonly VipEvent[], vip: string, from: string, after: number): {at: number; to: string} | undefined {
  let best: {at: number; to: string} | undefined
  for (const [director, list] of holds(events, vip)) {
    if (director === from) continue
    const h = list.find((x) => x.state === 'live' && x.end > after)
    if (!h) continue
    const at = Math.max(after, h.start)
    if (!best || at < best.at) best = {at, to: director}
  }
  return best
}

/** Live holders of each VIP at `t`. */
export function holdersAt(events: readonly VipEvent[], vips: readonly string[], t: number): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const vip of vips) {
    out[vip] = [...holds(events, vip, t)]
      .filter(([, list]) => list.some((h) => h.state === 'live' && h.start <= t && t <= h.end))
      .map(([d]) => d)
      .sort()
  }
  return out
}
