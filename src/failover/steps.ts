/**
 * A scenario's fault and restore steps: ordinary module tasks run through executeTask on the target's connection.
 * Scenario data reaches a step as environment variables (exported in front of every command, each value quoted by
 * cmd``), never pasted into the command text.
 */
import type {Cluster, Host} from '../inventory/model.js'
import type {HostFacts, HostIO, ModuleContext} from '../modules/types.js'
import {executeTask} from '../playbook/execute.js'
import {renderHost} from '../render/index.js'
import {cmd, type ShellCommand} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import type {Step} from './scenarios.js'
import type {StepOutcome} from './types.js'

export interface StepRun {
  outcomes: StepOutcome[]
  failed: boolean
  /** When the phase's first and last remote commands were sent (run time). */
  firstSent?: number
  lastSent?: number
  /** `lbctl-mark fault|restore EPOCH` lines the steps printed: host epoch milliseconds. */
  marks: {fault?: number; restore?: number}
}

export function withEnv(env: Record<string, string>, command: ShellCommand): ShellCommand {
  const words = Object.entries(env).map(([k, v]) => `${k}=${v}`)
  return words.length ? cmd`export ${words}; ${command}` : command
}

export function parseMarks(stdout: string): {fault?: number; restore?: number} {
  const out: {fault?: number; restore?: number} = {}
  for (const m of stdout.matchAll(/^lbctl-mark (fault|restore) (\d+(?:\.\d+)?)$/gm)) out[m[1] as 'fault' | 'restore'] = Number(m[2]) * 1000
  return out
}

function io(transports: Map<string, Transport>, host: string, env: Record<string, string>, seen: (sent: number, stdout: string) => void, now: () => number): HostIO {
  return {
    exec: async (command, stdin) => {
      const t = transports.get(host)
      if (!t) throw new Error(`${host} is not connected`)
      const sent = now()
      const r = await t.exec(withEnv(env, command), stdin === undefined ? undefined : {stdin})
      seen(sent, r.stdout)
      return r
    },
    peer: (other) => io(transports, other, {}, () => {}, now),
  }
}

export interface StepContext {
  cluster: Cluster
  host: Host
  facts: HostFacts
  transports: Map<string, Transport>
  env: Record<string, string>
  now: () => number
  /** The host's rendered files (for a template step); see renderedFiles. */
  files: ModuleContext['files']
}

/**
 * Rendered before the probes start: rendering is synchronous work that would hold up the probe timers (a gap in the
 * series right at the fault).
 */
export function renderedFiles(cluster: Cluster, host: string): ModuleContext['files'] {
  try {
    return renderHost(cluster, host)
  } catch {
    return []
  }
}

/** Runs every step even after one fails (a restore must try everything); `failed` says whether any did. */
export async function runSteps(
  phase: 'fault' | 'restore',
  steps: Step[],
  ctx: StepContext & {stopOnFailure?: boolean},
): Promise<StepRun> {
  const run: StepRun = {outcomes: [], failed: false, marks: {}}
  const mctx: ModuleContext = {cluster: ctx.cluster, host: ctx.host, files: ctx.files, facts: ctx.facts, check: false, diff: false, releaseId: 'failover-test', vars: {}}
  for (const step of steps) {
    let last: number | undefined
    const hostIO = io(ctx.transports, ctx.host.name, ctx.env, (sent, stdout) => {
      run.firstSent ??= sent
      last = sent
      Object.assign(run.marks, parseMarks(stdout))
    }, ctx.now)
    const started = ctx.now()
    let outcome: StepOutcome
    try {
      const r = await executeTask(step, mctx, hostIO, `failover ${phase}`)
      outcome = {phase, host: ctx.host.name, task: step.name, status: r.status, message: r.message, at: last ?? started, durationMs: r.durationMs}
    } catch (error) {
      outcome = {phase, host: ctx.host.name, task: step.name, status: 'failed', message: (error as Error).message, at: last ?? started, durationMs: ctx.now() - started}
    }
    if (last !== undefined) run.lastSent = last
    run.outcomes.push(outcome)
    if (outcome.status === 'failed') {
      run.failed = true
      if (ctx.stopOnFailure) break
    }
  }
  return run
}
