import type {Cluster, Host} from '../inventory/model.js'
import type {HostFacts, HostIO, ModuleContext} from '../modules/types.js'
import type {ReleaseState} from '../modules/release-history.js'
import {renderHost, type RenderedFile} from '../render/index.js'
import {redact} from '../render/secret-lines.js'
import type {ExecResult, Transport} from '../transport/types.js'
import type {TaskResult} from './execute.js'
import type {RunEvent, RunListener} from './events.js'
import type {Journal} from './journal.js'
import type {Play} from './schema.js'

export type Outcome = 'ok' | 'failed' | 'refused' | 'unreachable' | 'invalid' | 'interrupted'

/** One host's part of a run: Ansible's PLAY RECAP columns, and which release it ends on. */
export interface HostState {
  ok: number
  changed: number
  skipped: number
  /** A task failed (and was not ignored). */
  failed: boolean
  /** The host could not be connected to, or refused us (host key, authentication, lock): nothing ran there. */
  unreachable: boolean
  refused: boolean
  error?: string
  /** The release the host ran when the run started (undefined: none, or not read). */
  releaseBefore?: string
  /** Files were activated on the host in this run (a template or activate_release step changed something). */
  activated: boolean
  /** The run recorded its release on the host (it was not current before). */
  recorded: boolean
  /** The release the host is on once the run's release step ran (recorded now, or already current). */
  releaseCurrent?: string
}

/**
 * Everything one run knows and has done, shared by its phases (runner.ts) and the host task lists (host-tasks.ts).
 * A failure that is not ignored flips the outcome at once, so the next batch or play sees it and leaves its hosts
 * alone.
 */
export class RunState {
  readonly results: TaskResult[] = []
  readonly errors: string[] = []
  readonly hosts: Record<string, HostState> = {}
  readonly facts = new Map<string, HostFacts>()
  readonly journals = new Map<string, Journal>()
  readonly releases = new Map<string, ReleaseState>()
  /** Hosts whose lock this run holds. */
  readonly locked: string[] = []
  /** Services reloaded or started per host in this run: what its journal may drop once the host is done. */
  readonly handled = new Map<string, Set<string>>()
  readonly files = new Map<string, RenderedFile[]>()
  private readonly listeners: RunListener[] = []
  outcome: Exclude<Outcome, 'interrupted'> = 'ok'
  failure?: {host: string; task: string; message: string}
  releaseId = ''
  bundle?: string
  vars: Record<string, unknown>

  constructor(
    readonly cluster: Cluster,
    readonly plays: {play: Play; hosts: Host[]}[],
    readonly transports: Map<string, Transport | Error>,
    readonly opts: {check: boolean; diff: boolean; vars?: Record<string, unknown>; signal?: AbortSignal},
  ) {
    this.vars = {...opts.vars}
    this.setClusterState('serving')
    for (const h of this.targets) {
      this.hosts[h.name] = {ok: 0, changed: 0, skipped: 0, failed: false, unreachable: false, refused: false, activated: false, recorded: false}
      this.files.set(h.name, renderHost(cluster, h.name))
    }
  }

  get targets(): Host[] {
    return [...new Map(this.plays.flatMap((p) => p.hosts).map((h) => [h.name, h])).values()]
  }

  get interrupted(): boolean {
    return Boolean(this.opts.signal?.aborted)
  }

  /** The run stopped starting new work: a failure, a refusal, or Ctrl-C. */
  get stopped(): boolean {
    return this.outcome !== 'ok' || this.interrupted
  }

  mask(s: string | undefined): string | undefined {
    return s === undefined ? s : redact(s, this.cluster.secrets)
  }

  listen(l: RunListener): void {
    this.listeners.push(l)
  }

  emit(e: RunEvent): void {
    for (const l of this.listeners) l(e)
  }

  /**
   * Records a result with secrets masked, counts it for the recap and tells the views; the plan stays out of the
   * results (its steps carry file contents).
   */
  record<R extends TaskResult & {plan?: {changedPaths?: string[]; current?: string}}>(r: R, ignoreErrors = false): R {
    const {plan: _plan, ...clean} = r
    const result: TaskResult = {...clean, message: this.mask(r.message), stdout: this.mask(r.stdout), stderr: this.mask(r.stderr)}
    this.results.push(result)
    const hs = this.hosts[r.host]
    // As Ansible's PLAY RECAP counts them: ok is every step that succeeded, changed the part of them that changed.
    if (r.status === 'changed') hs.changed++
    if (r.status === 'ok' || r.status === 'changed') hs.ok++
    if (r.status === 'skipped') hs.skipped++
    if (r.status === 'changed' && !this.opts.check && r.plan?.changedPaths?.length) hs.activated = true
    if (r.status !== 'failed' && r.status !== 'skipped' && !this.opts.check && r.plan?.current) {
      hs.releaseCurrent = r.plan.current
      hs.recorded ||= r.status === 'changed'
    }
    if (r.status === 'failed' && !ignoreErrors) {
      hs.failed = true
      this.failure ??= {host: r.host, task: r.task, message: result.message ?? ''}
      if (this.outcome === 'ok') this.outcome = 'failed'
    }
    this.emit({type: 'task', result})
    return {...r, message: result.message, stdout: result.stdout, stderr: result.stderr}
  }

  handledOn(host: string): Set<string> {
    if (!this.handled.has(host)) this.handled.set(host, new Set())
    return this.handled.get(host)!
  }

  io(name: string): HostIO {
    const t = this.transports.get(name)
    return {
      exec: async (command, stdin): Promise<ExecResult> => {
        if (!t || t instanceof Error) throw new Error(`${name} is not connected${t ? `: ${t.message}` : ''}`)
        return t.exec(command, stdin === undefined ? undefined : {stdin})
      },
      peer: (other) => this.io(other),
    }
  }

  context(host: Host): ModuleContext {
    return {
      cluster: this.cluster,
      host,
      files: this.files.get(host.name) ?? [],
      // Probes do not read facts (they decide systemd/dpkg on the host), so they can be built before facts exist.
      facts: this.facts.get(host.name) ?? {systemd: false, packageManager: 'none', os: ''},
      check: this.opts.check,
      diff: this.opts.diff,
      releaseId: this.releaseId,
      bundle: this.bundle,
      vars: this.vars,
      signal: this.opts.signal,
    }
  }

  /**
   * Plays this run leaves out: those for the other state of the cluster (`cluster: new | serving`). Until the run
   * knows, it assumes a serving cluster (the common case), so the first round trip carries the right probes then.
   */
  skippedPlays = new Set<number>()
  /** Plays that started with the play before them (with_previous), and which one that was. */
  readonly alongside = new Map<number, number>()
  /** What the run found when the playbook has plays for one state of the cluster. */
  clusterState?: {state: 'new' | 'serving'; why: string}

  firstPlay(h: Host): number {
    return this.plays.findIndex((p, i) => !this.skippedPlays.has(i) && p.hosts.includes(h))
  }

  lastPlay(h: Host): number {
    return this.plays.map((p, i) => !this.skippedPlays.has(i) && p.hosts.includes(h)).lastIndexOf(true)
  }

  /** Which plays a cluster in this state runs: `new` leaves out the `serving` plays and the reverse. */
  setClusterState(state: 'new' | 'serving'): void {
    this.skippedPlays = new Set(this.plays.flatMap((p, i) => (p.play.cluster && p.play.cluster !== state ? [i] : [])))
  }

  /** The release a targeted host runs now, as far as this run knows: recorded, activated but not recorded, or as it was. */
  releaseAfter(host: string): string {
    const hs = this.hosts[host]
    if (hs.releaseCurrent) return hs.releaseCurrent
    if (hs.activated) return `${this.releaseId} (files active, release not recorded)`
    return hs.releaseBefore ?? 'no release'
  }

  /**
   * VRRP instances whose targeted directors now run different releases — after a run that stopped half-way, a
   * backup on the new files and the master on the old: a pair that must not stay that way.
   */
  mixedInstances(): {instance: string; directors: {name: string; release: string}[]}[] {
    const read = (name: string) => this.hosts[name] && !this.hosts[name].unreachable && !this.hosts[name].refused && this.facts.has(name)
    return this.cluster.instances.flatMap((inst) => {
      const directors = [...new Set(inst.members.map((m) => m.director))].filter(read).map((name) => ({name, release: this.releaseAfter(name)}))
      return new Set(directors.map((d) => d.release)).size > 1 ? [{instance: inst.name, directors}] : []
    })
  }

  finalOutcome(): Outcome {
    if (this.outcome !== 'ok' && this.outcome !== 'failed') return this.outcome
    return this.interrupted ? 'interrupted' : this.outcome
  }
}
