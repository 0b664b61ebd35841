/**
 * A Transport that runs commands on this machine with sh -c: for unit tests of remote programs (the failover
 * tracker and prober) without sshd. Acceptance tests use real SSH to lab hosts.
 */
import {spawn} from 'node:child_process'
import type {ShellCommand} from '../../src/shell/index.js'
import type {ExecResult, RemoteProcess, Transport} from '../../src/transport/types.js'

export class LocalTransport implements Transport {
  /** The pid of each stream()'s process (sh, or what it execs): a test can stop it as a busy machine would. */
  readonly streamPids: number[] = []
  constructor(readonly host = 'local') {}

  exec(command: ShellCommand, opts: {stdin?: string | Buffer} = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
      const c = spawn('sh', ['-c', command.text])
      let stdout = ''
      let stderr = ''
      c.stdout.on('data', (d) => (stdout += d))
      c.stderr.on('data', (d) => (stderr += d))
      c.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
      c.stdin.end(opts.stdin)
    })
  }

  async put(): Promise<void> {
    throw new Error('LocalTransport: put is not needed here')
  }

  async stream(command: ShellCommand, onStdout: (chunk: string) => void): Promise<RemoteProcess> {
    const c = spawn('sh', ['-c', command.text])
    if (c.pid) this.streamPids.push(c.pid)
    c.stdout.setEncoding('utf8').on('data', onStdout)
    let stderr = ''
    c.stderr.on('data', (d) => (stderr += d))
    const done = new Promise<ExecResult>((resolve) => c.on('close', (code) => resolve({code: code ?? -1, stdout: '', stderr})))
    return {done, write: (d) => void c.stdin.write(d), end: () => c.stdin.end(), close: () => c.kill()}
  }

  async close(): Promise<void> {}
}
