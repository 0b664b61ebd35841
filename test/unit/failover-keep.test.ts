/**
 * What clients keep through a fault, measured against local servers: long downloads judged kept, reset, stalled or
 * finished; sticky clients (cookie jars) judged by the server their second answer names.
 */
import assert from 'node:assert/strict'
import {createServer, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {after, before, test} from 'node:test'
import {awaitSynced, ipvsClients, openEstablished} from '../../src/failover/established.js'
import type {Transport} from '../../src/transport/types.js'
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

test('IPVS connection table: the client end of each entry, from the hex of /proc/net/ip_vs_conn', () => {
  const table = 'Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n' +
    'TCP C6122F01 D5A4 C6122F64 0050 C6122F15 0050 ESTABLISHED    899\nTCP C6122F01 D5A6 C6122F64 0050 C6122F16 0050 ESTABLISHED    899\n'
  assert.deepEqual([...ipvsClients(table)], ['198.18.47.1:54692', '198.18.47.1:54694'])
})

test('with lvs_sync the fault waits until every director lists every connection, and says how many did', async () => {
  const set = openEstablished(target(), 3, '/stream', () => performance.now())
  await sleep(300)
  const hex = (l: string) => {
    const [ip, port] = l.split(':')
    return `TCP ${ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0')).join('').toUpperCase()} ${Number(port).toString(16).padStart(4, '0').toUpperCase()} 0A000064 0050 0A000065 0050 ESTABLISHED 899`
  }
  let asked = 0
  // The master knows all three at once; the backup learns the third on its third look.
  const director = (lag: boolean) => ({exec: async () => ({stdout: set.locals().slice(0, lag && ++asked < 3 ? 2 : 3).map(hex).join('\n'), stderr: '', code: 0})}) as unknown as Transport
  assert.equal(await awaitSynced([director(false), director(true)], set, 5000), 3)
  assert.equal(asked, 3)
  const never = {exec: async () => ({stdout: set.locals().slice(0, 1).map(hex).join('\n'), stderr: '', code: 0})} as unknown as Transport
  assert.equal(await awaitSynced([director(false), never], set, 600), 1, 'bounded: the fault goes ahead, and the report says 1 of 3')
  set.synced = 1
  assert.equal(set.finish(performance.now(), undefined).synced, 1)
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
