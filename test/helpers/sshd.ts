/**
 * A real OpenSSH server for integration tests: 127.0.0.1, a random free port,
 * its own host keys, public-key auth only. Needs root (sshd privilege
 * separation) and /usr/sbin/sshd.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const SSHD = '/usr/sbin/sshd'

export function canRunSshd(): string | undefined {
  if (!existsSync(SSHD)) return `${SSHD} not installed (apt-get install openssh-server)`
  if (process.getuid?.() !== 0) return 'sshd tests need root'
  return undefined
}

export function tempDir(prefix = 'lbctl-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

export interface KeyPair {
  path: string
  pub: string // "type base64 comment"
  type: string
  blob: Buffer
}

export function keygen(path: string, type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): KeyPair {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `lbctl-test-${type}`, '-f', path], { stdio: 'ignore' })
  const pub = readFileSync(`${path}.pub`, 'utf8').trim()
  const [t, b64] = pub.split(/\s+/)
  return { path, pub, type: t!, blob: Buffer.from(b64!, 'base64') }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

export interface Sshd {
  port: number
  dir: string
  hostKeys: KeyPair[]
  /** Everything sshd wrote to stderr (-e). */
  log: string[]
  /** "Accepted publickey" lines so far: one per authenticated connection. */
  accepted(): number
  /** A known_hosts line for this server's key of the given type (first host key by default). */
  knownHostsLine(type?: string): string
  stop(): Promise<void>
}

export interface SshdOptions {
  /** Public key lines allowed to log in (any user). */
  authorizedKeys: string[]
  hostKeyTypes?: Array<'ed25519' | 'ecdsa' | 'rsa'>
  extraConfig?: string
}

export async function startSshd(opts: SshdOptions): Promise<Sshd> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  const dir = tempDir('lbctl-sshd-')
  // sshd reads AuthorizedKeysFile as the login user: a non-root test user
  // must be able to reach it.
  chmodSync(dir, 0o755)
  const hostKeys = (opts.hostKeyTypes ?? ['ed25519']).map((t) => keygen(join(dir, `ssh_host_${t}_key`), t))
  const authorized = join(dir, 'authorized_keys')
  writeFileSync(authorized, opts.authorizedKeys.join('\n') + '\n', { mode: 0o644 })
  const port = await freePort()
  const config = join(dir, 'sshd_config')
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      ...hostKeys.map((k) => `HostKey ${k.path}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      `AuthorizedKeysFile ${authorized}`,
      // The temp dir lives under /tmp (mode 1777), which StrictModes rejects.
      'StrictModes no',
      'LogLevel INFO',
      opts.extraConfig ?? '',
    ].join('\n') + '\n',
  )
  const log: string[] = []
  const proc: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  await new Promise<void>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`sshd did not start:\n${log.join('\n')}`)), 10_000)
    proc.stderr!.on('data', (d: Buffer) => {
      buf += d.toString()
      const lines = buf.split('\n')
      buf = lines.pop()!
      for (const l of lines) {
        log.push(l)
        if (l.includes('Server listening on 127.0.0.1')) {
          clearTimeout(timer)
          resolve()
        }
      }
    })
    proc.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`sshd exited with ${code}:\n${log.join('\n')}${buf}`))
    })
  })
  let stopped: Promise<void> | undefined
  return {
    port,
    dir,
    hostKeys,
    log,
    accepted: () => log.filter((l) => l.includes('Accepted publickey')).length,
    knownHostsLine(type) {
      const k = type ? hostKeys.find((h) => h.type === type)! : hostKeys[0]!
      return `[127.0.0.1]:${port} ${k.type} ${k.blob.toString('base64')}`
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = () => {
          rmSync(dir, { recursive: true, force: true })
          resolve()
        }
        if (proc.exitCode !== null || proc.signalCode !== null) return done()
        proc.once('exit', done)
        proc.kill('SIGTERM')
      })
      return stopped
    },
  }
}
