/**
 * A deliberately busy machine: CPU hogs at normal priority beside the test, as another CI job or a batch run on the
 * same host would be. Verdicts that flip when the machine is busy are bugs.
 */
import {spawn, type ChildProcess} from 'node:child_process'

export async function withCpuHogs<T>(n: number, fn: () => Promise<T>): Promise<T> {
  const hogs: ChildProcess[] = []
  for (let i = 0; i < n; i++) hogs.push(spawn(process.execPath, ['-e', 'for(;;);'], {stdio: 'ignore'}))
  try {
    return await fn()
  } finally {
    for (const h of hogs) h.kill('SIGKILL')
  }
}
