/**
 * What clients keep through a fault, measured against local servers: long downloads judged kept, reset, stalled or
 * finished; sticky clients (cookie jars) judged by the server their second answer names.
 */
import assert from 'node:assert/strict'
import {createServer, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, test} from 'node:test'
import {openEstablished} from '../../src/failover/established.js'
import {cookieClients, serverOf} from '../../src/failover/sticky.js'

let server: Server
let port = 0
const streams: ServerResponse[] = []
let served = 0

before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/stream') {
      res.writeHead(200, {'Content-Type': 'text/plain'})
      streams.push(res)
      const tick = setInterval(() => res.write('x'.repeat(256)), 50)
      res.on('close', () => clearInterval(tick))
      return
    }
    // A sticky backend: the cookie decides, else round robin.
    const cookie = /SRV=(web\d)/.exec(req.headers.cookie ?? '')?.[1]
    const name = cookie ?? `web${(served++ % 3) + 1}`
    res.writeHead(200, {'Content-Type': 'text/plain', ...(cookie ? {} : {'Set-Cookie': `SRV=${name}; path=/`})}).end(`server=${name}\n`)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  port = (server.address() as AddressInfo).port
})
after(() => {
  for (const s of streams) s.destroy()
  server.closeAllConnections()
  server.close()
})

const target = () => ({name: 'web', kind: 'http' as const, address: '127.0.0.1', port})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

test('established downloads: those still receiving after the move are kept; a reset one and a stalled one are not', async () => {
  const t0 = performance.now()
  const now = () => performance.now() - t0
  const set = openEstablished(target(), 4, '/stream', now)
  await sleep(300)
  assert.equal(streams.length, 4)
  streams[0].socket!.destroy() // the new director answers RST
  streams[1].socket!.pause() // nothing moves any more
  // @ts-expect-error stop the writer of the stalled one
  streams[1].write = () => true
  const moved = now()
  await sleep(3200)
  const m = set.finish(now(), moved)
  assert.deepEqual({kept: m.kept, reset: m.reset, stalled: m.stalled, total: m.total}, {kept: 2, reset: 1, stalled: 1, total: 4})
})

test('sticky clients by cookie: each jar comes back to the server it had', async () => {
  const c = await cookieClients(target(), 6, '/echo')
  const m = await c.after()
  assert.equal(m.by, 'cookie')
  assert.deepEqual([m.kept, m.total], [6, 6])
  assert.deepEqual(new Set(m.clients.map((x) => x.before)), new Set(['web1', 'web2', 'web3']), 'the jars were spread over the servers')
})

test('the server an answer names: server=NAME first, else the sticky cookie', () => {
  assert.equal(serverOf('server=web2\nrequest: GET /echo'), 'web2')
  assert.equal(serverOf('<html>', 'SRVID=web3'), 'web3')
  assert.equal(serverOf('<html>'), undefined)
})
