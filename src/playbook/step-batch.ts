import type {Step} from '../modules/types.js'
import type {ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'
import {framedBatch, parseBatch, type Framed} from './prefetch.js'
import {randomBytes} from 'node:crypto'

export interface StepBatchResult {
  /** Per group (task), the answer of each step that ran; a group cut short by a failure has fewer. */
  steps: ExecResult[][]
  /** The trailing probe's answer, when every step passed. */
  probe?: ExecResult
  /** The closing command's answer, when every step passed. */
  closing?: ExecResult
}

/**
 * The steps of several tasks in one round trip, in order, each with its own stdin, stopping at the first that does
 * not exit 0 — as if each had been sent on its own and the run had stopped there. `probe` (the next task's, read
 * after these changes) and `closing` (the host's journal settled and its lock given back, after its last step) ride
 * along when every step passed.
 */
export async function runStepBatch(exec: (c: ShellCommand, stdin?: string | Buffer) => Promise<ExecResult>, groups: Step[][], probe?: ShellCommand, closing?: ShellCommand): Promise<StepBatchResult> {
  const payloads: Buffer[] = []
  const items: Framed[] = groups.flat().map((s) => {
    const bytes = s.stdin === undefined ? undefined : Buffer.isBuffer(s.stdin) ? s.stdin : Buffer.from(s.stdin, 'utf8')
    if (bytes?.length) payloads.push(bytes)
    return {command: s.command, stdinBytes: bytes?.length || undefined, selfDelimited: s.selfDelimited, stop: true}
  })
  if (probe) items.push({command: probe})
  if (closing) items.push({command: closing})
  const token = randomBytes(12).toString('hex')
  const r = await exec(framedBatch(items, token), payloads.length ? Buffer.concat(payloads) : undefined)
  let answers: ExecResult[]
  try {
    answers = parseBatch(r.stdout, items.length, token, true, r.stderr)
  } catch {
    answers = []
  }
  if (answers.length === 0 && r.code !== 0) throw new Error(`the batch did not start (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim() || 'no output'}`)
  const steps: ExecResult[][] = []
  let i = 0
  for (const g of groups) {
    steps.push(answers.slice(i, i + g.length).filter(Boolean))
    i += g.length
  }
  return {steps, probe: probe ? answers[groups.flat().length] : undefined, closing: closing ? answers[items.length - 1] : undefined}
}

