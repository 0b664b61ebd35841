/**
 * An in-memory Transport for unit tests of pure logic elsewhere (planning,
 * diffing, reporting). Never used by acceptance tests: they talk to real sshd.
 */
import type { ShellCommand } from '../shell/index.js'
import type { ExecOptions, ExecResult, RemoteProcess, Transport } from './types.js'

export type FakeReply = Partial<ExecResult> | ((command: string, stdin: Buffer | undefined, fake: FakeTransport) => Partial<ExecResult>)

export interface FakeRule {
  /** Matched against the command text; a string must equal it exactly. */
  match: RegExp | string
  reply: FakeReply
}

export interface FakeFile {
  content: Buffer
  mode: number
}

export class FakeTransport implements Transport {
  /** Every command text, in order (put() records `put PATH`). */
  readonly commands: string[] = []
  readonly files = new Map<string, FakeFile>()
  closed = false

  /**
   * Rules are tried in order, first match wins. An unmatched command throws,
   * unless `fallback` is given: a silent default would hide a missing script.
   */
  constructor(
    readonly host: string,
    private readonly rules: FakeRule[] = [],
    private readonly fallback?: FakeReply,
  ) {}

  /** Add a rule; it takes precedence over the ones given before. */
  on(match: RegExp | string, reply: FakeReply): this {
    this.rules.unshift({ match, reply })
    return this
  }

  async exec(command: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    if (this.closed) throw new Error(`FakeTransport ${this.host}: exec after close`)
    const text = command.text
    this.commands.push(text)
    const rule = this.rules.find((r) => (typeof r.match === 'string' ? r.match === text : r.match.test(text)))
    const reply = rule?.reply ?? this.fallback
    if (reply === undefined) throw new Error(`FakeTransport ${this.host}: no scripted reply for: ${text}`)
    const stdin = opts.stdin === undefined ? undefined : Buffer.from(opts.stdin)
    const r = typeof reply === 'function' ? reply(text, stdin, this) : reply
    return { code: r.code ?? 0, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(r.signal ? { signal: r.signal } : {}) }
  }

  async put(path: string, content: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    if (this.closed) throw new Error(`FakeTransport ${this.host}: put after close`)
    this.commands.push(`put ${path}`)
    this.files.set(path, { content: Buffer.from(content), mode: opts.mode ?? 0o644 })
  }

  /** The scripted reply's stdout arrives in one chunk, then the command ends. */
  async stream(command: ShellCommand, onStdout: (chunk: string) => void): Promise<RemoteProcess> {
    const r = await this.exec(command)
    queueMicrotask(() => r.stdout && onStdout(r.stdout))
    const done = new Promise<ExecResult>((resolve) => setImmediate(() => resolve({ ...r, stdout: '' })))
    return { done, write: () => {}, end: () => {}, close: () => {} }
  }

  /** A file written by put(), as text. */
  read(path: string): string | undefined {
    return this.files.get(path)?.content.toString('utf8')
  }

  async close(): Promise<void> {
    this.closed = true
  }
}
