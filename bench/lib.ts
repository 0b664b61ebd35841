// What the benchmarks share: running a command as a user would and timing it.
import {spawn} from 'node:child_process'

/** Runs argv (stdin closed, stderr dropped, CI=1 so progress is plain), with its wall time. */
export function timed(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{code: number; ms: number; stdout: string}> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'ignore'], env: {...process.env, CI: '1', ...env}})
    let stdout = ''
    c.stdout.on('data', (d) => (stdout += d))
    c.on('close', (code) => resolve({code: code ?? 255, ms: performance.now() - t0, stdout}))
  })
}

export const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`
