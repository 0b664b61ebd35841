import {spawn} from 'node:child_process'

/** An error whose message is meant for the operator as is (the command prints it without a stack). */
export class LabError extends Error {
  override name = 'LabError'
}

/** A lab request that cannot be right (a name, a subnet, a count, a host the lab lacks): exit 2, nothing was done. */
export class LabArgumentError extends LabError {
  override name = 'LabArgumentError'
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

// Programs run with an argv array, never through a shell: the only shell strings the lab builds are the host init
// scripts, and those go through sh.ts's quote().
export function run(argv: string[], opts: {input?: string; timeoutMs?: number; cwd?: string} = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {stdio: ['pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 30_000, cwd: opts.cwd})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', (err) => resolve({code: 127, stdout, stderr: stderr + String(err.message)}))
    child.on('close', (code, signal) => resolve({code: code ?? (signal ? 128 : 1), stdout, stderr}))
    child.stdin.on('error', () => {})
    child.stdin.end(opts.input ?? '')
  })
}

export async function runOk(argv: string[], opts: {input?: string; timeoutMs?: number; cwd?: string} = {}): Promise<string> {
  const r = await run(argv, opts)
  if (r.code !== 0) throw new LabError(`\`${argv.join(' ')}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim()}`)
  return r.stdout
}

/** Promise.all with at most `limit` tasks in flight (a 50-host lab would otherwise fork 50 ssh-keygens at once). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return out
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
