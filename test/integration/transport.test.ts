/**
 * The SSH transport against real OpenSSH servers on 127.0.0.1: host key
 * checking, auth, exec, put, connection reuse, ProxyJump and sudo.
 */
import { test, before, after, describe } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { cmd } from '../../src/shell/index.js'
import {
  AuthError,
  closeAll,
  connect,
  ConnectionLostError,
  ExecTimeoutError,
  fingerprint,
  HostKeyChangedError,
  HostKeyRevokedError,
  HostKeyUnknownError,
  openAll,
  PutError,
  sshCounters,
  SshTransport,
  TransportError,
  UnreachableError,
  type ConnectOptions,
  type ExecResult,
  type SshTarget,
  type Transport,
} from '../../src/transport/index.js'
import { canRunSshd, freePort, keygen, startSshd, tempDir, type KeyPair, type Sshd } from '../helpers/sshd.js'

const skip = canRunSshd()

/**
 * sshd runs commands through the login shell, and Debian's bash sources
 * ~/.bashrc for ssh sessions: whatever root's .bashrc prints to stderr (on
 * this machine, pyenv's rehash racing with itself) lands before ours. So
 * stderr is checked by its tail, not for equality.
 */
function assertResult(r: ExecResult, want: { code: number; stdout: string; stderr: string }): void {
  assert.equal(r.code, want.code)
  assert.equal(r.stdout, want.stdout)
  assert.ok(r.stderr.endsWith(want.stderr), `stderr ${JSON.stringify(r.stderr)} should end with ${JSON.stringify(want.stderr)}`)
}

describe('SSH transport against a real sshd', { skip }, () => {
  let dir: string
  let clientKey: KeyPair
  let otherKey: KeyPair
  let server: Sshd
  let bastion: Sshd
  let kh: string // known_hosts with both servers' ed25519 keys
  const open: Transport[] = []

  // Nothing from the user's ~/.ssh or agent may leak into these tests.
  const base = (): ConnectOptions => ({ agent: false, sshConfigPath: join(dir, 'no-config'), knownHostsPath: kh })
  const target = (extra: Partial<SshTarget> = {}): SshTarget => ({
    name: 'lb1',
    host: '127.0.0.1',
    port: server.port,
    identityFile: clientKey.path,
    ...extra,
  })
  async function conn(t: SshTarget = target(), o: ConnectOptions = {}): Promise<Transport> {
    const tr = await connect(t, { ...base(), ...o })
    open.push(tr)
    return tr
  }
  function khFile(name: string, lines: string[]): string {
    const f = join(dir, name)
    writeFileSync(f, lines.join('\n') + '\n')
    return f
  }

  before(async () => {
    dir = tempDir()
    clientKey = keygen(join(dir, 'id_client'))
    otherKey = keygen(join(dir, 'id_other'))
    server = await startSshd({ authorizedKeys: [clientKey.pub], hostKeyTypes: ['ed25519', 'ecdsa'] })
    bastion = await startSshd({ authorizedKeys: [clientKey.pub] })
    kh = khFile('known_hosts', [server.knownHostsLine('ssh-ed25519'), bastion.knownHostsLine()])
  })

  after(async () => {
    await Promise.all(open.map((t) => t.close()))
    await Promise.all([server?.stop(), bastion?.stop()])
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('exec: output, exit code, stderr and stdin propagate', async () => {
    const t = await conn()
    const r = await t.exec(cmd`echo hi; hostname`)
    assert.equal(r.code, 0)
    assert.equal(r.stdout, `hi\n${execFileSync('hostname', { encoding: 'utf8' })}`)
    assertResult(await t.exec(cmd`echo oops >&2; exit 3`), { code: 3, stdout: '', stderr: 'oops\n' })
    const weird = "it's $(not run) `nor this` \n ünï"
    assert.equal((await t.exec(cmd`printf %s ${weird}`)).stdout, weird)
    assert.equal((await t.exec(cmd`wc -c`, { stdin: 'four' })).stdout.trim(), '4')
    assert.equal((await t.exec(cmd`cat`)).stdout, '') // stdin gets EOF even when not given
    assert.equal((t as SshTransport).sudo, false) // root: no sudo wrapper
  })

  test('put: exact binary bytes, mode, atomic replace; errors are PutError', async () => {
    const t = await conn()
    const bytes = Buffer.alloc(256 * 1024)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff
    const path = join(dir, 'put target with spaces.bin')
    await t.put(path, bytes, { mode: 0o640 })
    assert.ok(readFileSync(path).equals(bytes))
    const sha = createHash('sha256').update(bytes).digest('hex')
    const remote = await t.exec(cmd`sha256sum < ${path}; stat -c %a ${path}`)
    assert.equal(remote.stdout, `${sha}  -\n640\n`)
    await t.put(path, 'second\n')
    assert.equal(readFileSync(path, 'utf8'), 'second\n')
    assert.equal((await t.exec(cmd`stat -c %a ${path}`)).stdout, '644\n')
    assert.equal((await t.exec(cmd`ls -a ${dir}`)).stdout.includes('.lbctl-'), false, 'no temp file left behind')
    await assert.rejects(t.put(join(dir, 'no/such/dir/f'), 'x'), PutError)
    await assert.rejects(t.put('relative/path', 'x'), TypeError)
  })

  test('one connection per host: many execs reuse it', async () => {
    const accepted0 = server.accepted()
    const conns0 = sshCounters.connections
    const t = (await conn()) as SshTransport
    for (let i = 0; i < 20; i++) assert.equal((await t.exec(cmd`echo ${i}`)).stdout, `${i}\n`)
    await t.put(join(dir, 'reuse'), 'x')
    assert.equal(server.accepted() - accepted0, 1, 'sshd authenticated exactly one connection')
    assert.equal(sshCounters.connections - conns0, 1)
    assert.equal(t.channelsOpened, 21)
  })

  test('30 concurrent execs on one connection (sshd MaxSessions 10) all succeed', async () => {
    const accepted0 = server.accepted()
    const t = await conn()
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => t.exec(cmd`sleep 0.2; echo ${i}`)))
    results.forEach((r, i) => assertResult(r, { code: 0, stdout: `${i}\n`, stderr: '' }))
    assert.equal(server.accepted() - accepted0, 1)
  })

  test('exec timeout rejects on time, the remote command is killed, the connection stays usable', async () => {
    const t = await conn()
    const t0 = Date.now()
    await assert.rejects(t.exec(cmd`sleep 29.123`, { timeoutMs: 300 }), ExecTimeoutError)
    assert.ok(Date.now() - t0 < 1500, `rejected after ${Date.now() - t0} ms`)
    assert.equal((await t.exec(cmd`echo still here`)).stdout, 'still here\n')
    // The remote side (timeout -s KILL) ends it within about a second more.
    await new Promise((r) => setTimeout(r, 2500))
    assert.equal((await t.exec(cmd`pgrep -x -f ${'sleep 29.123'} || echo gone`)).stdout, 'gone\n')
    // Within the limit, a command is unaffected by the wrapper.
    assertResult(await t.exec(cmd`echo ${"it's"}; exit 4`, { timeoutMs: 5000 }), { code: 4, stdout: "it's\n", stderr: '' })
  })

  /** Connect and run a command that leaves a mark: proves nothing ran when connect fails. */
  async function refusedBeforeAnything(t: SshTarget, o: ConnectOptions): Promise<unknown> {
    const mark = join(dir, `must-not-exist-${Math.random().toString(36).slice(2)}`)
    const accepted0 = server.accepted()
    const err = await connect(t, { ...base(), ...o }).then(
      async (tr) => {
        await tr.exec(cmd`touch ${mark}`)
        await tr.close()
        return undefined
      },
      (e: unknown) => e,
    )
    assert.equal(existsSync(mark), false, 'the command did not run')
    assert.equal(server.accepted(), accepted0, 'sshd saw no successful authentication')
    return err
  }

  test('unknown host key: HostKeyUnknownError says how to fix, nothing runs', async () => {
    const err = await refusedBeforeAnything(target(), { knownHostsPath: khFile('kh-empty', ['# nothing']) })
    assert.ok(err instanceof HostKeyUnknownError, String(err))
    assert.equal(err.host, 'lb1')
    assert.match(err.message, new RegExp(`ssh-keyscan -p ${server.port} 127\\.0\\.0\\.1 >> .*kh-empty`))
    assert.match(err.message, /--accept-new/)
    assert.match(err.message, new RegExp(fingerprint(server.hostKeys[0]!.blob).replace(/[+/]/g, '\\$&')))
    assert.ok(!err.message.includes('\n'))
  })

  test('acceptNew records the key, then a strict connect verifies it', async () => {
    const f = join(dir, 'kh-new', 'known_hosts') // dir does not exist yet, like a fresh ~/.ssh
    const t = await conn(target(), { knownHostsPath: f, acceptNew: true })
    assert.equal((await t.exec(cmd`echo ok`)).stdout, 'ok\n')
    const text = readFileSync(f, 'utf8')
    assert.equal(text, server.knownHostsLine('ssh-ed25519') + '\n')
    // Real OpenSSH finds the entry we wrote.
    assert.match(execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${server.port}`, '-f', f], { encoding: 'utf8' }), /found: line 1/)
    const again = await conn(target(), { knownHostsPath: f })
    assert.equal((await again.exec(cmd`echo strict`)).stdout, 'strict\n')
    assert.equal(readFileSync(f, 'utf8'), text, 'nothing appended the second time')
  })

  test('changed host key: HostKeyChangedError with file:line and both fingerprints, nothing runs (even with acceptNew)', async () => {
    const f = khFile('kh-changed', ['# first line', `[127.0.0.1]:${server.port} ${otherKey.type} ${otherKey.blob.toString('base64')}`])
    const err = await refusedBeforeAnything(target(), { knownHostsPath: f, acceptNew: true })
    assert.ok(err instanceof HostKeyChangedError, String(err))
    assert.match(err.message, /REMOTE HOST IDENTIFICATION HAS CHANGED/)
    assert.equal(err.info.file, f)
    assert.equal(err.info.line, 2)
    assert.match(err.message, new RegExp(`${f}:2`))
    assert.equal(err.info.expected, fingerprint(otherKey.blob))
    assert.equal(err.info.offered, fingerprint(server.hostKeys[0]!.blob))
  })

  test('revoked host key is refused', async () => {
    const f = khFile('kh-revoked', [server.knownHostsLine('ssh-ed25519'), `@revoked * ${server.knownHostsLine('ssh-ed25519').split(' ').slice(1).join(' ')}`])
    const err = await refusedBeforeAnything(target(), { knownHostsPath: f })
    assert.ok(err instanceof HostKeyRevokedError, String(err))
  })

  test('hashed known_hosts entry (ssh-keygen -H) works', async () => {
    const f = khFile('kh-hashed', [server.knownHostsLine('ssh-ed25519')])
    execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' })
    assert.match(readFileSync(f, 'utf8'), /^\|1\|/)
    const t = await conn(target(), { knownHostsPath: f })
    assert.equal((await t.exec(cmd`echo hashed`)).stdout, 'hashed\n')
  })

  test('known_hosts holding only the ECDSA key: that key type is negotiated (not "unknown")', async () => {
    const f = khFile('kh-ecdsa', [server.knownHostsLine('ecdsa-sha2-nistp256')])
    const t = await conn(target(), { knownHostsPath: f })
    assert.equal((await t.exec(cmd`echo ecdsa`)).stdout, 'ecdsa\n')
  })

  test('wrong key: AuthError naming what was tried', async () => {
    const err = await connect(target({ identityFile: otherKey.path }), base()).catch((e: unknown) => e)
    assert.ok(err instanceof AuthError, String(err))
    assert.match(err.message, /root@\[127\.0\.0\.1\]:\d+/)
    assert.ok(err.message.includes(otherKey.path))
    assert.match(err.message, /server accepts: publickey/)
  })

  test('missing key file: AuthError says it was skipped', async () => {
    const err = await connect(target({ identityFile: join(dir, 'nope') }), base()).catch((e: unknown) => e)
    assert.ok(err instanceof AuthError, String(err))
    assert.match(err.message, /skipped .*nope \(ENOENT\)/)
  })

  test('ssh-agent: tried first, like OpenSSH; a dead agent socket is not fatal', async () => {
    const sock = join(dir, 'agent.sock')
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' })
    try {
      for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50))
      execFileSync('ssh-add', ['-q', clientKey.path], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' })
      // The key file is wrong; the agent's key is right.
      const t = await conn(target({ identityFile: otherKey.path }), { agent: sock })
      assert.equal((await t.exec(cmd`echo agent`)).stdout, 'agent\n')
      assert.ok(server.log.some((l) => l.includes('Accepted publickey') && l.includes(fingerprint(clientKey.blob))))
    } finally {
      agent.kill()
    }
    const dead = await conn(target(), { agent: join(dir, 'no-agent.sock') })
    assert.equal((await dead.exec(cmd`echo keyfile`)).stdout, 'keyfile\n')
    const err = await connect(target({ identityFile: otherKey.path }), { ...base(), agent: join(dir, 'no-agent.sock') }).catch((e: unknown) => e)
    assert.ok(err instanceof AuthError, String(err))
    assert.match(err.message, /ssh-agent/)
  })

  test('closed port: UnreachableError, quickly', async () => {
    const port = await freePort()
    const t0 = Date.now()
    const err = await connect(target({ port }), base()).catch((e: unknown) => e)
    assert.ok(err instanceof UnreachableError, String(err))
    assert.match(err.message, new RegExp(`\\[127\\.0\\.0\\.1\\]:${port}: connection refused`))
    assert.ok(Date.now() - t0 < 2000)
  })

  test('a port that never speaks SSH: UnreachableError after the connect timeout', async () => {
    const silent: Server = createServer(() => {})
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    try {
      const port = (silent.address() as { port: number }).port
      const t0 = Date.now()
      const err = await connect(target({ port, connectTimeoutSec: 1 }), base()).catch((e: unknown) => e)
      assert.ok(err instanceof UnreachableError, String(err))
      assert.match(err.message, /no SSH handshake within 1s/)
      assert.ok(Date.now() - t0 < 4000)
    } finally {
      silent.close()
      // ssh2 leaves the socket to the server; drop it so close() can finish.
      silent.unref()
    }
  })

  // ConnectTimeout is the longest the server may stay silent, not a bound on the whole login: 200 hosts logging in at
  // once on 2 cores each take 12 s, and are alive the whole time.
  test('a slow server that keeps answering logs in, though the login takes longer than the connect timeout', async () => {
    // Every packet from sshd reaches the client 600 ms late: a login of ~5 round trips takes ~3 s.
    const slow: Server = createServer((c) => {
      const up = createConnection(server.port, '127.0.0.1')
      c.on('data', (d) => up.write(d))
      up.on('data', (d) => setTimeout(() => c.writable && c.write(d), 600))
      const done = () => { c.destroy(); up.destroy() }
      c.on('close', done).on('error', done)
      up.on('close', () => setTimeout(done, 700)).on('error', done)
    })
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r))
    try {
      const port = (slow.address() as { port: number }).port
      const t0 = Date.now()
      const t = await conn(target({ port, connectTimeoutSec: 1, knownHosts: khFile('kh-slow', []) }), { acceptNew: true, knownHostsPath: undefined })
      assert.ok(Date.now() - t0 > 1500, `the login took ${Date.now() - t0} ms: the proxy did not slow it`)
      assert.equal((await t.exec(cmd`echo slow`)).stdout, 'slow\n')
    } finally {
      slow.close()
      slow.unref()
    }
  })

  test('a server that answers, then goes silent: UnreachableError after the connect timeout of silence', async () => {
    const mute: Server = createServer((c) => c.write('SSH-2.0-OpenSSH_9.2 mute\r\n'))
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r))
    try {
      const port = (mute.address() as { port: number }).port
      const t0 = Date.now()
      const err = await connect(target({ port, connectTimeoutSec: 1 }), base()).catch((e: unknown) => e)
      assert.ok(err instanceof UnreachableError, String(err))
      assert.match(err.message, /the SSH server went silent for 1s during the key exchange/)
      assert.ok(Date.now() - t0 < 4000)
    } finally {
      mute.close()
      mute.unref()
    }
  })

  test('ProxyJump through a bastion (and a chain a,b); every hop is verified', async () => {
    const accT = server.accepted()
    const accB = bastion.accepted()
    const jump = `root@127.0.0.1:${bastion.port}`
    const t = await conn(target({ proxyJump: jump }))
    assert.equal((await t.exec(cmd`echo via bastion`)).stdout, 'via bastion\n')
    assert.equal(server.accepted() - accT, 1)
    assert.equal(bastion.accepted() - accB, 1)
    assert.ok(server.log.some((l) => l.includes('Accepted publickey') && l.includes('from 127.0.0.1')))

    const chained = await conn(target({ proxyJump: `${jump},${jump}` }))
    assert.equal((await chained.exec(cmd`echo chained`)).stdout, 'chained\n')
    assert.equal(bastion.accepted() - accB, 3)

    // The bastion is not in this known_hosts: refused at the bastion, target never contacted.
    const f = khFile('kh-target-only', [server.knownHostsLine('ssh-ed25519')])
    const err = await refusedBeforeAnything(target({ proxyJump: jump }), { knownHostsPath: f })
    assert.ok(err instanceof HostKeyUnknownError, String(err))
    assert.equal(err.host, 'lb1')
    assert.equal(err.via, jump)
    assert.match(err.message, new RegExp(`via jump ${jump}.*\\[127\\.0\\.0\\.1\\]:${bastion.port}`))

    // The bastion cannot reach the next hop: UnreachableError for the target.
    const dead = await freePort()
    const unreach = await connect(target({ port: dead, proxyJump: jump }), base()).catch((e: unknown) => e)
    assert.ok(unreach instanceof UnreachableError, String(unreach))
    assert.match(unreach.message, new RegExp(`\\[127\\.0\\.0\\.1\\]:${dead}`))
  })

  test('~/.ssh/config style file: alias → HostName, Port, IdentityFile, ProxyJump', async () => {
    const cfg = join(dir, 'ssh_config')
    writeFileSync(
      cfg,
      `Host lb-via-bastion\n  HostName 127.0.0.1\n  Port ${server.port}\n  IdentityFile ${clientKey.path}\n  ProxyJump gw\n` +
        `Host gw\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  IdentityFile ${clientKey.path}\n`,
    )
    const t = await conn({ name: 'lb1', host: 'lb-via-bastion' }, { sshConfigPath: cfg })
    assert.equal((await t.exec(cmd`echo from config`)).stdout, 'from config\n')
  })

  test('openAll: bounded parallel connects, one connection per host, failures in the map', async () => {
    const accepted0 = server.accepted()
    const conns0 = sshCounters.connections
    const dead = await freePort()
    const pool = await openAll(
      [target({ name: 'a' }), target({ name: 'b' }), target({ name: 'c', port: dead }), target({ name: 'd' })],
      base(),
      { forks: 2 },
    )
    try {
      assert.deepEqual([...pool.keys()], ['a', 'b', 'c', 'd'])
      assert.ok(pool.get('c') instanceof UnreachableError)
      assert.equal((pool.get('c') as TransportError).host, 'c')
      for (const n of ['a', 'b', 'd']) {
        const t = pool.get(n) as Transport
        assert.equal(t.host, n)
        for (let i = 0; i < 3; i++) assert.equal((await t.exec(cmd`echo ${n}`)).stdout, `${n}\n`)
      }
      assert.equal(server.accepted() - accepted0, 3)
      assert.equal(sshCounters.connections - conns0, 4) // 3 good + 1 refused attempt
    } finally {
      await closeAll(pool)
    }
  })

  test('connection lost mid-command: ConnectionLostError, process survives', async () => {
    const t = await conn()
    // $PPID of the command is the sshd process serving this connection.
    const err = await t.exec(cmd`kill -9 $PPID; sleep 3`).catch((e: unknown) => e)
    assert.ok(err instanceof ConnectionLostError, String(err))
    await assert.rejects(t.exec(cmd`true`), ConnectionLostError)
  })

  describe('sudo for a non-root login user', () => {
    const user = 'lbctl-sudo-test'
    const sudoers = '/etc/sudoers.d/lbctl-sudo-test'
    let why: string | undefined

    before(() => {
      try {
        execFileSync('sh', ['-c', 'command -v sudo'], { stdio: 'ignore' })
      } catch {
        why = 'sudo is not installed (apt-get install -y sudo)'
        return
      }
      try {
        try {
          execFileSync('id', [user], { stdio: 'ignore' })
        } catch {
          execFileSync('useradd', ['-m', '-s', '/bin/sh', user], { stdio: 'ignore' })
        }
        // With UsePAM no, sshd refuses an account whose password is locked
        // ("!"); "*" means "no password" but not locked.
        execFileSync('usermod', ['-p', '*', user], { stdio: 'ignore' })
        writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 })
      } catch (e) {
        why = `cannot create a test user: ${(e as Error).message}`
      }
    })

    after(() => {
      rmSync(sudoers, { force: true })
      try {
        execFileSync('userdel', ['-r', '-f', user], { stdio: 'ignore' })
      } catch {}
    })

    test('commands run as root via sudo -n; put works through sudo', async (t) => {
      if (why) return t.skip(why)
      // Closed here, not in the outer after(): userdel refuses a user with live sessions.
      const tr = (await conn(target({ user }))) as SshTransport
      const plain = (await conn(target({ user, sudo: false }))) as SshTransport
      try {
        assert.equal(tr.sudo, true)
        // timeout(1) runs inside sudo, so it may kill what root started (checked at the end).
        const t0 = Date.now()
        await assert.rejects(tr.exec(cmd`sleep 20.321`, { timeoutMs: 200 }), ExecTimeoutError)
        const r = await tr.exec(cmd`id -u; whoami; echo ${"it's quoted"}`)
        assert.deepEqual(r, { code: 0, stdout: `0\nroot\nit's quoted\n`, stderr: '' })
        const rootOnly = join(dir, 'root-only')
        execFileSync('install', ['-d', '-m', '0700', rootOnly])
        const path = join(rootOnly, 'f.bin')
        await tr.put(path, Buffer.from([0, 255, 39, 10]), { mode: 0o600 })
        assert.ok(readFileSync(path).equals(Buffer.from([0, 255, 39, 10])))
        assert.equal((await tr.exec(cmd`stat -c %U:%a ${path}`)).stdout, 'root:600\n')
        assert.equal((await tr.exec(cmd`cat`, { stdin: 'stdin through sudo' })).stdout, 'stdin through sudo')
        assert.equal((await plain.exec(cmd`whoami`)).stdout, `${user}\n`)
        await assert.rejects(plain.put(path, 'x'), PutError)

        await new Promise((res) => setTimeout(res, Math.max(0, 3000 - (Date.now() - t0))))
        assert.equal((await plain.exec(cmd`pgrep -x -f ${'sleep 20.321'} || echo gone`)).stdout, 'gone\n')
      } finally {
        await Promise.all([tr.close(), plain.close()])
      }
    })

    test('sudo that needs a password fails fast (sudo -n), not a hang', async (t) => {
      if (why) return t.skip(why)
      writeFileSync(sudoers, `${user} ALL=(ALL) ALL\n`, { mode: 0o440 })
      try {
        const tr = await conn(target({ user }))
        const r = await tr.exec(cmd`id -u`, { timeoutMs: 10_000 })
        await tr.close()
        assert.notEqual(r.code, 0)
        assert.match(r.stderr, /password is required/)
      } finally {
        writeFileSync(sudoers, `${user} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 })
      }
    })
  })
})
