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
    res.writeHead(req.url === '/fail' ? 503 : 200, {'Content-Type': 'text/plain'}).end('server=local\n')
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
