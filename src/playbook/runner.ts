import {Listr, type ListrTask} from 'listr2'
import type {Cluster, Host} from '../inventory/model.js'
import {RELEASE_STATE, parseReleaseState} from '../modules/release-history.js'
import {ADDR_PROBE, addressesOf} from '../modules/wait-for.js'
import {oneShell, script} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import {refusedByHost} from './connect.js'
import {probeFor, type TaskResult} from './execute.js'
import type {RunListener} from './events.js'
import {prefetchSteps, runHostPlay, type Closing} from './host-tasks.js'
import type {Interrupt} from './interrupt.js'
import {parseJournal, settleAndUnlockCommand} from './journal.js'
import {describeHolder, factsLockAndJournalCommand, newHolder, parseFactsAndLock, unlockCommand} from './lock.js'
import {beforeBatch, probeBatch, type ProbeAnswer} from './prefetch.js'
import type {DecideRelease} from './releases.js'
import {RunState, type HostState, type Outcome} from './run-state.js'
import type {Play, Playbook} from './schema.js'
import {limitFilter, playHosts} from './targets.js'
import {treeOptions, type LiveTree} from './tree.js'

/** tree: the live view on a terminal (stderr); lines: events go to the listener only; silent: nothing. */
export type Renderer = 'tree' | 'lines' | 'silent'
export type {Outcome} from './run-state.js'

/**
 * Opens one transport per host; a failure is an Error in the map (one clear message per host). `onOpen`, when the
 * connector supports it, hears of each connection as soon as it is up.
 */
export type Connect = (hosts: Host[], onOpen?: (t: Transport) => void) => Promise<Map<string, Transport | Error>>

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
  /** Every event of the run (the CI log listens here). */
  listen?: RunListener
  /** Ctrl-C: start no new step, finish the one in flight, release every lock. */
  interrupt?: Interrupt
}

export interface RunResult {
  outcome: Outcome
  playbook: string
  command: string
  check: boolean
  releaseId: string
  results: TaskResult[]
  /** Per host: the recap's counts, whether it was reached, which release it ends on. */
  hosts: Record<string, HostState & {releaseAfter: string}>
  /** The first failure: where the run stopped. */
  failure?: {host: string; task: string; message: string}
  /** VRRP instances whose directors now run different releases. */
  mixed: {instance: string; directors: {name: string; release: string}[]}[]
  /**
   * Set when the playbook has plays for one state of the cluster (`cluster: new | serving`): which state the run
   * found, and why. new = no director held any VIP, so the `new` plays (directors together) ran instead of the
   * HA-safe serial ones.
   */
  clusterState?: {state: 'new' | 'serving'; why: string}
  errors: string[]
  durationMs: number
}

export const EXIT_CODES: Record<Outcome, number> = {ok: 0, failed: 1, invalid: 2, refused: 3, unreachable: 4, interrupted: 130}

function batches<T>(items: T[], serial: number | undefined): T[][] {
  if (!serial || serial >= items.length) return items.length ? [items] : []
  const out: T[][] = []
  for (let i = 0; i < items.length; i += serial) out.push(items.slice(i, i + serial))
  return out
}

const playSteps = (play: Play) => [...play.tasks, ...(play.post_tasks ?? [])]

/**
 * Phase 1, connect and lock: every targeted host is connected and locked (unless --check) before anything changes
 * anywhere, so an unreachable host, a refused host key or a held lock stops the run while the cluster is untouched.
 * The same round trip brings each host's facts, its journal, its releases and the probes of its first play.
 */
function connectAndLock(run: RunState, opts: RunOptions, peers: Host[], runId: string, firstProbes: FirstProbes): ListrTask {
  const {cluster} = run
  const useLock = !run.opts.check && opts.playbook.lock !== false
  const targets = run.targets
  const fail = (outcome: 'refused' | 'unreachable', text: string) => {
    run.outcome = outcome
    run.emit({type: 'phase', status: 'failed', text})
    throw new Error(text)
  }
  return {
    title: `connect to ${targets.length} host(s)${useLock ? ' and take the deploy lock' : ''}`,
    task: async (_, t) => {
      const holder = newHolder(runId, opts.command)
      const mode = !useLock ? 'nolock' : opts.breakLock ? 'break' : 'lock'
      const state = cluster.deploy.stateDir
      // A host's first round trip: facts, lock, journal, and every probe of its first play. The release state rides
      // with the probes: the release module's own probe is the same command, so the batch reads it once for the
      // run's decision and for "stage release" and "record release".
      const firstRoundTrip = async (h: Host) => {
        const index = run.firstPlay(h)
        const releaseProbe = script(RELEASE_STATE, state)
        const batch = probeBatch([releaseProbe, ...prefetchSteps(run.plays[index].play).map((step) => probeFor(step, run.context(h)))], factsLockAndJournalCommand(state, mode))
        const all = await run.io(h.name).exec(batch.command, JSON.stringify(holder))
        // Only what comes before the probes' framed answers is the host's own state.
        const head = beforeBatch(all.stdout)
        const r = {...all, stdout: head, stderr: beforeBatch(all.stderr)}
        let releases: string
        try {
          const [release, ...answers] = batch.answers(all)
          firstProbes.set(h.name, {index, answers})
          releases = release!.stdout
        } catch {
          // No prefetched answers: each task probes for itself.
          releases = (await run.io(h.name).exec(releaseProbe)).stdout
        }
        return {h, r, head, releases, parsed: parseFactsAndLock(r.stdout)}
      }
      type First = Awaited<ReturnType<typeof firstRoundTrip>> | {h: Host; error: Error}
      // Each host's first round trip leaves as soon as its own connection is up, while others still connect.
      const first = new Map<string, Promise<First>>()
      const begin = (h: Host) => {
        if (!first.has(h.name)) first.set(h.name, firstRoundTrip(h).catch((error: Error) => ({h, error})))
      }
      const byName = new Map(targets.map((h) => [h.name, h]))
      const need = [...targets, ...peers].filter((h) => !run.transports.has(h.name))
      const opened = await opts.connect(need, (tr) => {
        const h = byName.get(tr.host)
        if (!h) return
        run.transports.set(tr.host, tr)
        begin(h)
      })
      for (const [name, tr] of opened) run.transports.set(name, tr)
      // A lock some first round trip took is given back however the run ends (finish, below).
      const settled = async () => {
        const all = await Promise.all(first.values())
        for (const a of all) if (!('error' in a) && a.parsed.lock === 'acquired' && !run.locked.includes(a.h.name)) run.locked.push(a.h.name)
        return all
      }
      const bad = [...targets, ...peers].flatMap((h) => {
        const tr = run.transports.get(h.name)
        return tr instanceof Error ? [{h, e: tr}] : []
      })
      if (bad.length) {
        await settled()
        for (const {h, e} of bad) {
          run.errors.push(e.message)
          const hs = run.hosts[h.name]
          if (hs) Object.assign(hs, {error: e.message, refused: refusedByHost(e), unreachable: !refusedByHost(e)})
        }
        const refused = bad.filter(({e}) => refusedByHost(e)).length
        fail(refused ? 'refused' : 'unreachable', `${refused ? `${refused} host(s) refused the connection` : `${bad.length} host(s) could not be reached`}; nothing was changed`)
      }
      // On the same connections, at the same time: whether any director holds any VIP (plays for a new cluster).
      const vipsHeld = clusterStatePlays(run) ? readVipsHeld(run, [...targets, ...peers].filter((h) => h.kind === 'director')) : undefined
      for (const h of targets) begin(h)
      const all = await settled()
      const lost = all.find((a): a is {h: Host; error: Error} => 'error' in a)
      if (lost) throw lost.error
      const answers = all as Exclude<First, {error: Error}>[]
      const held: string[] = []
      for (const {h, r, head, releases, parsed} of answers) {
        run.facts.set(h.name, parsed.facts)
        run.journals.set(h.name, parseJournal(head))
        run.releases.set(h.name, parseReleaseState(releases))
        run.hosts[h.name].releaseBefore = run.releases.get(h.name)?.current
        // An acquired lock is in run.locked already (settled).
        if (parsed.lock !== 'acquired' && useLock) {
          const why = parsed.lock === 'held' ? describeHolder(h.name, parsed.holder).message : `${h.name}: cannot take the lock (exit ${parsed.lockExit}): ${r.stderr.trim()}`
          held.push(why)
          Object.assign(run.hosts[h.name], {refused: true, error: why})
        }
      }
      if (held.length) {
        run.errors.push(...held)
        fail('refused', `${held.length} host(s) locked by another run; nothing was changed`)
      }
      if (vipsHeld) {
        const found = await vipsHeld
        run.clusterState = found
        run.setClusterState(found.state)
        run.emit({type: 'phase', status: 'ok', text: found.state === 'new' ? `new cluster (${found.why}): directors start together` : `serving (${found.why}): HA-safe order`})
      }
      t.title = `connected to ${targets.length} host(s)${useLock ? ', lock taken' : ''}`
      run.emit({type: 'phase', status: 'ok', text: t.title})
    },
  }
}

type FirstProbes = Map<string, {index: number; answers: (ProbeAnswer | undefined)[]}>

const clusterStatePlays = (run: RunState) => run.plays.some((p) => p.play.cluster && p.hosts.length)

/**
 * A new cluster is one where no director (targeted or not) holds any VIP of any instance: nothing serves, so there
 * is no VIP to keep on an updated director and the directors can start together. Any VIP anywhere means serving.
 */
async function readVipsHeld(run: RunState, directors: Host[]): Promise<{state: 'new' | 'serving'; why: string}> {
  const vips = run.cluster.instances.flatMap((i) => i.vips.map((v) => v.address))
  const held = await Promise.all(
    directors.map(async (d) => {
      const r = await run.io(d.name).exec(ADDR_PROBE)
      if (r.code !== 0) throw new Error(`${d.name}: cannot read its addresses (exit ${r.code}): ${r.stderr.trim()}`)
      const mine = addressesOf(r.stdout)
      return vips.filter((v) => mine.has(v)).map((v) => `${v} on ${d.name}`)
    }),
  )
  const served = held.flat()
  return served.length ? {state: 'serving', why: served.join(', ')} : {state: 'new', why: `no director holds any of ${vips.join(', ')}`}
}

/** Phase 2, release: which release this run records or activates, the same on every host, from what they hold. */
function decideRelease(run: RunState, decide: DecideRelease | undefined): ListrTask {
  return {
    title: 'release',
    enabled: Boolean(decide),
    skip: () => run.stopped,
    task: (_, t) => {
      const d = decide!(run.releases)
      if ('refused' in d || 'invalid' in d) {
        const why = 'refused' in d ? d.refused : d.invalid
        run.errors.push(why)
        run.outcome = 'refused' in d ? 'refused' : 'invalid'
        run.emit({type: 'phase', status: 'failed', text: why})
        throw new Error(why)
      }
      run.releaseId = d.id
      run.bundle = d.bundle
      Object.assign(run.vars, d.vars)
      t.title = releaseTitle(run, d.id)
      run.emit({type: 'phase', status: 'ok', text: t.title})
    },
  }
}

/**
 * The release line says what the run will do with the release, never more: a --check records nothing, a release
 * every host already runs is not recorded again, and a playbook without a release step (run health) records none.
 */
export function releaseTitle(run: Pick<RunState, 'plays' | 'targets' | 'releases' | 'opts'>, id: string): string {
  const records = run.plays.some(({play}) => playSteps(play).some((t) => t.module === 'release' || t.module === 'activate_release'))
  if (!records) return `release ${id}: this playbook records none`
  if (run.targets.every((h) => run.releases.get(h.name)?.current === id)) return `release ${id}: current on every host`
  return run.opts.check ? `release ${id}: would be recorded` : `release ${id}`
}

/** What a finished host's row says: its counts, or where it stopped. */
function hostRow(run: RunState, host: string, ms: number): string {
  const s = run.hosts[host]
  const verb = run.opts.check ? 'would change' : 'changed'
  return `${host} — ok=${s.ok} ${verb.replace(' ', '_')}=${s.changed}${s.skipped ? ` skipped=${s.skipped}` : ''} (${(ms / 1000).toFixed(1)} s)`
}

/**
 * Phase 3, plays and batches: plays in order, each in batches of `serial` hosts; a failure in a batch stops the
 * run after that batch, leaving every later host as it was. A host done with its last play settles its journal
 * (once every step and check passed) and gives its lock back. On a terminal each host is one row whose output is
 * the step it is on: play → host → current task.
 */
function playTask(run: RunState, index: number, forks: number, firstProbes: FirstProbes, finish: (h: Host) => Promise<void>, closing: (h: Host) => Closing | undefined, tree: LiveTree): ListrTask {
  const {play, hosts} = run.plays[index]
  const hostTask = (host: Host, at: number, p: Play): ListrTask => ({
    title: host.name,
    task: async (_, ht) => {
      const started = Date.now()
      tree.rows.set(host.name, ht)
      let ok: boolean
      try {
        // Read for the play the host was to start with. A host whose first play changed with the cluster's state
        // (a new cluster's directors) keeps them when that play has as many steps (the same tasks, a YAML anchor):
        // each answer is used only where its probe is this step's own (host-tasks.ts), so a mismatch costs a probe.
        const first = firstProbes.get(host.name)
        const aligned = first !== undefined && prefetchSteps(run.plays[first.index].play).length === prefetchSteps(p).length
        const probes = first && aligned && at === run.firstPlay(host) ? first.answers : undefined
        ok = await runHostPlay(run, p, at, host, probes, run.lastPlay(host) === at ? closing(host) : undefined)
      } finally {
        tree.rows.delete(host.name)
        if (run.lastPlay(host) === at) void finish(host)
      }
      // A host whose step failed is a failed row, so neither it nor its play gets a tick.
      // Named by its own failed step: hosts of one batch can fail at once, and run.failure holds only the first.
      const failedAt = run.results.filter((r) => r.host === host.name && r.status === 'failed').at(-1)?.task
      if (!ok) throw new Error(`${host.name} — FAILED${failedAt ? ` at ${failedAt}` : ''}`)
      ht.title = hostRow(run, host.name, Date.now() - started)
    },
  })
  const notRun = () => (run.stopped ? `${run.interrupted ? 'interrupted' : 'the run stopped after a failure'}: not run` : false)
  const title = (p: Play, hs: Host[]) => `${p.name} (${hs.length ? hs.map((h) => h.name).join(', ') : 'no hosts'})`
  return {
    title: title(play, hosts),
    skip: () =>
      run.alongside.has(index) ? `${play.name}: ran alongside ${run.plays[run.alongside.get(index)!].play.name}`
      : run.stopped ? `${play.name}: not run, the run stopped earlier`
      : hosts.length === 0 ? `${play.name}: no hosts`
      : run.skippedPlays.has(index) ? `${play.name}: not run, the cluster is ${play.cluster === 'new' ? 'serving' : 'new'}`
      : false,
    task: (_, pt) => {
      tree.play = pt
      run.emit({type: 'play', name: play.name, hosts: hosts.map((h) => h.name)})
      // The next play this run does not skip may start now too (with_previous): its rows first, so that --forks
      // lets them start at once.
      const next = run.plays.findIndex((p, i) => i > index && !run.skippedPlays.has(i) && p.hosts.length > 0)
      const oneBatch = (i: number) => batches(run.plays[i].hosts, run.plays[i].play.serial).length === 1
      const along = next >= 0 && run.plays[next].play.with_previous && oneBatch(index) && oneBatch(next) && !run.plays[next].hosts.some((h) => hosts.includes(h)) ? next : -1
      const alongRows: ListrTask[] = []
      if (along >= 0) {
        const other = run.plays[along]
        run.alongside.set(along, index)
        pt.title = `${title(play, hosts)} + ${title(other.play, other.hosts)}`
        run.emit({type: 'play', name: other.play.name, hosts: other.hosts.map((h) => h.name), alongside: play.name})
        alongRows.push(...other.hosts.map((h) => ({...hostTask(h, along, other.play), skip: notRun})))
      }
      const list = batches(hosts, play.serial)
      const rows = list.length === 1
        ? list[0].map((h) => ({...hostTask(h, index, play), skip: notRun}))
        : list.map((batch) =>
            batch.length === 1
              ? {...hostTask(batch[0], index, play), skip: notRun}
              : {title: batch.map((h) => h.name).join(', '), skip: notRun, task: (_: unknown, bt: {newListr: (t: ListrTask[], o: object) => unknown}) => bt.newListr(batch.map((h) => hostTask(h, index, play)), {concurrent: Math.max(1, forks), exitOnError: false})},
          )
      // Returned, not run: the host rows are part of this one tree, drawn once.
      return pt.newListr([...alongRows, ...rows] as ListrTask[], {concurrent: list.length === 1 ? Math.max(1, forks) : false, exitOnError: false})
    },
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
 * handlers, post-tasks per host); unlock. The views listen to its events; the result carries the recap.
 */
export async function runPlaybook(opts: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const {cluster, playbook} = opts
  const check = Boolean(opts.check)
  const inLimit = limitFilter(cluster, opts.limit)
  const plays = playbook.plays.map((p) => ({play: p, hosts: playHosts(cluster, p.hosts).filter(inLimit)}))
  const transports = new Map<string, Transport | Error>()
  const run = new RunState(cluster, plays, transports, {check, diff: Boolean(opts.diff), vars: opts.vars, signal: opts.interrupt?.signal})
  if (opts.listen) run.listen(opts.listen)
  if (opts.interrupt) opts.interrupt.locksHeld = () => [...run.locked]
  // wait_for vip reads every member director of an instance, also ones --limit leaves out (read only).
  const peers = run.targets.some((h) => h.kind === 'director') ? cluster.directors.filter((d) => !run.targets.includes(d)) : []
  const runId = `${process.pid}-${started}`
  const firstProbes: FirstProbes = new Map()

  // Phase 4, unlock: a host is given back as soon as it is done, rather than after the last director (a second run
  // takes every lock it needs before it changes anything); the journal loses only what this run finished.
  const settleAndUnlock = (handled: string[]) => settleAndUnlockCommand(cluster.deploy.stateDir, runId, handled)
  // A host whose last play ends with a batch of changes is settled and unlocked by that batch, when every step passed.
  const closing = (host: Host): Closing | undefined =>
    check || !run.locked.includes(host.name)
      ? undefined
      : {
          command: settleAndUnlock,
          closed: () => {
            const i = run.locked.indexOf(host.name)
            if (i >= 0) run.locked.splice(i, 1)
          },
        }
  // Once per host, and not awaited by its play: a host done with its last play is given back while the next play
  // (the directors, after the real servers) already runs; the run awaits every one before it ends.
  const finishing = new Map<string, Promise<void>>()
  const finish = (host: Host) => {
    if (!finishing.has(host.name)) finishing.set(host.name, giveBack(host))
    return finishing.get(host.name)!
  }
  const giveBack = async (host: Host) => {
    const i = run.locked.indexOf(host.name)
    if (i < 0) return
    const complete = !run.hosts[host.name]?.failed && !run.interrupted
    const unlock = unlockCommand(cluster.deploy.stateDir, runId)
    try {
      await run.io(host.name).exec(complete && !check ? oneShell(settleAndUnlock([...run.handledOn(host.name)])) : unlock)
    } catch {
      await unlockOverNewConnection(opts.connect, host, unlock)
    }
    // Only now: a second Ctrl-C in between must name this host as still locked.
    run.locked.splice(run.locked.indexOf(host.name), 1)
  }

  const tree: LiveTree = {rows: new Map()}
  if (opts.renderer === 'tree' && opts.interrupt) opts.interrupt.say = (text) => tree.notice?.(text)
  run.listen((e) => {
    if (e.type === 'task-start' && tree.rows.has(e.host)) tree.rows.get(e.host)!.output = e.task
  })
  const list = new Listr(
    [
      connectAndLock(run, opts, peers, runId, firstProbes),
      decideRelease(run, opts.decideRelease),
      ...plays.map((_, i) => playTask(run, i, opts.forks ?? cluster.deploy.forks, firstProbes, finish, closing, tree)),
    ],
    treeOptions(opts.renderer ?? 'silent', tree),
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

  const hosts = Object.fromEntries(Object.entries(run.hosts).map(([h, s]) => [h, {...s, releaseAfter: run.releaseAfter(h)}]))
  return {
    outcome: run.finalOutcome(),
    playbook: playbook.name,
    command: opts.command,
    check,
    releaseId: run.releaseId,
    results: run.results,
    hosts,
    failure: run.failure,
    mixed: run.mixedInstances(),
    clusterState: run.clusterState,
    errors: run.errors,
    durationMs: Date.now() - started,
  }
}
