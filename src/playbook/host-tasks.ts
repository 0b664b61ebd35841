import type {ListrTask} from 'listr2'
import type {Host} from '../inventory/model.js'
import {executeTask, probeFor, type TaskResult} from './execute.js'
import {probeBatch, type ProbeAnswer} from './prefetch.js'
import type {RunState} from './run-state.js'
import type {Play, Task} from './schema.js'

/**
 * Fault injection for the test suite: LBCTL_PAUSE_AT="before:TASK@HOST", "after:TASK@HOST" or "handlers@HOST"
 * stops this process (SIGSTOP) at that point, after saying so on stderr, so a test can kill it, cut its SSH
 * session or take a link down at an exact moment, then let it go on (SIGCONT).
 */
export function pausePoint(point: string, host: string): void {
  if (process.env.LBCTL_PAUSE_AT !== `${point}@${host}`) return
  process.stderr.write(`lbctl: paused at ${point} on ${host} (pid ${process.pid})\n`)
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

/** A task's row: its outcome in the title; a failure (not ignored) stops the host's list. */
function show(t: {title: string; skip: (m: string) => void}, task: Pick<Task, 'name' | 'ignore_errors'>, r: TaskResult): void {
  t.title = `${task.name}${r.message ? ` — ${r.message.split('\n')[0]}` : ''}`
  if (r.status === 'failed' && !task.ignore_errors) throw new Error(`${task.name}: ${r.message}`)
  if (r.status === 'skipped') t.skip(`${task.name} (skipped: ${r.message})`)
}

/**
 * One host's part of a play: the work an interrupted run left (from the host's journal), the tasks, the notified
 * handlers, then the post-tasks that gate the next batch. Ctrl-C lets the step in flight finish and starts no other.
 */
export function hostTasks(run: RunState, play: Play, playIndex: number, host: Host, firstProbes: (ProbeAnswer | undefined)[] | undefined): ListrTask[] {
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
  const step = (task: Task, index: number): ListrTask => ({
    title: task.name,
    task: async (_, t) => {
      if (run.interrupted) return t.skip(`${task.name} (not run: interrupted)`)
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
      show(t, task, r)
    },
  })

  const list: ListrTask[] = []
  const pending = playIndex === run.firstPlay(host) ? (run.journals.get(host.name)?.services ?? []) : []
  if (pending.length) {
    list.push({
      title: 'finish an interrupted activation',
      task: async (_, t) => {
        const release = run.journals.get(host.name)?.releases.join(', ') || 'an earlier run'
        const mine = pending.filter((s) => play.handlers?.[s])
        const other = pending.filter((s) => !play.handlers?.[s])
        const parts = [
          mine.length ? `${release} was installed but ${mine.join(', ')} not reloaded: ${check ? 'would reload' : 'reloading'}` : '',
          other.length ? `${other.join(', ')} still to reload (this playbook has no handler for it; lbctl deploy has)` : '',
        ].filter(Boolean)
        const r = run.record({host: host.name, play: play.name, task: 'finish an interrupted activation', module: 'journal', status: mine.length ? 'changed' : 'ok', changed: mine.length > 0, message: parts.join('; '), durationMs: 0})
        notify(mine)
        show(t, {name: 'finish an interrupted activation'}, r)
      },
    })
  }
  list.push(...play.tasks.map((task, i) => step(task, i)))
  list.push({
    title: 'handlers',
    task: async (_, t) => {
      if (notified.length === 0) return t.skip('handlers: none notified')
      if (run.interrupted) return t.skip(`handlers (not run: interrupted; the host's journal keeps ${notified.join(', ')} for the next run)`)
      pausePoint('handlers', host.name)
      const done: string[] = []
      // In handler definition order, like Ansible, so keepalived reloads after the HAProxy it tracks.
      for (const name of Object.keys(play.handlers ?? {}).filter((n) => notified.includes(n))) {
        const h = play.handlers![name]
        const r = run.record({...(await guarded(host.name, play.name, h, () => executeTask(h, ctx(), io, play.name))), handler: true}, h.ignore_errors)
        if (r.status === 'changed' && !check) dirty = true
        if (r.status !== 'failed' && !check) run.handledOn(host.name).add(name)
        done.push(`${name}: ${r.status === 'changed' ? (check ? 'would run' : 'ran') : r.status}`)
        if (r.status === 'failed' && !h.ignore_errors) throw new Error(`handler ${name}: ${r.message}`)
      }
      t.title = `handlers — ${done.join(', ')}`
    },
  })
  list.push(...(play.post_tasks ?? []).map((task, j) => step(task, play.tasks.length + j)))
  return list
}
