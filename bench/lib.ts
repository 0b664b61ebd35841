// What the benchmarks share: running a command as a user would and timing it.
import {spawn} from 'node:child_process'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

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

/**
 * The issue-14 workload on a lab's inventory in `dir`: every real server carries a sysctl (so every host is a
 * target); the change is that sysctl on every real server and a server weight on both directors. Writes
 * first.yaml and change.yaml beside it.
 */
export async function everyHostInventories(dir: string, lab: string): Promise<{first: string; change: string}> {
  const yaml = (await readFile(join(dir, `${lab}.yaml`), 'utf8')).replace(
    /^  (web\d+): \{ address: ([\d.]+), port: 80 \}$/gm,
    '  $1: { address: $2, port: 80, tuning: { sysctls: { net.core.somaxconn: 1024 } } }',
  )
  const first = join(dir, 'first.yaml')
  const change = join(dir, 'change.yaml')
  await writeFile(first, yaml)
  await writeFile(change, yaml.replaceAll('net.core.somaxconn: 1024', 'net.core.somaxconn: 2048').replace('servers: [web1,', 'servers: [{name: web1, weight: 2},'))
  return {first, change}
}
