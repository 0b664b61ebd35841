/**
 * The probers, for real against local servers: the controller's (Node.js) and the --from one (a single perl process,
 * here run locally): new connections per interval, the path asked for, failures named, the baseline snapshot, and a
 * clean stop.
 */
import assert from 'node:assert/strict'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, describe, test} from 'node:test'
import {runClock} from '../../src/failover/clock.js'
import {controllerProber, probeOnce, stallMeter} from '../../src/failover/probe.js'
import {remoteProber} from '../../src/failover/remote-probe.js'
import type {ProbeTarget} from '../../src/failover/types.js'
import {LocalTransport} from '../helpers/local-transport.js'

let server: Server
let port = 0
const paths: string[] = []
const connections = new Set<number>()

before(async () => {
  server = createServer((req, res) => {
    paths.push(req.url ?? '')
    connections.add(req.socket.remotePort ?? 0)
    const answer = () => res.writeHead(req.url === '/fail' ? 503 : 200, {'Content-Type': 'text/plain'}).end('server=local\n')
    if (req.url === '/slow') setTimeout(answer, 150)
    else answer()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
after(() => server.close())

/** A port nothing listens on: bind one, note it, close it. */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const p = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return p
}

const targets = (p: number, dead: number): ProbeTarget[] => [
  {name: 'web', kind: 'http', address: '127.0.0.1', port: p},
  {name: 'db', kind: 'tcp', address: '127.0.0.1', port: p},
  {name: 'gone', kind: 'http', address: '127.0.0.1', port: dead},
]

for (const where of ['controller', 'perl (--from)'] as const) {
  describe(`${where} prober`, () => {
    test('every interval a new connection per target; the path asked for; refused and 5xx fail; stops cleanly', async () => {
      paths.length = 0
      connections.clear()
      const clock = runClock()
      const t = targets(port, await closedPort())
      const opts = {intervalMs: 50, timeoutMs: 500, path: '/health?x=1'}
      const p = where === 'controller' ? controllerProber(t, {...opts, now: clock.now}) : remoteProber(new LocalTransport(), t, {...opts, clock, maxSeconds: 30})
      await p.start()
      await new Promise((r) => setTimeout(r, 600))
      const mid = p.snapshot()
      assert.ok(mid.results.length >= 3, `results arrive while it runs (${mid.results.length})`)
      const results = await p.stop()
      const by = (n: string) => results.filter((r) => r.target === n)
      // About one per 50 ms; a busy machine starts the prober late, never early.
      assert.ok(by('web').length >= 3 && by('web').length <= 16, `about one per 50 ms: ${by('web').length}`)
      assert.ok(by('web').every((r) => r.ok && r.detail === '200'), JSON.stringify(by('web').slice(0, 2)))
      assert.ok(by('db').every((r) => r.ok && r.detail === 'connected'))
      assert.ok(by('gone').every((r) => !r.ok && r.detail === 'ECONNREFUSED'), JSON.stringify(by('gone')[0]))
      assert.ok(paths.every((x) => x === '/health?x=1'), paths[0])
      assert.equal(connections.size, paths.length, 'one connection per probe')
      const starts = by('web').map((r) => r.start)
      assert.ok(starts[0] >= 0 && starts.at(-1)! < clock.now(), 'on the run\'s time line')
    })
  })
}

test('perl prober: a 5xx from the service fails the probe, as HAProxy\'s 503 would', async () => {
  const clock = runClock()
  const p = remoteProber(new LocalTransport(), [{name: 'web', kind: 'http', address: '127.0.0.1', port}], {intervalMs: 50, timeoutMs: 500, path: '/fail', clock, maxSeconds: 30})
  await p.start()
  await new Promise((r) => setTimeout(r, 200))
  const results = await p.stop()
  assert.ok(results.length > 0 && results.every((r) => !r.ok && r.detail === '503'))
})

test('a stall of the controller itself fails no probe whose answer came; a server that never answers still times out', async () => {
  const clock = runClock()
  const meter = stallMeter()
  const web: ProbeTarget = {name: 'web', kind: 'http', address: '127.0.0.1', port}
  // The whole process cannot run for 600 ms (a busy two-core machine): the answer is there when it resumes.
  const stall = (ms: number) => {
    const end = performance.now() + ms
    while (performance.now() < end);
  }
  const plain = probeOnce(web, 300, clock.now)
  const metered = probeOnce(web, 300, clock.now, '/', meter.now)
  stall(600)
  const [a, b] = await Promise.all([plain, metered])
  assert.equal(a.detail, 'timeout') // what a plain timer said: the instrument's stall, called an outage
  assert.deepEqual([b.ok, b.detail], [true, '200'])
  // A server that accepts and never answers: the limit still holds, with no stall to credit.
  const silent = createServer(() => {})
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  const c = await probeOnce({...web, port: (silent.address() as AddressInfo).port}, 300, clock.now, '/', meter.now)
  silent.closeAllConnections()
  silent.close()
  meter.stop()
  assert.deepEqual([c.ok, c.detail], [false, 'timeout'])
  assert.ok(c.latency >= 290 && c.latency < 1000, `latency ${c.latency}`)
})

test('perl prober: a stall of the prober process fails no probe whose answer came; a silent server still times out', async () => {
  const silent = createServer(() => {})
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  const clock = runClock()
  const local = new LocalTransport()
  // Every 100 ms a probe that takes 150 ms: one or two are always in flight when the process is stopped. The limit
  // (1 s) leaves this test's own server, busy on a loaded machine, room to answer; the stop is twice as long.
  const t: ProbeTarget[] = [
    {name: 'web', kind: 'http', address: '127.0.0.1', port},
    {name: 'silent', kind: 'http', address: '127.0.0.1', port: (silent.address() as AddressInfo).port},
  ]
  const p = remoteProber(local, t, {intervalMs: 100, timeoutMs: 1000, path: '/slow', clock, maxSeconds: 30})
  await p.start()
  await new Promise((r) => setTimeout(r, 500))
  const pid = local.streamPids[0]
  process.kill(pid, 'SIGSTOP') // the client host cannot run the prober for 2 s; the answers wait in its sockets
  const stoppedAt = clock.now()
  await new Promise((r) => setTimeout(r, 2000))
  process.kill(pid, 'SIGCONT')
  await new Promise((r) => setTimeout(r, 1500))
  const results = await p.stop()
  silent.closeAllConnections()
  silent.close()
  const web = results.filter((r) => r.target === 'web')
  const around = web.filter((r) => r.start < stoppedAt && r.start + r.latency > stoppedAt)
  assert.ok(around.length >= 1, `a probe was in flight when the prober stopped: ${JSON.stringify(web.map((r) => [Math.round(r.start), Math.round(r.latency)]))}`)
  assert.deepEqual(web.filter((r) => !r.ok), [], 'no web probe failed')
  const quiet = results.filter((r) => r.target === 'silent')
  assert.ok(quiet.length >= 5 && quiet.every((r) => !r.ok && r.detail === 'timeout'), JSON.stringify(quiet.slice(0, 2)))
  // Outside the stall a silent server times out at the limit, not later.
  assert.ok(quiet.some((r) => r.latency >= 990 && r.latency < 1200), JSON.stringify(quiet.map((r) => Math.round(r.latency))))
})
