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

/** One `ip -4 -o addr show` on one director, over its SSH connection. */
export interface VipSample {
  director: string
  /** When the command was sent and when its answer arrived: it ran somewhere in between. */
  sent: number
  recv: number
  /** False when the director did not answer (its link is down, the command failed). */
  ok: boolean
  addresses: string[]
  /** Whether a keepalived process ran on the director at that moment. */
  keepalived: boolean
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

export type ScenarioStatus = 'pass' | 'fail' | 'skipped' | 'error' | 'not_run'

export interface ScenarioMeasures {
  /** Fault → the VIP first seen on another director (live keepalived). */
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
  probes: ProbeResult[]
  samples: VipSample[]
}

export interface FailoverReport {
  cluster: string
  inventory: string
  startedAt: string
  instance?: string
  prober: string
  settings: {probeIntervalMs: number; probeTimeoutMs: number; sampleIntervalMs: number; tolerance: number}
  targets: ProbeTarget[]
  scenarios: ScenarioResult[]
  /** Set when nothing ran: unhealthy cluster, unreachable host. */
  refused?: string
  unreachable?: string
  interrupted: boolean
  ok: boolean
  durationMs: number
}
