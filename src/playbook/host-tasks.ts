import type {Host} from '../inventory/model.js'
import {executeTask, probeFor, type TaskResult} from './execute.js'
import {probeBatch, type ProbeAnswer} from './prefetch.js'
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
async function guarded(host: string, play: string, task: Pick<Task, 'name' | 'module'>, run: () => Promise<TaskResult>): Promise<TaskResult> {
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

/**
 * One host's part of a play, step after step: the work an interrupted run left (from the host's journal), the
 * tasks, the notified handlers, then the post-tasks that gate the next batch. A failure (not ignored) stops the
 * host; Ctrl-C lets the step in flight finish and starts no other. Returns false when the host stopped on a failure.
 */
export async function runHostPlay(run: RunState, play: Play, playIndex: number, host: Host, firstProbes: (ProbeAnswer | undefined)[] | undefined): Promise<boolean> {
  const check = run.opts.check
  const ctx = () => ({...run.context(host), facts: run.facts.get(host.name)!})
  const io = run.io(host.name)
  const notified: string[] = []
  const notify = (names: string[]) => {
    for (const n of names) if (!notified.includes(n) && play.handlers?.[n]) notified.push(n)
  }
  // Probes of every task and post-task come in one round trip: for the host's first play with the facts and the
  // lock, for a later play when it starts. An answer is used only while the host is untouched in this run and
  // only if the probe is still the same command (the release is decided after the first round trip).
  const steps = [...play.tasks, ...(play.post_tasks ?? [])]
  let prefetched = firstProbes
  let dirty = false
  const prefetch = async () => {
    if (prefetched) return
    const batch = probeBatch(steps.map((s) => probeFor(s, ctx())))
    if (batch.count === 0) return
    const r = await io.exec(batch.command)
    if (r.code === 0) prefetched = batch.answers(r.stdout)
  }
  const fresh = (task: Task, index: number) => {
    const answer = dirty ? undefined : prefetched?.[index]
    return answer && answer.probe === probeFor(task, ctx())?.text ? answer : undefined
  }
  const step = async (task: Task, index: number) => {
    if (run.interrupted) throw new NotStarted(task.name, 'interrupted')
    run.emit({type: 'task-start', host: host.name, task: task.name})
    pausePoint(`before:${task.name}`, host.name)
    const r = run.record(
      await guarded(host.name, play.name, task, async () => {
        if (index === 0) await prefetch().catch(() => undefined)
        return executeTask(task, ctx(), io, play.name, fresh(task, index))
      }),
      task.ignore_errors,
    )
    if (r.status === 'changed' && !check) dirty = true
    // A daemon this task has just started already runs the new files: its reload handler would be a no-op.
    const started = task.module === 'service' && r.status === 'changed' && ['started', 'restarted'].includes(String(task.args?.state))
    if (started && !check) {
      const name = String(task.args?.name)
      if (notified.includes(name)) notified.splice(notified.indexOf(name), 1)
      run.handledOn(host.name).add(name)
    }
    if (r.status === 'changed') notify(task.notify === 'auto' ? ((r as {plan?: {services?: string[]}}).plan?.services ?? []) : (task.notify ?? []))
    pausePoint(`after:${task.name}`, host.name)
    if (r.status === 'failed' && !task.ignore_errors) throw new HostStopped()
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
    for (const name of Object.keys(play.handlers ?? {}).filter((n) => notified.includes(n))) {
      const h = play.handlers![name]
      run.emit({type: 'task-start', host: host.name, task: h.name})
      const r = run.record({...(await guarded(host.name, play.name, h, () => executeTask(h, ctx(), io, play.name))), handler: true}, h.ignore_errors)
      if (r.status === 'changed' && !check) dirty = true
      if (r.status !== 'failed' && !check) run.handledOn(host.name).add(name)
      if (r.status === 'failed' && !h.ignore_errors) throw new HostStopped()
    }
  }

  try {
    pendingActivation()
    for (const [i, task] of play.tasks.entries()) await step(task, i)
    await handlers()
    for (const [j, task] of (play.post_tasks ?? []).entries()) await step(task, play.tasks.length + j)
    return true
  } catch (error) {
    if (error instanceof HostStopped) return false
    if (!(error instanceof NotStarted)) throw error
    run.emit({type: 'not-run', host: host.name, task: error.task, why: error.why})
    return true
  }
}
