import {MODULES} from '../modules/index.js'
import type {FileDiff, FirstLook, HostIO, ModuleContext, Plan} from '../modules/types.js'
import type {ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'
import type {Task} from './schema.js'
import {evaluateWhen} from './when.js'

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped'

export interface TaskResult {
  host: string
  play: string
  task: string
  module: string
  status: TaskStatus
  /** In --check: the change that would be made; otherwise the change made. */
  changed: boolean
  message?: string
  durationMs: number
  diffs?: FileDiff[]
  /** Set for handlers. */
  handler?: boolean
  /** The command module's exit code and output (secrets masked). */
  rc?: number
  stdout?: string
  stderr?: string
}

/** The names an expression may read, for every task: what `lbctl validate --playbook` checks a name against. */
export const WHEN_NAMES = ['haproxy', 'lvs', 'nat', 'director', 'real_server', 'managed', 'systemd', 'check', 'host', 'groups', 'vars']
/** changed_when / failed_when also read the command's own result. */
export const RESULT_NAMES = ['rc', 'stdout', 'stderr']

/** Names a `when:` expression can use: facts about the cluster and this host, never anything secret. */
export function whenContext(ctx: ModuleContext): Record<string, unknown> {
  const c = ctx.cluster
  const h = ctx.host
  return {
    haproxy: Boolean(c.haproxy),
    lvs: c.virtualServices.length > 0,
    nat: c.virtualServices.some((v) => v.forwarding === 'NAT'),
    director: h.kind === 'director',
    real_server: h.kind === 'real_server',
    managed: h.kind === 'real_server' ? h.manage : true,
    systemd: ctx.facts.systemd,
    check: ctx.check,
    host: h.name,
    groups: Object.fromEntries(h.groups.map((g) => [g, true])),
    vars: {...h.vars, ...ctx.vars},
  }
}

/**
 * The probe a task would send, for prefetching; undefined when the task has none or is invalid (the task itself
 * then reports why when it runs). `when` is not looked at: facts may not be known yet, and a probe only reads, so
 * probing a task that will be skipped costs nothing but its answer.
 */
export function probeFor(task: Pick<Task, 'module' | 'args' | 'when'>, ctx: ModuleContext): ShellCommand | undefined {
  const mod = MODULES[task.module]
  if (mod?.run) return firstLookOf(task, ctx)?.probe
  if (!mod?.probe) return undefined
  const parsed = mod.args.safeParse(task.args ?? {})
  return parsed.success ? mod.probe(parsed.data as never, ctx) : undefined
}

/** The plan a task's module makes without its probe (Module.blind), if it can for these args. */
export function blindFor(task: Pick<Task, 'module' | 'args'>, ctx: ModuleContext): Plan | undefined {
  const mod = MODULES[task.module]
  const parsed = mod?.blind ? mod.args.safeParse(task.args ?? {}) : undefined
  return parsed?.success ? mod!.blind!(parsed.data as never, ctx) : undefined
}

/** The first look of a task whose module runs (polls), if it has one (and valid args). */
export function firstLookOf(task: Pick<Task, 'module' | 'args'>, ctx: ModuleContext): FirstLook | undefined {
  const mod = MODULES[task.module]
  if (!mod?.run || !mod.firstLook) return undefined
  const parsed = mod.args.safeParse(task.args ?? {})
  return parsed.success ? mod.firstLook(parsed.data as never, ctx) : undefined
}

/**
 * Runs one playbook task on one host: validate the module's args, evaluate `when`, read facts (one round trip),
 * plan (pure), then run the plan's steps in order unless in check mode. A failing step stops the task; its stderr
 * (for a file: the validator's own message) becomes the task's message. A step that is the task's output (the
 * command module) gives the task its rc, stdout and stderr, which `changed_when`/`failed_when` may judge.
 */
export async function executeTask(
  task: Pick<Task, 'name' | 'module' | 'args' | 'when' | 'changed_when' | 'failed_when'>,
  ctx: ModuleContext,
  io: HostIO,
  play: string,
  /** This task's probe answer from the host's batched prefetch, valid while nothing changed on the host. */
  prefetched?: ExecResult,
  /**
   * defer: a change is planned but not made; the caller sends its steps with its neighbours' (pending: true).
   * blind: with no answer, this plan (blindFor) rather than the probe's.
   */
  opts: {defer?: boolean; blind?: Plan} = {},
): Promise<TaskResult & {plan?: Plan; pending?: boolean}> {
  const started = Date.now()
  const base = {host: ctx.host.name, play, task: task.name, module: task.module}
  const done = (status: TaskStatus, message?: string, plan?: Plan) => ({
    ...base,
    status,
    changed: status === 'changed',
    message,
    durationMs: Date.now() - started,
    diffs: plan?.diffs?.length ? plan.diffs : undefined,
    plan,
  })

  const mod = MODULES[task.module]
  if (!mod) return done('failed', `unknown module "${task.module}" (modules: ${Object.keys(MODULES).sort().join(', ')})`)
  const parsed = mod.args.safeParse(task.args ?? {})
  if (!parsed.success) return done('failed', `bad args for ${task.module}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`)
  if (task.when) {
    let run: boolean
    try {
      run = evaluateWhen(task.when, whenContext(ctx))
    } catch (error) {
      return done('failed', (error as Error).message)
    }
    if (!run) return done('skipped', `when: ${task.when}`)
  }

  let plan: Plan
  if (mod.run) {
    // A prefetched answer reaches a running module only while nothing since touched what its first look reads.
    const settled = prefetched && !ctx.check ? mod.firstLook?.(parsed.data as never, ctx)?.settle(prefetched) : undefined
    plan = settled ?? (await mod.run(parsed.data as never, ctx, io))
    return done(plan.status, plan.message, plan)
  }
  if (!prefetched && opts.blind) plan = opts.blind
  else {
    const probe = mod.probe ? (prefetched ?? (await io.exec(mod.probe(parsed.data as never, ctx)))) : undefined
    plan = mod.plan!(parsed.data as never, probe, ctx)
  }
  if (plan.status === 'changed' && ctx.check && (task.changed_when !== undefined || task.failed_when !== undefined)) {
    return done('skipped', 'not run in --check: changed_when/failed_when judge its output', plan)
  }
  if (plan.status !== 'changed' || ctx.check) return done(plan.status, ctx.check && plan.status === 'changed' ? `would change: ${plan.message ?? ''}` : plan.message, plan)
  if (opts.defer && plan.steps.length && !plan.steps.some((s) => s.output)) return {...done('changed', plan.message, plan), pending: true}
  const ran: ExecResult[] = []
  for (const step of plan.steps) {
    const r = await io.exec(step.command, step.stdin)
    if (step.output) return {...judged(task, ctx, r, step.label, done, plan), rc: r.code, stdout: r.stdout, stderr: r.stderr}
    if (r.code !== 0) return done('failed', stepFailure(step.label, r), plan)
    ran.push(r)
  }
  const settled = plan.settle?.(ran)
  return settled ? done(settled.status, settled.message, plan) : done('changed', plan.message, plan)
}

/** What a failed step says: its label and its stderr (for a file: the validator's own message), else stdout or rc. */
export function stepFailure(label: string, r: ExecResult): string {
  return `${label}: ${(r.stderr.trim() || r.stdout.trim() || `exit code ${r.code}`).split('\n').slice(0, 40).join('\n')}`
}

/** A command's result: failed when its rc is not 0 (or as failed_when says), changed unless changed_when says not. */
function judged<R>(task: Pick<Task, 'changed_when' | 'failed_when'>, ctx: ModuleContext, r: ExecResult, label: string, done: (s: TaskStatus, m?: string, p?: Plan) => R, plan: Plan): R {
  const names = {...whenContext(ctx), rc: r.code, stdout: r.stdout, stderr: r.stderr}
  let failedNow = r.code !== 0
  let changed = true
  try {
    if (task.failed_when !== undefined) failedNow = evaluateWhen(String(task.failed_when), names)
    if (task.changed_when !== undefined) changed = evaluateWhen(String(task.changed_when), names)
  } catch (error) {
    return done('failed', (error as Error).message, plan)
  }
  if (failedNow) return done('failed', `${label}: ${commandOutcome(r)}`, plan)
  const first = r.stdout.trim().split('\n')[0]
  return done(changed ? 'changed' : 'ok', `rc=${r.code}${first ? `: ${first}` : ''}`, plan)
}

/** rc and both streams, each cut to its last 20 lines: what a failed command says. */
export function commandOutcome(r: ExecResult): string {
  const tail = (s: string) => s.trimEnd().split('\n').slice(-20).join('\n')
  return [`rc=${r.code}`, `stdout: ${r.stdout.trim() ? `\n${tail(r.stdout)}` : '(none)'}`, `stderr: ${r.stderr.trim() ? `\n${tail(r.stderr)}` : '(none)'}`].join('\n')
}
