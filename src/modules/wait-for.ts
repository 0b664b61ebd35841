import {z} from 'zod'
import type {Director} from '../inventory/model.js'
import {DIRECT} from '../render/paths.js'
import {cmd, raw} from '../shell/index.js'
import {runningTest} from './service.js'
import {failed, ok, type HostIO, type Module, type ModuleContext, type Plan} from './types.js'

const args = z.strictObject({
  service: z.enum(['haproxy', 'keepalived']).optional().describe('Wait until this daemon runs.'),
  port: z.number().int().min(1).max(65535).optional().describe('Wait until something listens on this TCP port.'),
  vip: z.boolean().optional().describe('Wait until every VIP of this director\'s instances is held by exactly one director.'),
  at_master: z.boolean().optional().describe('With vip: also wait until the VIPs of instances this director is meant to master are on it (not under nopreempt).'),
  timeout: z.number().positive().max(600).optional().describe('Seconds (default 15).'),
})
type Args = z.infer<typeof args>

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Parses `ip -4 -o addr show` into the set of addresses a host holds. */
export function addressesOf(stdout: string): Set<string> {
  const out = new Set<string>()
  for (const m of stdout.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)\//g)) out.add(m[1])
  return out
}

export const ADDR_PROBE = raw`ip -4 -o addr show`

/** Who holds each VIP of the instances `director` is a member of: VIP → holders. */
export async function vipHolders(ctx: ModuleContext, io: HostIO, director: string): Promise<Map<string, string[]>> {
  const instances = ctx.cluster.instances.filter((i) => i.members.some((m) => m.director === director))
  const members = [...new Set(instances.flatMap((i) => i.members.map((m) => m.director)))]
  const held = new Map<string, Set<string>>()
  await Promise.all(
    members.map(async (m) => {
      const r = await io.peer(m).exec(ADDR_PROBE)
      held.set(m, addressesOf(r.stdout))
    }),
  )
  const out = new Map<string, string[]>()
  for (const inst of instances) for (const v of inst.vips) out.set(v.address, members.filter((m) => held.get(m)?.has(v.address)))
  return out
}

async function poll(timeoutS: number, probe: () => Promise<string | undefined>, signal?: AbortSignal): Promise<string | undefined> {
  const deadline = Date.now() + timeoutS * 1000
  let why: string | undefined
  for (;;) {
    why = await probe()
    if (why === undefined || Date.now() > deadline) return why
    if (signal?.aborted) return `${why} (interrupted)`
    await sleep(200)
  }
}

/** The HA-safety gate after each director: services up and every VIP on exactly one director. */
export const waitFor: Module<Args> = {
  name: 'wait_for',
  args,
  // A daemon this run did not touch (no file, no reload, no address changed on the host) and that ran when the play
  // began needs no wait: the no-op's health checks cost no round trip. The VIP check always looks now: it spans the
  // directors, and its answer is the HA gate of the next batch.
  firstLook(a) {
    if (!a.service || a.port || a.vip) return undefined
    const svc = a.service
    return {
      probe: cmd`if [ -d /run/systemd/system ]; then systemctl is-active --quiet ${svc}; else ${runningTest(svc)}; fi`,
      reads: [`service:${svc}`, 'file', 'net'],
      settle: (r) => (r.code === 0 ? ok(`${svc} running`) : undefined),
    }
  },
  async run(a, ctx, io): Promise<Plan> {
    if (ctx.check) return ok('skipped in check mode')
    const timeout = a.timeout ?? 15
    const checks: string[] = []
    if (a.service) {
      const svc = a.service
      const test = ctx.facts.systemd ? cmd`systemctl is-active --quiet ${svc}` : runningTest(svc)
      const why = await poll(timeout, async () => ((await io.exec(test)).code === 0 ? undefined : `${svc} is not running`), ctx.signal)
      if (why) {
        const log = svc === 'keepalived' && !ctx.facts.systemd ? (await io.exec(cmd`{ grep -i -E ${"can't|error|fatal|not found|unknown|fail"} ${DIRECT.keepalivedLog} || tail -n 4 ${DIRECT.keepalivedLog}; } | tail -n 5`)).stdout.trim() : ''
        return failed(`${why} after ${timeout}s${log ? `; from its log:\n${log}` : ''}`)
      }
      checks.push(`${svc} running`)
    }
    if (a.port) {
      const port = a.port
      const why = await poll(timeout, async () => {
        const r = await io.exec(cmd`ss -Htln ${`sport = :${port}`}`)
        return r.stdout.trim() ? undefined : `nothing listens on port ${port}`
      }, ctx.signal)
      if (why) return failed(`${why} after ${timeout}s`)
      checks.push(`port ${port} listening`)
    }
    if (a.vip && (ctx.host as Director).kind === 'director') {
      let last = new Map<string, string[]>()
      const why = await poll(timeout, async () => {
        last = await vipHolders(ctx, io, ctx.host.name)
        const bad = [...last].filter(([, h]) => h.length !== 1)
        if (bad.length) return bad.map(([v, h]) => `${v} held by ${h.length ? h.join(' and ') : 'no director'}`).join('; ')
        if (!a.at_master) return undefined
        // After the master is updated it should hold its VIPs again — unless nopreempt leaves them where they are.
        const mine = ctx.cluster.instances.filter((i) => i.master === ctx.host.name && !i.nopreempt).flatMap((i) => i.vips.map((v) => v.address))
        const away = mine.filter((v) => last.get(v)?.[0] !== ctx.host.name)
        return away.length ? `${away.map((v) => `${v} is on ${last.get(v)?.[0]}`).join('; ')}, not yet back on ${ctx.host.name}` : undefined
      }, ctx.signal)
      if (why) return failed(`${why} after ${timeout}s`)
      checks.push([...last].map(([v, h]) => `${v} on ${h[0]}`).join(', '))
    }
    return ok(checks.join('; '))
  },
}
