import {Listr, type ListrTask} from 'listr2'
import type {Cluster, Host} from '../inventory/model.js'
import {RELEASE_STATE, parseReleaseState} from '../modules/release-history.js'
import {cmd} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import {probeFor, type TaskResult} from './execute.js'
import {hostTasks} from './host-tasks.js'
import {READ_JOURNAL, parseJournal, settleJournalCommand} from './journal.js'
import {describeHolder, factsAndLockCommand, newHolder, parseFactsAndLock, unlockCommand} from './lock.js'
import {probeBatch, type ProbeAnswer} from './prefetch.js'
import type {DecideRelease} from './releases.js'
import {RunState, type HostState, type Outcome} from './run-state.js'
import type {Play, Playbook} from './schema.js'
import {limitFilter, playHosts} from './targets.js'

export type Renderer = 'default' | 'simple' | 'silent'
export type {Outcome} from './run-state.js'

/** Opens one transport per host; a failure is an Error in the map (one clear message per host). */
export type Connect = (hosts: Host[]) => Promise<Map<string, Transport | Error>>

export interface RunOptions {
  cluster: Cluster
  playbook: Playbook
  /** What is running, for the lock holder and summaries: deploy, rollback, run NAME. */
  command: string
  /** Which release the run records or activates, decided once every host is locked and read. */
  decideRelease?: DecideRelease
  connect: Connect
  check?: boolean
  diff?: boolean
  limit?: string
  forks?: number
  breakLock?: boolean
  vars?: Record<string, unknown>
  renderer?: Renderer
  /** Ctrl-C: start no new step, finish the one in flight, release every lock. */
  signal?: AbortSignal
}

export interface RunResult {
  outcome: Outcome
  playbook: string
  check: boolean
  releaseId: string
  results: TaskResult[]
  /** Per host: did anything change, did anything fail. */
  hosts: Record<string, HostState>
  /** The first failure: where the run stopped. */
  failure?: {host: string; task: string; message: string}
  errors: string[]
  durationMs: number
}

export const EXIT_CODES: Record<Outcome, number> = {ok: 0, failed: 1, refused: 3, unreachable: 4, interrupted: 130}

function batches<T>(items: T[], serial: number | undefined): T[][] {
  if (!serial || serial >= items.length) return items.length ? [items] : []
  const out: T[][] = []
  for (let i = 0; i < items.length; i += serial) out.push(items.slice(i, i + serial))
  return out
}

/**
 * Phase 1, connect and lock: every targeted host is connected and locked (unless --check) before anything changes
 * anywhere, so an unreachable host, a refused host key or a held lock stops the run while the cluster is untouched.
 * The same round trip brings each host's facts, its journal, its releases and the probes of its first play.
 */
function connectAndLock(run: RunState, opts: RunOptions, peers: Host[], runId: string, firstProbes: Map<string, (ProbeAnswer | undefined)[]>): ListrTask {
  const {cluster} = run
  const useLock = !run.opts.check && opts.playbook.lock !== false
  const targets = run.targets
  return {
    title: `connect to ${targets.length} host(s)${useLock ? ' and take the deploy lock' : ''}`,
    task: async (_, t) => {
      const need = [...targets, ...peers].filter((h) => !run.transports.has(h.name))
      for (const [name, tr] of await opts.connect(need)) run.transports.set(name, tr)
      const bad = [...targets, ...peers].flatMap((h) => {
        const tr = run.transports.get(h.name)
        return tr instanceof Error ? [{h, e: tr}] : []
      })
      if (bad.length) {
        for (const {h, e} of bad) {
          run.errors.push(e.message)
          if (run.hosts[h.name]) run.hosts[h.name].error = e.message
        }
        run.outcome = bad.some(({e}) => /HostKey|host key|Auth/i.test(e.name + e.message)) ? 'refused' : 'unreachable'
        throw new Error(`${bad.length} host(s) could not be reached; nothing was changed:\n${bad.map(({e}) => `  ${e.message}`).join('\n')}`)
      }
      const holder = newHolder(runId, opts.command)
      const mode = !useLock ? 'nolock' : opts.breakLock ? 'break' : 'lock'
      const firstPlay = (h: Host) => run.plays[run.firstPlay(h)].play
      const answers = await Promise.all(
        targets.map(async (h) => {
          const batch = probeBatch(playSteps(firstPlay(h)).map((step) => probeFor(step, run.context(h))))
          const state = cluster.deploy.stateDir
          const command = cmd`${factsAndLockCommand(state, mode)}; echo "lockrc=$?"; sh -c ${RELEASE_STATE.text} lbctl ${state}; sh -c ${READ_JOURNAL.text} lbctl ${state}; ${batch.command}`
          const r = await run.io(h.name).exec(command, JSON.stringify(holder))
          try {
            firstProbes.set(h.name, batch.answers(r.stdout))
          } catch {
            // No prefetched answers: each task probes for itself.
          }
          // Only what comes before the probes' framed answers is the host's own state.
          const head = r.stdout.split(/^[0-9a-f]{24} begin /m)[0]
          return {h, r, head, parsed: parseFactsAndLock(r.stdout)}
        }),
      )
      const held: string[] = []
      for (const {h, r, head, parsed} of answers) {
        run.facts.set(h.name, parsed.facts)
        run.journals.set(h.name, parseJournal(head))
        run.releases.set(h.name, parseReleaseState(head))
        if (parsed.lock === 'acquired') run.locked.push(h.name)
        else if (useLock) held.push(parsed.lock === 'held' ? describeHolder(h.name, parsed.holder).message : `${h.name}: cannot take the lock (exit ${parsed.lockExit}): ${r.stderr.trim()}`)
      }
      if (held.length) {
        run.errors.push(...held)
        run.outcome = 'refused'
        throw new Error(`refused, nothing was changed:\n${held.map((m) => `  ${m}`).join('\n')}`)
      }
      t.title = `connected to ${targets.length} host(s)${useLock ? ', lock taken' : ''}`
    },
  }
}

/** Phase 2, release: which release this run records or activates, the same on every host, from what they hold. */
function decideRelease(run: RunState, decide: DecideRelease | undefined): ListrTask {
  return {
    title: 'release',
    skip: () => run.stopped || !decide,
    task: (_, t) => {
      const d = decide!(run.releases)
      if ('refused' in d) {
        run.errors.push(d.refused)
        run.outcome = 'refused'
        throw new Error(d.refused)
      }
      run.releaseId = d.id
      run.bundle = d.bundle
      Object.assign(run.vars, d.vars)
      t.title = `release ${d.id}`
    },
  }
}

const playSteps = (play: Play) => [...play.tasks, ...(play.post_tasks ?? [])]

/**
 * Phase 3, plays and batches: plays in order, each in batches of `serial` hosts; a failure in a batch stops the
 * run after that batch, leaving every later host as it was. A host done with its last play settles its journal
 * (once every step and check passed) and gives its lock back.
 */
function playTask(run: RunState, index: number, forks: number, firstProbes: Map<string, (ProbeAnswer | undefined)[]>, finish: (h: Host) => Promise<void>): ListrTask {
  const {play, hosts} = run.plays[index]
  const hostTask = (host: Host): ListrTask => ({
    title: host.name,
    task: async (_, ht) => {
      try {
        const probes = index === run.firstPlay(host) ? firstProbes.get(host.name) : undefined
        await ht.newListr(hostTasks(run, play, index, host, probes), {concurrent: false, exitOnError: true}).run()
      } finally {
        if (run.lastPlay(host) === index) await finish(host)
      }
      // A host's row fails when any of its tasks failed (listr2 would otherwise tick a host whose list stopped).
      if (run.hosts[host.name]?.failed) throw new Error(`${host.name} failed`)
    },
  })
  const notRun = () => (run.stopped ? `not run: ${run.interrupted ? 'interrupted' : 'the run stopped after a failure'}` : false)
  return {
    title: `${play.name} (${hosts.length ? hosts.map((h) => h.name).join(', ') : 'no hosts'})`,
    skip: () => (run.stopped ? `${play.name}: not run, the run stopped earlier` : hosts.length === 0 ? `${play.name}: no hosts` : false),
    task: (_, pt) =>
      pt.newListr(
        batches(hosts, play.serial).map((batch) =>
          batch.length === 1
            ? {...hostTask(batch[0]), skip: notRun}
            : {title: batch.map((h) => h.name).join(', '), skip: notRun, task: async (_, bt) => bt.newListr(batch.map(hostTask), {concurrent: Math.max(1, forks), exitOnError: false})},
        ),
        {concurrent: false, exitOnError: false},
      ),
  }
}

/**
 * The run's connection to a host is gone (its SSH session was killed): a fresh one gives the lock back, if the host
 * answers within 5 s, so that only a host that really vanished keeps a (stale) lock.
 */
async function unlockOverNewConnection(connect: Connect, host: Host, unlock: ReturnType<typeof unlockCommand>): Promise<void> {
  const opening = connect([host]).catch(() => undefined)
  const close = (m: Map<string, Transport | Error> | undefined) => m?.forEach((t) => void (t instanceof Error ? undefined : t.close().catch(() => undefined)))
  const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 5000).unref())
  const opened = await Promise.race([opening, timer])
  if (opened === 'late') return void opening.then(close)
  const t = opened?.get(host.name)
  if (t && !(t instanceof Error)) await t.exec(unlock).catch(() => undefined)
  close(opened)
}

/**
 * Runs a playbook against a cluster, HA-safe, in phases: connect and lock; release; plays and batches (tasks,
 * handlers, post-tasks per host); unlock; summary.
 */
export async function runPlaybook(opts: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const {cluster, playbook} = opts
  const check = Boolean(opts.check)
  const inLimit = limitFilter(cluster, opts.limit)
  const plays = playbook.plays.map((p) => ({play: p, hosts: playHosts(cluster, p.hosts).filter(inLimit)}))
  const transports = new Map<string, Transport | Error>()
  const run = new RunState(cluster, plays, transports, {check, diff: Boolean(opts.diff), vars: opts.vars, signal: opts.signal})
  // wait_for vip reads every member director of an instance, also ones --limit leaves out (read only).
  const peers = run.targets.some((h) => h.kind === 'director') ? cluster.directors.filter((d) => !run.targets.includes(d)) : []
  const runId = `${process.pid}-${started}`
  const firstProbes = new Map<string, (ProbeAnswer | undefined)[]>()

  // Phase 4, unlock: a host is given back as soon as it is done, rather than after the last director (a second run
  // takes every lock it needs before it changes anything); the journal loses only what this run finished.
  const finish = async (host: Host) => {
    const i = run.locked.indexOf(host.name)
    if (i < 0) return
    run.locked.splice(i, 1)
    const complete = !run.hosts[host.name]?.failed && !run.interrupted
    const settle = complete && !check ? cmd`${settleJournalCommand(cluster.deploy.stateDir, [...run.handledOn(host.name)])}; ` : cmd``
    const unlock = unlockCommand(cluster.deploy.stateDir, runId)
    try {
      await run.io(host.name).exec(cmd`${settle}${unlock}`)
    } catch {
      await unlockOverNewConnection(opts.connect, host, unlock)
    }
  }

  const list = new Listr(
    [
      connectAndLock(run, opts, peers, runId, firstProbes),
      decideRelease(run, opts.decideRelease),
      ...plays.map((_, i) => playTask(run, i, opts.forks ?? cluster.deploy.forks, firstProbes, finish)),
      {title: 'summary', task: (_, t) => void (t.title = summaryLine(run.results, check))},
    ],
    {
      renderer: opts.renderer ?? 'default',
      // A failed play must not abort the summary: the batch/play skips above stop the run.
      exitOnError: false,
      collectErrors: false,
      // listr2's own SIGINT handler exits the process at once, leaving every lock behind: the command handles it.
      registerSignalListeners: false,
      rendererOptions: {collapseSubtasks: false, showErrorMessage: true},
    } as never,
  )

  try {
    await list.run()
  } catch (error) {
    if (run.outcome === 'ok') {
      run.outcome = 'failed'
      run.errors.push(run.mask((error as Error).message) ?? '')
    }
  } finally {
    await Promise.all(run.targets.map(finish))
    await Promise.all([...transports.values()].map((t) => (t instanceof Error ? undefined : t.close().catch(() => undefined))))
  }

  return {outcome: run.finalOutcome(), playbook: playbook.name, check, releaseId: run.releaseId, results: run.results, hosts: run.hosts, failure: run.failure, errors: run.errors, durationMs: Date.now() - started}
}

export function summaryLine(results: TaskResult[], check: boolean): string {
  const count = (s: string) => results.filter((r) => r.status === s).length
  const changed = count('changed')
  return `${check ? 'check: ' : ''}${count('ok')} ok, ${changed} ${check ? 'would change' : 'changed'}, ${count('failed')} failed, ${count('skipped')} skipped`
}
