import type {Host} from '../inventory/model.js'
import {MODULES} from '../modules/index.js'
import {collides, type Plan, type StateTag} from '../modules/types.js'
import type {ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'
import {blindFor, executeTask, firstLookOf, probeFor, stepFailure, type TaskResult} from './execute.js'
import {probeBatch, type ProbeAnswer} from './prefetch.js'
import {runStepBatch} from './step-batch.js'
import type {RunState} from './run-state.js'
import type {Play, Task} from './schema.js'

/**
 * Fault injection for the test suite: LBCTL_PAUSE_AT="before:TASK@HOST", "after:TASK@HOST" or "handlers@HOST"
 * stops this process (SIGSTOP) at that point, after saying so on stderr, so a test can kill it, cut its SSH
 * session or take a link down at an exact moment, then let it go on (SIGCONT). On a terminal it says nothing: a
 * line under the live tree would garble its redraw, and the test that freezes the tree there reads the process state.
 */
export function pausePoint(point: string, host: string): void {
  if (process.env.LBCTL_PAUSE_AT !== `${point}@${host}`) return
  if (!process.stderr.isTTY) process.stderr.write(`lbctl: paused at ${point} on ${host} (pid ${process.pid})\n`)
  process.kill(process.pid, 'SIGSTOP')
}

/** A step that threw (connection lost, keepalive timeout, a bug) is a failure of that host, like any other. */
async function guarded<R extends TaskResult>(host: string, play: string, task: Pick<Task, 'name' | 'module'>, run: () => Promise<R>): Promise<R | TaskResult> {
  const started = Date.now()
  try {
    return await run()
  } catch (error) {
    return {host, play, task: task.name, module: task.module, status: 'failed', changed: false, message: (error as Error).message, durationMs: Date.now() - started}
  }
}

/** Stops the host's play: a failure that is not ignored. */
class HostStopped extends Error {}

/** Ctrl-C: the host's next step, and every one after it, does not start. */
class NotStarted extends Error {
  constructor(readonly task: string, readonly why: string) {
    super(why)
  }
}

/** The steps whose probes a play prefetches, in this order: tasks, post-tasks, then handlers in definition order. */
export function prefetchSteps(play: Play): Task[] {
  return [...play.tasks, ...(play.post_tasks ?? []), ...Object.values(play.handlers ?? {})]
}

/**
 * The host's last play may end its last batch with the run's goodbye to the host — the journal settled for the
 * services that reloaded, the lock given back — instead of one more round trip. `closed` says it was done.
 */
export interface Closing {
  command: (handled: string[]) => ShellCommand
  closed: () => void
}

/** A task's result waiting for the batch it belongs to: `pending` ones have steps still to send. */
interface Queued {
  task: Task
  handler?: string
  result: TaskResult & {plan?: Plan; pending?: boolean}
}

/**
 * One host's part of a play, step after step: the work an interrupted run left (from the host's journal), the
 * tasks, the notified handlers, then the post-tasks that gate the next batch. A failure (not ignored) stops the
 * host; Ctrl-C lets the batch in flight finish and starts no other. Returns false when the host stopped on a failure.
 *
 * Round trips: the play's probes come in one (with the facts and the lock for the host's first play). Changes are
 * planned from those answers and their steps are queued; the queue goes to the host in one round trip when a task
 * needs an answer that a queued change may alter (the flush carries that probe too, read after the changes), before
 * a module that must run on its own (wait_for, command, package …), and at the end. Within a batch the host runs
 * the steps in order and stops at the first failure, exactly where a step-by-step run would have stopped.
 */
export async function runHostPlay(run: RunState, play: Play, playIndex: number, host: Host, firstProbes: (ProbeAnswer | undefined)[] | undefined, closing?: Closing): Promise<boolean> {
  const check = run.opts.check
  const ctx = () => ({...run.context(host), facts: run.facts.get(host.name)!})
  const io = run.io(host.name)
  // A fault-injection pause needs each step on its own: the test stops the run between two of them.
  const batching = !check && !(process.env.LBCTL_PAUSE_AT ?? '').endsWith(`@${host.name}`)
  const notified: string[] = []
  const notify = (names: string[]) => {
    for (const n of names) if (!notified.includes(n) && play.handlers?.[n]) notified.push(n)
  }
  // Probes of every step come in one round trip: for the host's first play with the facts and the lock, for a later
  // play when it starts. An answer is used only while no change since touched what its probe reads, and only if the
  // probe is still the same command (the release is decided after the first round trip).
  const steps = prefetchSteps(play)
  let prefetched = firstProbes
  const touched = new Set<StateTag>()
  let touchedAll = false
  const effects = (task: Task) => MODULES[task.module]?.effects?.((task.args ?? {}) as never)
  const touch = (task: Task, plan?: Plan) => {
    const writes = plan?.writes ?? effects(task)?.writes
    if (writes) for (const t of writes) touched.add(t)
    else touchedAll = true
  }
  const prefetch = async () => {
    if (prefetched) return
    const batch = probeBatch(steps.map((s) => probeFor(s, ctx())))
    if (batch.count === 0) return
    const r = await io.exec(batch.command)
    if (r.code === 0) prefetched = batch.answers(r)
  }
  const fresh = (task: Task, index: number) => {
    const answer = prefetched?.[index]
    if (!answer || answer.probe !== probeFor(task, ctx())?.text || touchedAll) return undefined
    const reads = effects(task)?.reads ?? firstLookOf(task, ctx())?.reads
    return (reads ? reads.some((r) => [...touched].some((w) => collides(r, w))) : touched.size > 0) ? undefined : answer
  }

  /**
   * What a change means for the play: the handlers it notifies, and a daemon it started needs no reload. Known from
   * the plan, so a queued change notifies at once (the handlers join its batch); if its step fails, the batch stops
   * before them and the host stops. Applying it twice changes nothing.
   */
  const changedBy = (task: Task, result: Queued['result']) => {
    // A daemon this task has just started already runs the new files: its reload handler would be a no-op.
    const started = task.module === 'service' && ['started', 'restarted'].includes(String(task.args?.state))
    for (const name of [...(started ? [String(task.args?.name)] : []), ...(result.plan?.handles ?? [])]) {
      if (check) break
      if (notified.includes(name)) notified.splice(notified.indexOf(name), 1)
      run.handledOn(host.name).add(name)
    }
    notify(task.notify === 'auto' ? (result.plan?.services ?? []) : (task.notify ?? []))
  }

  const queue: Queued[] = []
  /** A finished result: recorded, and what it means for the rest of the play (notifications, a stop). */
  const settle = ({task, handler, result: {pending: _, ...result}}: Queued) => {
    if (handler !== undefined) {
      const r = run.record({...result, handler: true}, task.ignore_errors)
      if (r.status !== 'failed' && !check) run.handledOn(host.name).add(handler)
      if (r.status === 'failed' && !task.ignore_errors) throw new HostStopped()
      return
    }
    const r = run.record(result, task.ignore_errors)
    if (r.status === 'changed') changedBy(task, result)
    pausePoint(`after:${task.name}`, host.name)
    if (r.status === 'failed' && !task.ignore_errors) throw new HostStopped()
  }
  /**
   * Sends the queued steps in one round trip (with `probe` after them) and settles the queue in order. A step that
   * fails fails its task and stops the host there: the steps after it did not run, their tasks are not recorded.
   */
  const flush = async (probe?: ShellCommand, last = false): Promise<ExecResult | undefined> => {
    // Queued changes are not in flight: after Ctrl-C they are not sent (the catch below says which was next).
    if (run.interrupted && queue.some((q) => q.result.pending)) throw new NotStarted('', 'interrupted')
    const items = queue.splice(0)
    const pending = items.filter((q) => q.result.pending)
    let answer: ExecResult | undefined
    if (pending.length) {
      const started = Date.now()
      // What the journal may drop once every step passed: what has reloaded, and what this batch reloads or starts.
      const handled = () => {
        const now = new Set(run.handledOn(host.name))
        for (const q of items) {
          if (q.handler !== undefined && q.result.status !== 'failed') now.add(q.handler)
          else if (q.result.status === 'changed' && q.task.module === 'service' && ['started', 'restarted'].includes(String(q.task.args?.state))) now.add(String(q.task.args?.name))
        }
        return [...now]
      }
      const goodbye = last && closing && !run.hosts[host.name]?.failed ? closing.command(handled()) : undefined
      try {
        const b = await runStepBatch((c, stdin) => io.exec(c, stdin), pending.map((q) => q.result.plan!.steps), probe, goodbye)
        answer = b.probe
        if (b.closing?.code === 0) closing!.closed()
        pending.forEach((q, i) => {
          const failedStep = q.result.plan!.steps.findIndex((_, j) => b.steps[i][j]?.code !== 0)
          const ran = b.steps[i][failedStep]
          q.result = {...q.result, durationMs: q.result.durationMs + Date.now() - started}
          if (failedStep >= 0) q.result = {...q.result, status: 'failed', changed: false, message: ran ? stepFailure(q.result.plan!.steps[failedStep].label, ran) : 'not run: an earlier step failed'}
          else if (q.result.plan!.settle) {
            const {status, message} = q.result.plan!.settle(b.steps[i])
            q.result = {...q.result, status, changed: status === 'changed', message}
          }
        })
      } catch (error) {
        // The round trip itself failed (connection lost): the first queued change is where the host stopped.
        pending[0].result = {...pending[0].result, status: 'failed', changed: false, message: (error as Error).message}
      }
    }
    for (const q of items) settle(q)
    return answer
  }

  /** Plans (and runs, or queues) one task or handler. */
  const plan = async (task: Task, index: number, handler?: string) => {
    const mod = MODULES[task.module]
    const batched = batching && Boolean(mod?.effects) && !mod?.run && !task.ignore_errors
    if (!batched) await flush()
    let answer: ExecResult | undefined = fresh(task, index)
    // A queued change makes the probe's answer stale: a module that can act blind joins the batch instead.
    const blind = !answer && batched && queue.some((q) => q.result.pending) ? blindFor(task, ctx()) : undefined
    if (!answer && !blind && batched && queue.some((q) => q.result.pending) && mod?.probe) {
      const probe = probeFor(task, ctx())
      if (probe) answer = await flush(probe)
    }
    const result: Queued['result'] = await guarded(host.name, play.name, task, () => executeTask(task, ctx(), io, play.name, answer, {defer: batched, blind}))
    if (result.status === 'changed' && !check) touch(task, result.plan)
    const q: Queued = {task, handler, result}
    if (result.pending && handler === undefined) changedBy(task, result)
    if (result.pending || queue.length) {
      queue.push(q)
      if (result.status === 'failed') await flush()
    } else settle(q)
  }

  const step = async (task: Task, index: number) => {
    if (run.interrupted) throw new NotStarted(task.name, 'interrupted')
    run.emit({type: 'task-start', host: host.name, task: task.name})
    pausePoint(`before:${task.name}`, host.name)
    if (index === 0) await prefetch().catch(() => undefined)
    await plan(task, index)
  }

  const pendingActivation = () => {
    const pending = playIndex === run.firstPlay(host) ? (run.journals.get(host.name)?.services ?? []) : []
    if (pending.length === 0) return
    const release = run.journals.get(host.name)?.releases.join(', ') || 'an earlier run'
    const mine = pending.filter((s) => play.handlers?.[s])
    const other = pending.filter((s) => !play.handlers?.[s])
    const parts = [
      mine.length ? `${release} was installed but ${mine.join(', ')} not reloaded: ${check ? 'would reload' : 'reloading'}` : '',
      other.length ? `${other.join(', ')} still to reload (this playbook has no handler for it; lbctl deploy has)` : '',
    ].filter(Boolean)
    run.record({host: host.name, play: play.name, task: 'finish an interrupted activation', module: 'journal', status: mine.length ? 'changed' : 'ok', changed: mine.length > 0, message: parts.join('; '), durationMs: 0})
    notify(mine)
  }

  const handlers = async () => {
    if (notified.length === 0) return
    if (run.interrupted) throw new NotStarted('handlers', `interrupted; the host's journal keeps ${notified.join(', ')} for the next run to reload`)
    pausePoint('handlers', host.name)
    // In handler definition order, like Ansible, so keepalived reloads after the HAProxy it tracks.
    const names = Object.keys(play.handlers ?? {})
    for (const name of names.filter((n) => notified.includes(n))) {
      const h = play.handlers![name]
      run.emit({type: 'task-start', host: host.name, task: h.name})
      await plan(h, play.tasks.length + (play.post_tasks?.length ?? 0) + names.indexOf(name), name)
    }
  }

  try {
    pendingActivation()
    for (const [i, task] of play.tasks.entries()) await step(task, i)
    await handlers()
    for (const [j, task] of (play.post_tasks ?? []).entries()) await step(task, play.tasks.length + j)
    await flush(undefined, true)
    return true
  } catch (error) {
    if (error instanceof HostStopped) return false
    if (!(error instanceof NotStarted)) throw error
    // Queued changes were never sent: the first of them is where the run stopped.
    const first = queue.findIndex((q) => q.result.pending)
    const done = first < 0 ? queue.splice(0) : queue.splice(0, first)
    try {
      for (const q of done) settle(q)
    } catch (stopped) {
      if (stopped instanceof HostStopped) return false
      throw stopped
    }
    const at = first < 0 ? error : new NotStarted(queue[0].task.name, error.why)
    queue.splice(0)
    run.emit({type: 'not-run', host: host.name, task: at.task, why: at.why})
    return true
  }
}
