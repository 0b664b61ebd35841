import {Listr, type ListrTask} from 'listr2'
import type {Cluster, Host} from '../inventory/model.js'
import {redact} from '../render/secret-lines.js'
import type {HostFacts, HostIO, ModuleContext} from '../modules/types.js'
import {renderHost} from '../render/index.js'
import type {ExecResult, Transport} from '../transport/types.js'
import {executeTask, probeFor, type TaskResult} from './execute.js'
import {probeBatch} from './prefetch.js'
import {cmd} from '../shell/index.js'
import {describeHolder, factsAndLockCommand, newHolder, parseFactsAndLock, unlockCommand} from './lock.js'
import type {Play, Playbook, Task} from './schema.js'
import {limitFilter, playHosts} from './targets.js'

export type Renderer = 'default' | 'simple' | 'silent'

/** Opens one transport per host; a failure is an Error in the map (one clear message per host). */
export type Connect = (hosts: Host[]) => Promise<Map<string, Transport | Error>>

export interface RunOptions {
  cluster: Cluster
  playbook: Playbook
  /** What is running, for the lock holder and summaries: deploy, rollback, run NAME. */
  command: string
  releaseId: string
  connect: Connect
  check?: boolean
  diff?: boolean
  limit?: string
  forks?: number
  breakLock?: boolean
  vars?: Record<string, unknown>
  renderer?: Renderer
  /** Hosts already connected (rollback reads releases first): reused, not reopened. */
  transports?: Map<string, Transport | Error>
}

export type Outcome = 'ok' | 'failed' | 'refused' | 'unreachable'

export interface RunResult {
  outcome: Outcome
  playbook: string
  check: boolean
  releaseId: string
  results: TaskResult[]
  /** Per host: did anything change, did anything fail. */
  hosts: Record<string, {changed: number; failed: boolean; error?: string}>
  /** The first failure: where the run stopped. */
  failure?: {host: string; task: string; message: string}
  errors: string[]
  durationMs: number
}

export const EXIT_CODES: Record<Outcome, number> = {ok: 0, failed: 1, refused: 3, unreachable: 4}

function hostIO(transports: Map<string, Transport | Error>, name: string): HostIO {
  const t = transports.get(name)
  return {
    exec: async (command, stdin): Promise<ExecResult> => {
      if (!t || t instanceof Error) throw new Error(`${name} is not connected${t ? `: ${t.message}` : ''}`)
      return t.exec(command, stdin === undefined ? undefined : {stdin})
    },
    peer: (other) => hostIO(transports, other),
  }
}

function batches<T>(items: T[], serial: number | undefined): T[][] {
  if (!serial || serial >= items.length) return items.length ? [items] : []
  const out: T[][] = []
  for (let i = 0; i < items.length; i += serial) out.push(items.slice(i, i + serial))
  return out
}

/**
 * Runs a playbook against a cluster, HA-safe:
 *  - every targeted host is connected (and locked, unless --check) before anything changes anywhere, so an
 *    unreachable host or a refused host key stops the run while the cluster is untouched;
 *  - plays run in order, each in batches of `serial` hosts; a failure in a batch stops the run after that batch,
 *    leaving every later host as it was;
 *  - handlers notified by changed tasks run once per host at the end of its play (reload only what changed).
 */
export async function runPlaybook(opts: RunOptions): Promise<RunResult> {
  const started = Date.now()
  const {cluster, playbook} = opts
  const check = Boolean(opts.check)
  const forks = opts.forks ?? cluster.deploy.forks
  const results: TaskResult[] = []
  const errors: string[] = []
  const hostState: RunResult['hosts'] = {}
  const mask = (s: string | undefined) => (s === undefined ? s : redact(s, cluster.secrets))
  let failure: RunResult['failure']
  let outcome: Outcome = 'ok'

  const inLimit = limitFilter(cluster, opts.limit)
  const plays = playbook.plays.map((p) => ({play: p, hosts: playHosts(cluster, p.hosts).filter(inLimit)}))
  const targets = [...new Map(plays.flatMap((p) => p.hosts).map((h) => [h.name, h])).values()]
  // wait_for vip reads every member director of an instance, also ones --limit leaves out (read only).
  const peers = targets.some((h) => h.kind === 'director') ? cluster.directors.filter((d) => !targets.includes(d)) : []
  for (const h of targets) hostState[h.name] = {changed: 0, failed: false}

  const runId = `${opts.releaseId}-${process.pid}`
  const facts = new Map<string, HostFacts>()
  const locked: string[] = []
  const transports = opts.transports ?? new Map<string, Transport | Error>()
  const files = new Map(targets.map((h) => [h.name, renderHost(cluster, h.name)]))
  const useLock = !check && playbook.lock !== false

  // Records a result (secrets masked). A failure that is not ignored flips the outcome at once, so the next batch
  // or play sees it and leaves its hosts alone.
  // The plan stays out of the results: its steps carry file contents, secrets included.
  const record = <R extends TaskResult & {plan?: unknown}>(r: R, ignoreErrors = false): R => {
    const {plan: _plan, ...clean} = r
    const m = {...r, message: mask(r.message)}
    results.push({...clean, message: m.message})
    const hs = hostState[r.host]
    if (r.status === 'changed') hs.changed++
    if (r.status === 'failed' && !ignoreErrors) {
      hs.failed = true
      failure ??= {host: r.host, task: r.task, message: m.message ?? ''}
      if (outcome === 'ok') outcome = 'failed'
    }
    return m
  }

  const hostContext = (host: Host): ModuleContext => ({
    cluster,
    host,
    files: files.get(host.name)!,
    // Probes do not read facts (they decide systemd/dpkg on the host), so they can be built before facts exist.
    facts: facts.get(host.name) ?? {systemd: false, packageManager: 'none', os: ''},
    check,
    diff: Boolean(opts.diff),
    releaseId: opts.releaseId,
    vars: opts.vars ?? {},
  })
  const playSteps = (play: Play) => [...play.tasks, ...(play.post_tasks ?? [])]
  const firstPlay = (h: Host) => plays.findIndex((p) => p.hosts.includes(h))
  const lastPlay = (h: Host) => plays.map((p) => p.hosts.includes(h)).lastIndexOf(true)
  /** Answers to the probes of a host's first play, fetched with the facts and the lock: host → per-step answers. */
  const initialProbes = new Map<string, (ExecResult | undefined)[]>()

  const connectTask: ListrTask = {
    title: `connect to ${targets.length} host(s)${useLock ? ' and take the deploy lock' : ''}`,
    task: async (_, t) => {
      const need = [...targets, ...peers].filter((h) => !transports.has(h.name))
      for (const [name, tr] of await opts.connect(need)) transports.set(name, tr)
      const bad = [...targets, ...peers].filter((h) => transports.get(h.name) instanceof Error)
      if (bad.length) {
        for (const h of bad) {
          const e = transports.get(h.name) as Error
          errors.push(e.message)
          if (hostState[h.name]) hostState[h.name].error = e.message
        }
        const refused = bad.some((h) => /HostKey|host key|Auth/i.test((transports.get(h.name) as Error).name + (transports.get(h.name) as Error).message))
        outcome = refused ? 'refused' : 'unreachable'
        throw new Error(`${bad.length} host(s) could not be reached; nothing was changed:\n${bad.map((h) => `  ${(transports.get(h.name) as Error).message}`).join('\n')}`)
      }
      const holder = newHolder(runId, opts.command)
      const mode = !useLock ? 'nolock' : opts.breakLock ? 'break' : 'lock'
      // One round trip per host: facts, the lock, and every probe of the host's first play (read-only, so sending
      // them before the lock is known to be ours changes nothing).
      const answers = await Promise.all(
        targets.map(async (h) => {
          const batch = probeBatch(playSteps(plays[firstPlay(h)].play).map((step) => probeFor(step, hostContext(h))))
          const command = cmd`${factsAndLockCommand(cluster.deploy.stateDir, mode)}; echo "lockrc=$?"; ${batch.command}`
          const r = await hostIO(transports, h.name).exec(command, JSON.stringify(holder))
          try {
            initialProbes.set(h.name, batch.answers(r.stdout))
          } catch {
            // No prefetched answers: each task probes for itself.
          }
          return {h, r, parsed: parseFactsAndLock(r.stdout)}
        }),
      )
      const held: string[] = []
      for (const {h, r, parsed} of answers) {
        facts.set(h.name, parsed.facts)
        if (parsed.lock === 'acquired') locked.push(h.name)
        else if (useLock) held.push(parsed.lock === 'held' ? describeHolder(h.name, parsed.holder).message : `${h.name}: cannot take the lock (exit ${parsed.lockExit}): ${r.stderr.trim()}`)
      }
      if (held.length) {
        errors.push(...held)
        outcome = 'refused'
        throw new Error(`refused, nothing was changed:\n${held.map((m) => `  ${m}`).join('\n')}`)
      }
      t.title = `connected to ${targets.length} host(s)${useLock ? ', lock taken' : ''}`
    },
  }

  const stopped = () => outcome !== 'ok'

  const unlock = async (name: string) => {
    const i = locked.indexOf(name)
    if (i < 0) return
    locked.splice(i, 1)
    await hostIO(transports, name).exec(unlockCommand(cluster.deploy.stateDir, runId)).catch(() => undefined)
  }

  /** A task's row: its outcome in the title; a failure (not ignored) stops the host's list. */
  const show = (t: {title: string; skip: (m: string) => void}, task: Pick<Task, 'name' | 'ignore_errors'>, r: TaskResult) => {
    t.title = `${task.name}${r.message ? ` — ${r.message.split('\n')[0]}` : ''}`
    if (r.status === 'failed' && !task.ignore_errors) throw new Error(`${task.name}: ${r.message}`)
    if (r.status === 'skipped') t.skip(`${task.name} (skipped: ${r.message})`)
  }

  const hostTasks = (play: Play, playIndex: number, host: Host): ListrTask[] => {
    const ctx = hostContext(host)
    const notified: string[] = []
    const io = hostIO(transports, host.name)
    // Probes of every task and post-task come in one round trip: for the host's first play with the facts and the
    // lock, for a later play when it starts. An answer is used only while the host is untouched in this run
    // (`dirty` false); --check never touches it.
    const steps = playSteps(play)
    let prefetched: (ExecResult | undefined)[] | undefined = playIndex === firstPlay(host) ? initialProbes.get(host.name) : undefined
    let dirty = false
    const prefetch = async () => {
      if (prefetched) return
      const batch = probeBatch(steps.map((s) => probeFor(s, {...ctx, facts: facts.get(host.name)!})))
      if (batch.count === 0) return
      const r = await io.exec(batch.command)
      if (r.code === 0) prefetched = batch.answers(r.stdout)
    }
    const run = async (task: (typeof steps)[number], index: number) => {
      if (index === 0) await prefetch().catch(() => undefined)
      const r = await executeTask(task, {...ctx, facts: facts.get(host.name)!}, io, play.name, dirty ? undefined : prefetched?.[index])
      if (r.status === 'changed' && !check) dirty = true
      return r
    }
    const list: ListrTask[] = play.tasks.map((task, index) => ({
      title: task.name,
      task: async (_, t) => {
        const r = record(await run(task, index), task.ignore_errors)
        // A daemon this task has just started already runs the new files: its reload handler would be a no-op.
        const started = task.module === 'service' && r.status === 'changed' && ['started', 'restarted'].includes(String(task.args?.state))
        if (started && !check) {
          const i = notified.indexOf(String(task.args?.name))
          if (i >= 0) notified.splice(i, 1)
        }
        if (r.status === 'changed') {
          const plan = r.plan
          const names = task.notify === 'auto' ? (plan?.services ?? []) : (task.notify ?? [])
          for (const n of names) if (!notified.includes(n) && play.handlers?.[n]) notified.push(n)
        }
        show(t, task, r)
      },
    }))
    list.push({
      title: 'handlers',
      task: async (_, t) => {
        if (notified.length === 0) return t.skip('handlers: none notified')
        const done: string[] = []
        // In handler definition order, like Ansible, so keepalived reloads after the HAProxy it tracks.
        for (const name of Object.keys(play.handlers ?? {}).filter((n) => notified.includes(n))) {
          const h = play.handlers![name]
          const r = record({...(await executeTask(h, {...ctx, facts: facts.get(host.name)!}, io, play.name)), handler: true}, h.ignore_errors)
          if (r.status === 'changed' && !check) dirty = true
          done.push(`${name}: ${r.status === 'changed' ? (check ? 'would run' : 'ran') : r.status}`)
          if (r.status === 'failed' && !h.ignore_errors) throw new Error(`handler ${name}: ${r.message}`)
        }
        t.title = `handlers — ${done.join(', ')}`
      },
    })
    for (const [j, task] of (play.post_tasks ?? []).entries()) {
      list.push({
        title: task.name,
        task: async (_, t) => {
          show(t, task, record(await run(task, play.tasks.length + j), task.ignore_errors))
        },
      })
    }
    return list
  }

  const playTasks: ListrTask[] = plays.map(({play, hosts}, playIndex) => ({
    title: `${play.name} (${hosts.length ? hosts.map((h) => h.name).join(', ') : 'no hosts'})`,
    skip: () => (stopped() ? `${play.name}: not run, the run stopped earlier` : hosts.length === 0 ? `${play.name}: no hosts` : false),
    task: (_, pt) =>
      pt.newListr(
        batches(hosts, play.serial).map((batch) => {
          // A host's row fails when any of its tasks failed (listr2 would otherwise tick a host whose sub-list
          // stopped on an error).
          const hostTask = (host: Host): ListrTask => ({
            title: host.name,
            task: async (_, ht) => {
              try {
                await ht.newListr(hostTasks(play, playIndex, host), {concurrent: false, exitOnError: true}).run()
              } finally {
                // Done with this host for the run: give its lock back now rather than after the last director.
                // Safe: a second run takes every lock it needs before it changes anything.
                if (lastPlay(host) === playIndex) await unlock(host.name)
              }
              if (hostState[host.name]?.failed) throw new Error(`${host.name} failed`)
            },
          })
          if (batch.length === 1) return {...hostTask(batch[0]), skip: () => (stopped() ? 'not run: the run stopped after a failure' : false)}
          return {
            title: batch.map((h) => h.name).join(', '),
            skip: () => (stopped() ? 'not run: the run stopped after a failure' : false),
            task: async (_, bt) => bt.newListr(batch.map(hostTask), {concurrent: Math.max(1, forks), exitOnError: false}),
          }
        }),
        {concurrent: false, exitOnError: false},
      ),
  }))

  const afterBatches: ListrTask = {
    title: 'summary',
    task: (_, t) => {
      t.title = summaryLine(results, check)
    },
  }

  const list = new Listr([connectTask, ...playTasks, afterBatches], {
    renderer: opts.renderer ?? 'default',
    // A failed play must not abort the summary: the batch/play skips above stop the run.
    exitOnError: false,
    collectErrors: false,
    rendererOptions: {collapseSubtasks: false, showErrorMessage: true},
  } as never)

  try {
    await list.run()
  } catch (error) {
    if (outcome === 'ok') {
      outcome = 'failed'
      errors.push(mask((error as Error).message) ?? '')
    }
  } finally {
    await Promise.all([...locked].map(unlock))
    if (!opts.transports) await Promise.all([...transports.values()].map((t) => (t instanceof Error ? undefined : t.close().catch(() => undefined))))
  }

  return {outcome, playbook: playbook.name, check, releaseId: opts.releaseId, results, hosts: hostState, failure, errors, durationMs: Date.now() - started}
}

export function summaryLine(results: TaskResult[], check: boolean): string {
  const count = (s: string) => results.filter((r) => r.status === s).length
  const changed = count('changed')
  return `${check ? 'check: ' : ''}${count('ok')} ok, ${changed} ${check ? 'would change' : 'changed'}, ${count('failed')} failed, ${count('skipped')} skipped`
}
