import type {z} from 'zod'
import type {Cluster, Host} from '../inventory/model.js'
import type {RenderedFile} from '../render/index.js'
import type {ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'

/** What lbctl learns about a host once per run, in the same round trip as the lock. */
export interface HostFacts {
  /** PID 1 is systemd: services are units. Otherwise "direct" mode (pidfiles in /run, signals). */
  systemd: boolean
  packageManager: 'apt' | 'dnf' | 'yum' | 'none'
  os: string
}

/** Everything a module may read. Planning is pure: no I/O happens through this. */
export interface ModuleContext {
  cluster: Cluster
  host: Host
  /** Every file rendered for this host (the desired state). */
  files: RenderedFile[]
  facts: HostFacts
  /** --check: plan only, change nothing. */
  check: boolean
  /** --diff: modules that change files return unified diffs. */
  diff: boolean
  /** The release this run records (deploy) or activates (rollback). */
  releaseId: string
  /** Digest of the whole cluster's desired files and sysctls (deploy): how hosts recognise one release. Never printed. */
  bundle?: string
  /** Extra variables from the command (e.g. rollback target). */
  vars: Record<string, unknown>
  /** Aborted on Ctrl-C: modules that wait (wait_for) stop waiting. */
  signal?: AbortSignal
}

/** One remote command a plan wants run, with what to say if it fails. */
export interface Step {
  label: string
  command: ShellCommand
  stdin?: string | Buffer
  /**
   * The command reads its stdin with sh's `read` only and stops at an end of its own, so a batch of steps hands it
   * the batch's stdin directly instead of a copy (playbook/prefetch.ts). It must read all of it when it exits 0.
   */
  selfDelimited?: boolean
  /** The step is the task's result (the command module): its rc, stdout and stderr are kept and judged, not just checked for 0. */
  output?: boolean
}

export interface FileDiff {
  path: string
  /** Unified diff, secrets masked. */
  patch: string
}

export interface Plan {
  /** ok: nothing to do; changed: steps make the change; failed: cannot proceed (message says why). */
  status: 'ok' | 'changed' | 'failed'
  message?: string
  steps: Step[]
  diffs?: FileDiff[]
  /** Files this plan changes. */
  changedPaths?: string[]
  /** Services whose configuration this plan changes (handlers notified with `notify: auto`). */
  services?: string[]
  /** The release this plan leaves current on the host (the release module): what the recap reports the host runs. */
  current?: string
  /** Exactly what this change touches, when the plan knows better than the module's `effects` (the paths, the keys). */
  writes?: StateTag[]
  /** Services this change leaves running their new files, so that their reload handlers would change nothing. */
  handles?: string[]
  /** A blind plan's (Module.blind) outcome, from what its steps printed once all of them passed. */
  settle?(ran: ExecResult[]): {status: 'ok' | 'changed'; message: string}
}

/** Runs commands on the module's host or, for checks that span the cluster (VIP owner), on a peer. */
export interface HostIO {
  exec(command: ShellCommand, stdin?: string | Buffer): Promise<ExecResult>
  peer(host: string): HostIO
}

/**
 * Parts of a host's state, what a probe reads and a step changes, named from the whole down: `file` (every managed
 * file) or `file:/etc/x`, `sysctl` or `sysctl:net.ipv4.conf.` (a key or a prefix of keys), `service:haproxy`,
 * `releases` or `releases:staged`, `net` (addresses and routes), `nic`, `journal`. A read and a change collide when
 * one names a part of the other (one is a prefix of the other). An answer read before a change stays valid while
 * the change collides with nothing the probe read, so a host's steps can be sent together.
 */
export type StateTag = string

export const collides = (read: StateTag, write: StateTag) => read.startsWith(write) || write.startsWith(read)

export interface Module<A = unknown> {
  name: string
  args: z.ZodType<A>
  /**
   * What this module's probe reads and its steps change. Only modules that say so have their steps batched with
   * their neighbours' (one round trip for a run of changes); any other module runs on its own, and a change it
   * makes is taken to touch everything.
   */
  effects?(args: A): {reads: StateTag[]; writes: StateTag[]}
  /**
   * Fact-reading command, one round trip; its result goes to plan(). Modules without a probe plan from the
   * context alone.
   */
  probe?(args: A, ctx: ModuleContext): ShellCommand
  plan?(args: A, probe: ExecResult | undefined, ctx: ModuleContext): Plan
  /**
   * A plan made without the probe, for when a change queued before it in the same round trip would make the probe's
   * answer stale: its steps look on the host and act there (`status || start`), and its `settle` says from their
   * output whether anything changed (or it changes whatever the probe would say). The host is then spared a round
   * trip for the probe alone. Undefined: these args need the probe.
   */
  blind?(args: A, ctx: ModuleContext): Plan | undefined
  /** Modules that must poll (wait_for) run imperatively instead. Returns the outcome. */
  run?(args: A, ctx: ModuleContext, io: HostIO): Promise<Plan>
  /**
   * For a module that runs (polls): a read-only first look, sent with the play's probes. While nothing this run
   * changed on the host collides with `reads`, an answer that `settle` accepts ends the task with no round trip of
   * its own (a no-op's health checks); any other answer, or none, and the module runs as usual.
   */
  firstLook?(args: A, ctx: ModuleContext): FirstLook | undefined
}

export interface FirstLook {
  probe: ShellCommand
  reads: StateTag[]
  /** The task's outcome from the answer, or undefined: the module must run. */
  settle(answer: ExecResult): Plan | undefined
}

export function ok(message?: string): Plan {
  return {status: 'ok', message, steps: []}
}

export function failed(message: string): Plan {
  return {status: 'failed', message, steps: []}
}
