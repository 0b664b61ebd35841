/**
 * Data of a failover test. Every time is in milliseconds on the controller's monotonic clock, counted from the start
 * of the run (`FailoverReport.startedAt` is that instant as a wall-clock time), so probes, VIP samples and the
 * fault/restore marks of one run can be put on one axis.
 */

/** A service clients reach on a VIP: what a probe connects to. */
export interface ProbeTarget {
  /** e.g. "web 198.18.0.100:80" (HAProxy section or LVS service name, then the address). */
  name: string
  kind: 'http' | 'https' | 'tcp'
  address: string
  port: number
}

export interface ProbeResult {
  target: string
  /** When the probe started (its connect() call). */
  start: number
  /** Until the answer (HTTP: the whole response; TCP: the connection), the error or the timeout. */
  latency: number
  ok: boolean
  /** HTTP status, "connected", or the error: ECONNREFUSED, timeout, ECONNRESET … */
  detail: string
}

/**
 * One thing a director's tracker reported (tracker-script.ts), on the run's time line:
 *   start       the director's stream begins (or a scenario's slice: the state at that moment follows at the same t)
 *   end         nothing is known after this (its stream was lost, or the slice ends)
 *   add / del   address `what` appeared on / left interface `iface`
 *   link        interface `what` went up / down
 *   keepalived / haproxy   the daemon started (`up`, pid in `what`) or stopped running
 */
export interface VipEvent {
  director: string
  t: number
  kind: 'start' | 'end' | 'add' | 'del' | 'link' | 'keepalived' | 'haproxy'
  what?: string
  iface?: string
  up?: boolean
}

/** Established connections through the fault (established.ts). */
export interface EstablishedMeasure {
  path: string
  total: number
  /** Still moving data after the VIP moved. */
  kept: number
  reset: number
  stalled: number
  ended: number
  notStarted: number
  /** With lvs_sync: how many every director's IPVS table held when the fault ran. */
  synced?: number
}

/** Sticky clients through the fault (sticky.ts): each identity's server before and after. */
export interface StickyMeasure {
  /** cookie: one source, a cookie jar each; source: a source address each (on the --from client). */
  by: 'cookie' | 'source'
  total: number
  /** Still sent to the server they had before the fault. */
  kept: number
  clients: {id: string; before?: string; after?: string}[]
}

/** What the instruments cost a host over a scenario (see tracker-script.ts). */
export interface InstrumentLoad {
  /** Processes the tracker itself started (its monitor and snapshot, once per run). */
  trackerProcesses: number
  /** Every process (and thread) started on the host meanwhile, from its last allocated pid: the fault steps, keepalived's check scripts … */
  hostProcesses: number
  seconds: number
}

/** The probes before the fault: whether the cluster answered well enough for a verdict to mean anything. */
export interface Baseline {
  ok: boolean
  windowMs: number
  probes: number
  failed: number
  /** Of `probes`, still unanswered at the window's judgement (counted with their age as latency). */
  unanswered: number
  p50Ms: number
  p99Ms: number
  /** p99 may not exceed this (half the probe timeout). */
  limitMs: number
  /** How many windows were tried before it passed (or gave up). */
  tries: number
}

/** A scenario's timer bound, from the inventory's configuration (see bounds.ts). */
export interface Bound {
  kind: 'track_script' | 'master_down' | 'skew' | 'haproxy_check'
  seconds: number
  /** The formula with its terms filled in, for the report. */
  formula: string
  terms: Record<string, number>
}

export interface SplitBrain {
  vip: string
  directors: [string, string]
  /** When both were first certainly holding the VIP, and for how long (see analyze.ts). */
  start: number
  durationMs: number
}

export interface StaleVip {
  vip: string
  director: string
  start: number
  durationMs: number
}

export interface StepOutcome {
  phase: 'fault' | 'restore'
  host: string
  task: string
  status: 'ok' | 'changed' | 'failed' | 'skipped'
  message?: string
  /** When its last remote command was sent (for a fault: the moment it was done). */
  at: number
  durationMs: number
}

/** inconclusive: the cluster did not answer the probes before the fault, so no fault was injected and no verdict given. */
export type ScenarioStatus = 'pass' | 'fail' | 'inconclusive' | 'skipped' | 'error' | 'not_run'

export interface ScenarioMeasures {
  /** Fault → the VIP up on another director (live keepalived). */
  movedS?: number
  /** Longest run of failed probes after the fault and before the restore, as a duration. */
  outageS: number
  failedProbes: number
  totalProbes: number
  /** Failed probes after the restore started (the VIP going back). */
  failedDuringReturn: number
  /** outage ÷ bound. */
  ratio?: number
  /** Restore started → every VIP where it should be and every daemon healthy. */
  returnS?: number
  /** The longest time two directors both held a VIP live (a handover's overlap; a split brain when long). */
  overlapMs: number
}

export interface ScenarioResult {
  name: string
  description: string
  status: ScenarioStatus
  /** Why it failed, was skipped or not run; empty when it passed. */
  reasons: string[]
  /** Remarks that do not fail it (a stale VIP on a killed director, a nopreempt VIP staying). */
  notes: string[]
  target?: string
  instance?: string
  vips: string[]
  expect: string[]
  bound?: Bound
  measures?: ScenarioMeasures
  splitBrain: SplitBrain[]
  staleVips: StaleVip[]
  restored: boolean
  /** Where each VIP ended up, and where it was before. */
  initialHolders: Record<string, string[]>
  finalHolders: Record<string, string[]>
  times: {start: number; fault?: number; moved?: number; restore?: number; restored?: number; end: number}
  steps: StepOutcome[]
  baseline?: Baseline
  probes: ProbeResult[]
  /** The directors' VIP and daemon events over the scenario (the state at its start first). */
  events: VipEvent[]
  /** Per host: what the instruments cost it. */
  instruments: Record<string, InstrumentLoad>
  established?: EstablishedMeasure
  sticky?: StickyMeasure
}

export interface FailoverReport {
  cluster: string
  inventory: string
  startedAt: string
  instance?: string
  prober: string
  settings: {probeIntervalMs: number; probeTimeoutMs: number; path: string; checkIntervalMs: number; tolerance: number}
  /** New connections per second the probes open, all targets together. */
  probeRate: number
  targets: ProbeTarget[]
  scenarios: ScenarioResult[]
  /** Per director, over the whole run: what the instruments cost it. */
  instruments: Record<string, InstrumentLoad>
  /** Per director: its clock minus the controller's, and how exactly that is known (± ms), from ping round trips. */
  clocks: Record<string, {offsetMs: number; uncertaintyMs: number}>
  /** Set when nothing ran: unhealthy cluster, unreachable host. */
  refused?: string
  unreachable?: string
  interrupted: boolean
  ok: boolean
  durationMs: number
}
