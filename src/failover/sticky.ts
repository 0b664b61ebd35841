/**
 * Whether sticky clients keep their real server through a failover (--sticky M). Before the fault each of M clients
 * asks the VIP service for a page that names the server (the lab's /echo: `server=NAME` first; else the value of the
 * sticky cookie HAProxy set); after the VIP moved, each asks again, the same way. Two kinds of client:
 *   cookie   from the controller, one cookie jar each: HAProxy's `cookie NAME insert` (survives by design)
 *   source   from the --from client host, one source address each (its further addresses): `stick on src` with
 *            a stick table, `balance source`, LVS persistence — what a new director knows only if it was told
 */
import {request} from 'node:http'
import {haproxyCli} from '../drain/remote.js'
import {cmd} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import type {ProbeTarget, StickyMeasure} from './types.js'

interface Answer {
  server?: string
  cookie?: string
}

/** The server an answer names: `server=NAME` on its first line, else the sticky cookie's value. */
export function serverOf(body: string, cookie?: string): string | undefined {
  return /^server=(\S+)/.exec(body)?.[1] ?? cookie?.split('=')[1]
}

function get(t: ProbeTarget, path: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({host: t.address, port: t.port, path, agent: false, timeout: 3000, headers: {Connection: 'close', ...(cookie ? {Cookie: cookie} : {})}}, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (d: string) => (body += d))
      res.on('end', () => {
        const set = (res.headers['set-cookie'] ?? [])[0]?.split(';')[0]
        resolve({server: serverOf(body, set ?? cookie), cookie: set ?? cookie})
      })
      res.on('error', () => resolve({}))
    })
    req.on('timeout', () => req.destroy())
    req.on('error', () => resolve({}))
    req.end()
  })
}

export interface StickyClients {
  /** Asks again as each client did before; what each got. */
  after(): Promise<StickyMeasure>
  /** Source clients: their addresses, the keys a `stick on src` table holds for them. */
  sources?: string[]
}

const tableKeys = (showTable: string) => new Set([...showTable.matchAll(/\bkey=(\S+)/g)].map((m) => m[1]))

/**
 * Waits until every director's HAProxy stick tables hold every source client, at most `ms`. Right after a reload
 * HAProxy's peers resync for up to 5 s before they push entries to the other directors: a fault in that window
 * tests the replication's start, not the failover. Returns the directors still missing some client when it gave up.
 */
export async function awaitReplication(directors: Transport[], sources: string[], ms: number, signal?: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + ms
  for (;;) {
    const missing: string[] = []
    for (const d of directors) {
      const names = [...(await d.exec(haproxyCli(['show table']), {timeoutMs: 5000}).catch(() => ({stdout: ''}))).stdout.matchAll(/^# table: ([^,\s]+)/gm)].map((m) => m[1])
      const keys = names.length ? tableKeys((await d.exec(haproxyCli(names.map((n) => `show table ${n}`)), {timeoutMs: 5000}).catch(() => ({stdout: ''}))).stdout) : new Set<string>()
      if (sources.some((s) => !keys.has(s))) missing.push(d.host)
    }
    if (missing.length === 0 || Date.now() > deadline || signal?.aborted) return missing
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** M cookie jars on the controller: the first answer's cookie is sent with the second request. */
export async function cookieClients(t: ProbeTarget, m: number, path: string): Promise<StickyClients> {
  const before = await Promise.all(Array.from({length: m}, () => get(t, path)))
  return {
    async after() {
      const again = await Promise.all(before.map((b) => get(t, path, b.cookie)))
      const clients = before.map((b, i) => ({id: `jar${i + 1}`, before: b.server, after: again[i].server}))
      return {by: 'cookie', total: m, kept: clients.filter((c) => c.before && c.before === c.after).length, clients}
    },
  }
}

/** Each of the client host's addresses asks once, in one round trip (curl --interface per address). */
async function ask(client: Transport, sources: string[], t: ProbeTarget, path: string): Promise<Map<string, string | undefined>> {
  const url = `http://${t.address}:${t.port}${path}`
  const r = await client.exec(cmd`for s in ${sources}; do printf '%s ' "$s"; curl -s -m 3 --interface "$s" -H 'Connection: close' ${url} | head -n 1; echo; done`, {timeoutMs: 60_000})
  const out = new Map<string, string | undefined>()
  for (const line of r.stdout.split('\n')) {
    const [src, first] = [line.split(' ')[0], line.slice(line.indexOf(' ') + 1)]
    if (sources.includes(src) && !out.has(src)) out.set(src, serverOf(first))
  }
  return out
}

/** M source addresses of the --from client (its IPv4 addresses on the VIP's network, the primary first). */
export async function sourceClients(client: Transport, t: ProbeTarget, m: number, path: string): Promise<StickyClients> {
  const r = await client.exec(cmd`ip -4 -o addr show scope global`, {timeoutMs: 15_000})
  const net = t.address.split('.').slice(0, 3).join('.')
  const sources = [...r.stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)].map((x) => x[1]).filter((a) => a.startsWith(`${net}.`)).slice(0, m)
  if (sources.length === 0) throw new Error(`${client.host} has no address on ${net}.0/24 to be a sticky client from`)
  const before = await ask(client, sources, t, path)
  return {
    sources,
    async after() {
      // In the other order: a round-robin balancer that hands out servers in turn would otherwise give the same
      // sequence the same servers again, and look sticky when it is not.
      const again = await ask(client, [...sources].reverse(), t, path)
      const clients = sources.map((s) => ({id: s, before: before.get(s), after: again.get(s)}))
      return {by: 'source', total: sources.length, kept: clients.filter((c) => c.before && c.before === c.after).length, clients}
    },
  }
}
