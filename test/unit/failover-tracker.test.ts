/**
 * The VIP tracker: its bash program run for real in a throwaway network namespace (address events, a daemon's pid
 * watched without starting processes, ping answers, stop on EOF), and the controller's reading of its lines.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {copyFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {DirectorStream, ipStamp, parseIpLine} from '../../src/failover/tracker.js'
import {trackerCommand} from '../../src/failover/tracker-script.js'

describe('reading ip -o lines', () => {
  test('addresses (added and deleted) and links (up, down, no carrier)', () => {
    assert.deepEqual(parseIpLine('lb1', 5, '2: eth0    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever'), {director: 'lb1', t: 5, kind: 'add', what: '198.18.0.100', iface: 'eth0'})
    assert.equal(parseIpLine('lb1', 5, 'Deleted 2: eth0    inet 198.18.0.100/24 scope global secondary eth0:vip\\       valid_lft forever')?.kind, 'del')
    assert.equal(parseIpLine('lb1', 5, 'Deleted 2: eth0    inet6 fe80::6:1dff:feae:a44c/64 scope link \\       valid_lft forever'), undefined)
    const link = (l: string) => parseIpLine('lb1', 0, l)
    assert.deepEqual(link('2: eth0@if15: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 02:06'), {director: 'lb1', t: 0, kind: 'link', what: 'eth0', up: true})
    assert.equal(link('2: eth0@if15: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether')?.up, false)
    assert.equal(link('2: eth0@if15: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state DOWN group default')?.up, false)
    assert.equal(link('1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000')?.up, true)
  })

  test('a transcript, cut anywhere into chunks: snapshot, events, daemons, heartbeats with their counters', () => {
    const text = [
      'I 2: eth0    inet 10.0.0.11/24 scope global eth0\\       valid_lft forever',
      'I 2: eth0    inet 10.0.0.100/24 scope global secondary eth0\\       valid_lft forever',
      'I 2: eth0@if4: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP mode DEFAULT',
      'S 1000.000000 500',
      'K 1000.000100 1 77',
      'P 1000.000200 1 78',
      'Q 1000.100000 1',
      'H 1001.000000 503 5 1200',
      'A 1001.500000 Deleted 2: eth0    inet 10.0.0.100/24 scope global secondary eth0\\       valid_lft forever',
      'K 1001.600000 0 ',
      'H 1002.000000 510 5 40500',
      'X 1002.200000 511 5',
      '',
    ].join('\n')
    const s = new DirectorStream('lb1')
    for (let i = 0; i < text.length; i += 7) s.feed(text.slice(i, i + 7))
    assert.deepEqual(
      s.raw.map((e) => [e.hostMs, e.kind, e.what ?? e.up]),
      [[1_000_000, 'start', undefined], [1_000_000, 'add', '10.0.0.11'], [1_000_000, 'add', '10.0.0.100'], [1_000_000, 'link', 'eth0'], [1_000_000.1, 'keepalived', '77'], [1_000_000.2, 'haproxy', '78'], [1_001_500, 'del', '10.0.0.100'], [1_001_600, 'keepalived', false]],
    )
    assert.deepEqual(s.counters.map((c) => [c.lastPid, c.forks, c.lateMs]), [[500, 0, undefined], [503, 5, 1.2], [510, 5, 40.5], [511, 5, undefined]])
    assert.equal(s.knownUntil, 1_002_200)
    assert.equal(s.ended, true)
  })
})

const root = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0
describe('the tracker program, for real', {skip: root ? false : 'needs root and iproute2'}, () => {
  const ns = `lbctl-ut-track-${process.pid}`
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-track-'))
  const pidfile = join(dir, 'keepalived.pid')
  let daemon: ReturnType<typeof spawn>
  before(() => {
    spawnSync('ip', ['netns', 'add', ns])
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    // A process whose name is keepalived: the tracker checks the name behind the pid file.
    copyFileSync('/bin/sleep', join(dir, 'keepalived'))
    daemon = spawn(join(dir, 'keepalived'), ['60'], {stdio: 'ignore'})
    writeFileSync(pidfile, `${daemon.pid}\n`)
  })
  after(() => {
    daemon?.kill('SIGKILL')
    spawnSync('ip', ['netns', 'del', ns])
    rmSync(dir, {recursive: true, force: true})
  })

  test('streams address changes and the daemon\'s death as they happen, answers pings, ends on EOF, starts 6 processes', async () => {
    const command = trackerCommand({keepalivedPidfile: pidfile, haproxyPidfile: '', checkMs: 20, maxSeconds: 30}).text
    const child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', command], {stdio: ['pipe', 'pipe', 'inherit']})
    const s = new DirectorStream('t')
    child.stdout.setEncoding('utf8').on('data', (d: string) => s.feed(d))
    s.proc = {done: new Promise(() => {}), write: (d) => void child.stdin.write(d), end: () => child.stdin.end(), close: () => child.kill()}
    const until = async (what: string, ok: () => boolean) => {
      // Generous: bash and ip start slowly on a busy machine; the verdict must not depend on it.
      for (let i = 0; i < 600 && !ok(); i++) await new Promise((r) => setTimeout(r, 50))
      assert.ok(ok(), `waited for ${what}`)
    }
    await until('the snapshot', () => s.started)
    assert.deepEqual(s.raw.filter((e) => e.kind === 'keepalived').map((e) => [e.up, e.what]), [[true, String(daemon.pid)]])
    spawnSync('ip', ['-n', ns, 'addr', 'add', '10.77.0.1/32', 'dev', 'lo'])
    await until('the address event', () => s.raw.some((e) => e.kind === 'add' && e.what === '10.77.0.1'))
    daemon.kill('SIGKILL')
    await until('keepalived down', () => s.raw.some((e) => e.kind === 'keepalived' && e.up === false))
    const pong = s.ping('7', () => performance.now())
    const {hostMs} = await pong
    assert.ok(Math.abs(hostMs - Date.now()) < 10_000, 'the host stamps with its wall clock')
    await until('a heartbeat', () => s.counters.length >= 2)
    child.stdin.end()
    const code = await new Promise((r) => child.on('close', r))
    assert.equal(code, 0)
    assert.equal(s.ended, true)
    assert.equal(s.counters.at(-1)!.forks, 6, 'ip monitor, the snapshot (2 subshells + 2 ip), the stdin reader: then none')
  })
})

test('ip -ts stamps: the event time is ip\'s, in whatever zone the host runs, never later than the shell saw it', () => {
  const shell = Date.parse('2026-12-02T04:44:14.300Z')
  assert.deepEqual(ipStamp('[2026-12-02T04:44:14.118672] 2: eth0    inet 10.0.0.1/24', shell), {line: '2: eth0    inet 10.0.0.1/24', atMs: Date.parse('2026-12-02T04:44:14.118Z') + 0.672})
  // The host in UTC+05:30: its local stamp reads 10:14; the shell's epoch stamp says 04:44 UTC.
  assert.equal(ipStamp('[2026-12-02T10:14:14.118000] x', shell).atMs, Date.parse('2026-12-02T04:44:14.118Z'))
  assert.deepEqual(ipStamp('no stamp here', shell), {line: 'no stamp here', atMs: shell})
})
