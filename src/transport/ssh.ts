/**
 * The SSH transport. This is the only file that imports ssh2.
 *
 * One ssh2 Client per host for a whole run; every exec/put is a channel on it.
 * Host keys are checked against known_hosts before authentication, so a host
 * with an unknown or changed key never receives a command.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Socket } from 'node:net'
import { dirname, basename } from 'node:path'
import type { Duplex } from 'node:stream'
import ssh2 from 'ssh2'
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, NextAuthHandler } from 'ssh2'
import { cmd, sh, type ShellCommand } from '../shell/index.js'
import {
  AuthError,
  ConnectionLostError,
  ExecTimeoutError,
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  PutError,
  TransportError,
  UnreachableError,
  type Where,
} from './errors.js'
import { appendKnownHost, blobKeyType, fingerprint, hostString, knownKeyTypes, loadKnownHosts, verify } from './known-hosts.js'
import { Limiter } from './limit.js'
import { resolveTarget, type ResolvedHost } from './ssh-config.js'
import type { ConnectOptions, ExecOptions, ExecResult, RemoteProcess, SshTarget, Transport } from './types.js'

// ssh2 is CommonJS; its named exports are not visible to Node's ESM loader.
const { Client, utils } = ssh2
type Client = InstanceType<typeof Client>

/**
 * Process-wide counters, so a test or benchmark can prove "one SSH connection
 * per host per run". `connections` counts every SSH session started, jump hops
 * included; `channels` every exec channel opened.
 */
export const sshCounters = { connections: 0, channels: 0 }
export function resetSshCounters(): void {
  sshCounters.connections = 0
  sshCounters.channels = 0
}

// ConnectTimeout bounds the server's *silence* while connecting, not the whole login: from the TCP connect to the
// banner, and between any two of its packets until authentication succeeds. A host that is down or frozen is given up
// after it; a host that is merely slow (200 sshd's logging in at once on 2 cores take 12 s each, in lockstep) keeps
// going. OpenSSH's ConnectTimeout likewise covers only the connect and the banner.
const DEFAULT_CONNECT_TIMEOUT_SEC = 15
// A login that keeps answering but never finishes is still bounded, at sshd's own LoginGraceTime default.
const LOGIN_GRACE_SEC = 120
// A host that stops answering mid-run (link down, host frozen) is given up after at most (3 + 1) × 3 s = 12 s:
// one unanswered keepalive per interval, the connection dropped on the fourth. Not lower: an emulated director
// (the LVS lab's QEMU TCG) on a busy machine can take seconds to answer. ~/.ssh/config's ServerAlive* win.
const DEFAULT_KEEPALIVE_MS = 3_000
const DEFAULT_KEEPALIVE_COUNT = 3
// sshd's MaxSessions defaults to 10 channels per connection; beyond it a
// channel open fails with "open failed". Stay below, and queue the rest.
const DEFAULT_MAX_CHANNELS = 8

/**
 * Connect to one host (through its ProxyJump chain), verifying every hop's
 * host key. Rejects only with TransportError subclasses.
 */
export async function connect(target: SshTarget, opts: ConnectOptions = {}): Promise<Transport> {
  const hops: Client[] = []
  try {
    const r = resolveTarget(target, {
      ...(opts.sshConfigPath !== undefined ? { sshConfigPath: opts.sshConfigPath } : {}),
      ...(opts.knownHostsPath !== undefined ? { knownHostsPath: opts.knownHostsPath } : {}),
    })
    let sock: Duplex | undefined
    const chain = [...r.jumps, r]
    for (let i = 0; i < chain.length; i++) {
      const h = chain[i]!
      const where: Where = h === r ? { host: target.name } : { host: target.name, via: h.name }
      const client = await handshake(h, where, opts, sock)
      if (h === r) {
        // sudo unless told otherwise: lbctl writes /etc and restarts services.
        const useSudo = target.sudo ?? r.user !== 'root'
        return new SshTransport(target.name, client, hops, r, useSudo, opts.maxChannels ?? DEFAULT_MAX_CHANNELS)
      }
      hops.push(client)
      sock = await forward(client, chain[i + 1]!, { host: target.name, via: h.name })
    }
    throw new Error('unreachable')
  } catch (e) {
    for (const c of hops.reverse()) c.end()
    // Config and known_hosts problems (bad Port, unreadable file) too.
    throw e instanceof TransportError ? e : new TransportError({ host: target.name }, (e as Error).message, { cause: e })
  }
}

function address(h: ResolvedHost): string {
  return hostString(h.hostname, h.port)
}

/** Open a TCP channel from a jump host to the next hop (like `ssh -W`). */
function forward(client: Client, next: ResolvedHost, where: Where): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) => {
      if (err) reject(new UnreachableError(where, { address: address(next), reason: `jump host could not connect: ${err.message}` }, { cause: err }))
      else resolve(stream)
    })
  })
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset during handshake',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary)',
}

// ssh2 negotiates the host key algorithm from the client's preference list.
// Like OpenSSH, prefer the types known_hosts already holds for this host: if
// it only has an RSA key, asking for ed25519 first would make a known host
// look unknown.
function hostKeyAlgorithms(types: string[]): string[] {
  const algs: string[] = []
  for (const t of types) {
    if (t === 'ssh-rsa') algs.push('rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa')
    else if (t === 'ssh-ed25519' || t.startsWith('ecdsa-sha2-')) algs.push(t)
  }
  return algs
}

interface Attempt {
  label: string
  method: AuthenticationType
  auth: AnyAuthMethod
}

/** Agent first, then key files in order, as OpenSSH does. Encrypted keys are skipped (no prompt). */
function authAttempts(h: ResolvedHost, opts: ConnectOptions, skipped: string[]): Attempt[] {
  const attempts: Attempt[] = []
  const agent =
    opts.agent === false ? undefined : opts.agent ?? (h.identityAgent === 'none' ? undefined : h.identityAgent ?? process.env.SSH_AUTH_SOCK)
  if (agent) attempts.push({ label: `ssh-agent (${agent})`, method: 'publickey', auth: { type: 'agent', username: h.user, agent } })
  for (const file of h.identityFiles) {
    let key: Buffer
    try {
      key = readFileSync(file)
    } catch (e) {
      skipped.push(`${file} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`)
      continue
    }
    const parsed = utils.parseKey(key)
    if (parsed instanceof Error) {
      const why = /passphrase|encrypted/i.test(parsed.message) ? 'encrypted: load it into ssh-agent' : parsed.message
      skipped.push(`${file} (${why})`)
      continue
    }
    attempts.push({ label: `key ${file}`, method: 'publickey', auth: { type: 'publickey', username: h.user, key } })
  }
  return attempts
}

/** Connect one hop (or the target) over `sock` or TCP, verify its host key, authenticate. */
function handshake(h: ResolvedHost, where: Where, opts: ConnectOptions, sock?: Duplex): Promise<Client> {
  const addr = address(h)
  const entries = loadKnownHosts(h.knownHostsFiles)
  const acceptNew = opts.acceptNew === true || h.strictHostKeyChecking === 'accept-new' || h.strictHostKeyChecking === 'no'
  const preferred = hostKeyAlgorithms(knownKeyTypes(entries, h.hostKeyName, h.port))
  const skipped: string[] = []
  const attempts = authAttempts(h, opts, skipped)
  const tried: string[] = []
  let allowed: string[] | undefined
  let hostKeyError: TransportError | undefined
  let authExhausted = false
  let handshakeDone = false
  const silenceSec = h.connectTimeoutSec ?? DEFAULT_CONNECT_TIMEOUT_SEC
  // Our own socket (ssh2 would make one) so the silence timer can hear every packet the server sends.
  const channel: Duplex = sock ?? new Socket()

  const hostVerifier = (key: Buffer): boolean => {
    const keyType = blobKeyType(key) ?? 'unknown'
    const v = verify(entries, h.hostKeyName, h.port, keyType, key)
    const hk = hostString(h.hostKeyName, h.port)
    if (v.status === 'ok') return true
    if (v.status === 'revoked') {
      hostKeyError = new HostKeyRevokedError(where, { address: hk, fingerprint: fingerprint(key), file: v.file!, line: v.line! })
    } else if (v.status === 'changed') {
      const e = v.entry!
      hostKeyError = new HostKeyChangedError(where, {
        address: hk,
        keyType: e.keyType,
        expected: fingerprint(e.key),
        offered: fingerprint(key),
        file: e.file,
        line: e.line,
      })
    } else if (acceptNew) {
      try {
        appendKnownHost(h.knownHostsFiles[0]!, h.hostKeyName, h.port, key)
        return true
      } catch (err) {
        hostKeyError = new TransportError(where, `cannot record the new host key in ${h.knownHostsFiles[0]}: ${(err as Error).message}`)
      }
    } else {
      hostKeyError = new HostKeyUnknownError(where, {
        address: hk,
        hostname: h.hostKeyName,
        port: h.port,
        keyType,
        fingerprint: fingerprint(key),
        knownHostsFile: h.knownHostsFiles[0]!,
      })
    }
    return false
  }

  const authHandler = (methodsLeft: AuthenticationType[] | null, _partial: boolean | null, next: NextAuthHandler): void => {
    if (methodsLeft) allowed = methodsLeft
    for (let a = attempts.shift(); a; a = attempts.shift()) {
      // ssh2 passes null on the first call, before the server has said what it accepts.
      if (methodsLeft && !methodsLeft.includes(a.method)) continue
      tried.push(a.label)
      return next(a.auth)
    }
    authExhausted = true
    // ssh2 accepts false to give up, though its types do not say so.
    ;(next as unknown as (x: false) => void)(false)
  }

  const config: ConnectConfig = {
    username: h.user,
    readyTimeout: Math.max(LOGIN_GRACE_SEC, silenceSec) * 1000,
    keepaliveInterval: opts.keepaliveIntervalMs ?? (h.serverAliveIntervalSec !== undefined ? h.serverAliveIntervalSec * 1000 : DEFAULT_KEEPALIVE_MS),
    keepaliveCountMax: h.serverAliveCountMax ?? DEFAULT_KEEPALIVE_COUNT,
    hostVerifier,
    authHandler: authHandler as ConnectConfig['authHandler'],
    ...(preferred.length
      ? { algorithms: { serverHostKey: { remove: preferred, prepend: preferred } as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } }
      : {}),
    sock: channel,
  }

  return new Promise((resolve, reject) => {
    const client = new Client()
    sshCounters.connections++
    let settled = false
    let heard = false
    const silence = setTimeout(() => {
      const reason = !heard
        ? `no SSH handshake within ${silenceSec}s`
        : `the SSH server went silent for ${silenceSec}s during the ${handshakeDone ? 'authentication' : 'key exchange'}`
      fail(new UnreachableError(where, { address: addr, reason }))
    }, silenceSec * 1000)
    const onData = () => {
      heard = true
      silence.refresh()
    }
    const stopListening = () => {
      clearTimeout(silence)
      channel.off('data', onData)
    }
    const fail = (e: TransportError) => {
      if (settled) return
      settled = true
      stopListening()
      client.destroy()
      reject(e)
    }
    const authError = (reason?: string) =>
      new AuthError(where, {
        address: addr,
        user: h.user,
        tried: [...tried, ...skipped.map((s) => `skipped ${s}`)],
        ...(allowed ? { allowed } : {}),
        ...(reason ? { reason } : {}),
      })

    client.on('handshake', () => (handshakeDone = true))
    // An exec is a few small request/reply packets; OpenSSH disables Nagle
    // for sessions so they never wait on a delayed ACK. ssh2 leaves it on.
    client.on('connect', () => client.setNoDelay(true))
    client.on('ready', () => {
      if (settled) return
      settled = true
      stopListening()
      resolve(client)
    })
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (settled) return
      if (hostKeyError) return fail(hostKeyError)
      switch (err.level) {
        // ssh2 reports a failing agent or a key that cannot sign, then goes on
        // to the next method by itself: not fatal.
        case 'agent': {
          const i = tried.findIndex((x) => x.startsWith('ssh-agent'))
          if (i >= 0) tried[i] += ` unusable: ${err.message}`
          return
        }
        case 'client-authentication':
          if (!authExhausted) return
          return fail(authError())
        case 'client-socket':
        case 'client-dns': {
          const reason = SOCKET_REASONS[err.code ?? ''] ?? err.message
          return fail(new UnreachableError(where, { address: addr, reason }, { cause: err }))
        }
        case 'client-timeout':
          return fail(
            new UnreachableError(
              where,
              { address: addr, reason: `no SSH login within ${config.readyTimeout! / 1000}s, though the server kept answering` },
              { cause: err },
            ),
          )
      }
      // A server that disconnects after the key exchange is refusing us
      // (e.g. "Too many authentication failures", MaxAuthTries).
      if (handshakeDone) return fail(authError(err.message))
      fail(new TransportError(where, `SSH handshake with ${addr} failed: ${err.message}`, { cause: err }))
    })
    client.on('close', () => {
      if (hostKeyError) return fail(hostKeyError)
      fail(new UnreachableError(where, { address: addr, reason: 'connection closed during the SSH handshake' }))
    })
    try {
      // Connecting before ssh2 sees the socket: ssh2 takes a socket that is not connecting as already connected.
      if (!sock) (channel as Socket).connect({ host: h.hostname, port: h.port })
      client.connect(config)
      // After connect(): ssh2 has paused the stream, so this listener does not start it flowing before ssh2 reads.
      channel.on('data', onData)
    } catch (e) {
      fail(new TransportError(where, `bad SSH settings for ${addr}: ${(e as Error).message}`, { cause: e }))
    }
  })
}

export class SshTransport implements Transport {
  private lost: TransportError | undefined
  private closed = false
  private closing: Promise<void> | undefined
  private readonly limiter: Limiter
  private readonly where: Where
  /** Channels this connection has opened (for tests of reuse). */
  channelsOpened = 0

  /** @internal built by connect() */
  constructor(
    readonly host: string,
    private readonly client: Client,
    private readonly hops: Client[],
    readonly resolved: ResolvedHost,
    /** Commands run as `sudo -n -- sh -c '...'`. */
    readonly sudo: boolean,
    maxChannels: number,
  ) {
    this.where = { host }
    this.limiter = new Limiter(maxChannels)
    // Without an 'error' listener an ssh2 error (keepalive timeout, reset)
    // would crash the process; record it and fail the pending commands instead.
    client.on('error', (err: Error) => {
      this.lost ??= new ConnectionLostError(this.where, `connection to ${address(resolved)} lost: ${err.message}`, { cause: err })
    })
    client.on('close', () => {
      this.closed = true
      this.lost ??= new ConnectionLostError(this.where, `connection to ${address(resolved)} closed`)
    })
    for (const hop of hops) hop.on('error', () => {})
  }

  /** The login user's command, wrapped for sudo when needed. */
  wrap(command: ShellCommand): ShellCommand {
    return this.sudo ? cmd`sudo -n -- ${sh(command)}` : command
  }

  exec(command: ShellCommand, opts: ExecOptions = {}): Promise<ExecResult> {
    let c = command
    if (opts.timeoutMs !== undefined) {
      // sshd ignores the SSH "signal" request in common setups (root logins
      // log "session signalling requires privilege separation"), and it only
      // closes a channel once its command exits. So the remote side enforces
      // the limit with timeout(1) (coreutils/busybox; it kills the process
      // group), inside sudo so that it may kill root's processes. The local
      // timer, a bit earlier, is the authority for the caller.
      const secs = Math.ceil(opts.timeoutMs / 1000) + 1
      c = cmd`timeout -s KILL ${secs} ${sh(command)}`
    }
    const text = this.wrap(c).text
    return new Promise((resolve, reject) => {
      this.limiter.run(() => this.run(text, command.text, opts, resolve, reject)).catch(reject)
    })
  }

  /**
   * Settles the caller's promise when the command ends (or times out), and
   * resolves its own only when the channel is closed, so that the limiter
   * slot is held as long as sshd counts the session.
   */
  private run(
    text: string,
    shown: string,
    opts: ExecOptions,
    resolve: (r: ExecResult) => void,
    reject: (e: unknown) => void,
  ): Promise<void> {
    return new Promise((release) => {
      if (this.lost) {
        reject(this.lost)
        return release()
      }
      const onChannel = (err: Error | undefined, stream: ClientChannel) => {
        if (err) {
          reject(this.lost ?? new ConnectionLostError(this.where, `cannot open a channel: ${err.message}`, { cause: err }))
          return release()
        }
        sshCounters.channels++
        this.channelsOpened++
        const out: Buffer[] = []
        const errOut: Buffer[] = []
        let code: number | null = null
        let signal: string | undefined
        let timedOut = false
        const timer =
          opts.timeoutMs !== undefined
            ? setTimeout(() => {
                timedOut = true
                reject(new ExecTimeoutError(this.where, opts.timeoutMs!, shown))
                stream.close()
              }, opts.timeoutMs)
            : undefined
        stream.on('data', (d: Buffer) => out.push(d))
        stream.stderr.on('data', (d: Buffer) => errOut.push(d))
        stream.on('exit', (c: number | null, sig?: string) => {
          code = c
          if (sig) signal = sig
        })
        // 'close' comes after all data and the exit status: settle there.
        stream.on('close', () => {
          if (timer) clearTimeout(timer)
          release()
          if (timedOut) return
          if (code === null && signal === undefined && this.lost) return reject(this.lost)
          resolve({
            code: code ?? -1,
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(errOut).toString('utf8'),
            ...(signal ? { signal } : {}),
          })
        })
        // Always send EOF, or a command reading stdin (cat) would wait forever.
        if (opts.stdin !== undefined) stream.end(opts.stdin)
        else stream.end()
      }
      try {
        this.client.exec(text, onChannel)
      } catch (e) {
        // ssh2 throws "Not connected" synchronously once the socket is gone.
        reject(this.lost ?? new ConnectionLostError(this.where, (e as Error).message, { cause: e }))
        release()
      }
    })
  }

  /**
   * Holds a channel slot for as long as the command runs, like exec(); the
   * caller's promise resolves as soon as the channel is open.
   */
  stream(command: ShellCommand, onStdout: (chunk: string) => void): Promise<RemoteProcess> {
    const text = this.wrap(command).text
    return new Promise((resolveOpen, rejectOpen) => {
      this.limiter
        .run(
          () =>
            new Promise<void>((release) => {
              if (this.lost) {
                rejectOpen(this.lost)
                return release()
              }
              const onChannel = (err: Error | undefined, stream: ClientChannel) => {
                if (err) {
                  rejectOpen(this.lost ?? new ConnectionLostError(this.where, `cannot open a channel: ${err.message}`, { cause: err }))
                  return release()
                }
                sshCounters.channels++
                this.channelsOpened++
                const errOut: Buffer[] = []
                let code: number | null = null
                let signal: string | undefined
                let settle!: { resolve: (r: ExecResult) => void; reject: (e: unknown) => void }
                const done = new Promise<ExecResult>((resolve, reject) => (settle = { resolve, reject }))
                // A caller that never awaits `done` must not crash the process on a lost connection.
                done.catch(() => undefined)
                stream.setEncoding('utf8')
                stream.on('data', (d: string) => onStdout(d))
                stream.stderr.on('data', (d: Buffer) => errOut.push(d))
                stream.on('exit', (c: number | null, sig?: string) => {
                  code = c
                  if (sig) signal = sig
                })
                stream.on('close', () => {
                  release()
                  if (code === null && signal === undefined && this.lost) return settle.reject(this.lost)
                  settle.resolve({ code: code ?? -1, stdout: '', stderr: Buffer.concat(errOut).toString('utf8'), ...(signal ? { signal } : {}) })
                })
                resolveOpen({ done, write: (data) => void stream.write(data), end: () => stream.end(), close: () => stream.close() })
              }
              try {
                this.client.exec(text, onChannel)
              } catch (e) {
                rejectOpen(this.lost ?? new ConnectionLostError(this.where, (e as Error).message, { cause: e }))
                release()
              }
            }),
        )
        .catch(rejectOpen)
    })
  }

  /**
   * Bytes go through stdin of `cat`, so any content is safe; the file is
   * written next to its destination and renamed, so a reader (keepalived,
   * haproxy reload) never sees half a file.
   */
  async put(path: string, content: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    if (!path.startsWith('/')) throw new TypeError(`put(): path must be absolute, got ${path}`)
    const mode = opts.mode ?? 0o644
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RangeError(`put(): bad mode ${mode}`)
    const tmp = `${dirname(path)}/.${basename(path)}.lbctl-${randomBytes(6).toString('hex')}`
    const octal = mode.toString(8).padStart(4, '0')
    const c = cmd`umask 077 && cat > ${tmp} && chmod ${octal} ${tmp} && mv -f -- ${tmp} ${path} || { rm -f -- ${tmp}; exit 1; }`
    const res = await this.exec(c, { stdin: typeof content === 'string' ? Buffer.from(content, 'utf8') : content })
    if (res.code !== 0) throw new PutError(this.where, path, res.code, res.stderr)
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.lost ??= new ConnectionLostError(this.where, 'transport closed')
      const done = () => {
        clearTimeout(timer)
        for (const hop of [...this.hops].reverse()) hop.end()
        resolve()
      }
      // A dead peer never answers our disconnect: don't wait forever.
      const timer = setTimeout(() => {
        this.client.destroy()
        done()
      }, 3000)
      if (this.closed) return done()
      this.client.once('close', done)
      this.client.end()
    })
    return this.closing
  }
}
