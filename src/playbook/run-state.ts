import type {Cluster, Host} from '../inventory/model.js'
import type {HostFacts, HostIO, ModuleContext} from '../modules/types.js'
import type {ReleaseState} from '../modules/release-history.js'
import {renderHost, type RenderedFile} from '../render/index.js'
import {redact} from '../render/secret-lines.js'
import type {ExecResult, Transport} from '../transport/types.js'
import type {TaskResult} from './execute.js'
import type {Journal} from './journal.js'
import type {Play} from './schema.js'

export type Outcome = 'ok' | 'failed' | 'refused' | 'unreachable' | 'interrupted'

export interface HostState {
  changed: number
  failed: boolean
  error?: string
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
  outcome: 'ok' | 'failed' | 'refused' | 'unreachable' = 'ok'
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
    for (const h of this.targets) {
      this.hosts[h.name] = {changed: 0, failed: false}
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

  /** Records a result with secrets masked; the plan stays out of the results (its steps carry file contents). */
  record<R extends TaskResult & {plan?: unknown}>(r: R, ignoreErrors = false): R {
    const {plan: _plan, ...clean} = r
    const m = {...r, message: this.mask(r.message)}
    this.results.push({...clean, message: m.message})
    const hs = this.hosts[r.host]
    if (r.status === 'changed') hs.changed++
    if (r.status === 'failed' && !ignoreErrors) {
      hs.failed = true
      this.failure ??= {host: r.host, task: r.task, message: m.message ?? ''}
      if (this.outcome === 'ok') this.outcome = 'failed'
    }
    return m
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

  firstPlay(h: Host): number {
    return this.plays.findIndex((p) => p.hosts.includes(h))
  }

  lastPlay(h: Host): number {
    return this.plays.map((p) => p.hosts.includes(h)).lastIndexOf(true)
  }

  finalOutcome(): Outcome {
    if (this.outcome === 'refused' || this.outcome === 'unreachable') return this.outcome
    return this.interrupted ? 'interrupted' : this.outcome
  }
}
