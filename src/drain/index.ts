/**
 * lbctl drain / undrain: take real servers out of rotation on every director without failing a request, and wait
 * until the sessions they still carry are over; or put them back. Holds the cluster's deploy lock while it works.
 */
import {refusedByHost} from '../playbook/connect.js'
import type {Cluster} from '../inventory/model.js'
import {lockHosts, newHolder, unlockHosts} from '../playbook/lock.js'
import type {Connect} from '../playbook/runner.js'
import {sections} from '../status/probe.js'
import {parseShowStat, type ServerStatus} from '../status/parse.js'
import type {Transport} from '../transport/types.js'
import {drainPlan, type DrainPlan} from './plan.js'
import {applyCommand, observeCommand} from './remote.js'

export {drainPlan, type DrainPlan} from './plan.js'
export {applyCommand, drainedFile, haproxyCli, observeCommand, readDrainedCommand, reapplyCommand} from './remote.js'

export interface DrainOptions {
  cluster: Cluster
  servers: string[]
  drain: boolean
  /** Seconds to wait for the drained servers' sessions to end (drain only); 0: do not wait. */
  waitS: number
  /** Drain even the last server in service of a backend. */
  force: boolean
  breakLock: boolean
  connect: Connect
  log?: (line: string) => void
}

export interface DrainReport {
  action: 'drain' | 'undrain'
  servers: string[]
  plan: DrainPlan
  /** Per director: every target's state after the change, as the director reports it. */
  directors: {name: string; ok: boolean; error?: string; states: string[]}[]
  /** drain: sessions the servers carried when drained, left when the wait ended, and how long it took. */
  sessions?: {atStart: number; left: number; seconds: number; waitedOut: boolean}
  refused?: string
  unreachable?: string
  exitCode: 0 | 1 | 3 | 4
}

interface Observed {
  servers: ServerStatus[]
  /** `-t VIP:PORT` + ` ` + `RIP:PORT` → [weight, active connections]. */
  lvs: Map<string, [number, number]>
}

/** `ipvsadm -Ln` → per (service, real): weight and active connections. */
export function parseIpvsList(text: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>()
  let svc: string | undefined
  for (const line of text.split('\n')) {
    const s = /^(TCP|UDP)\s+(\S+)/.exec(line)
    if (s) svc = `${s[1] === 'TCP' ? '-t' : '-u'} ${s[2]}`
    const r = /^\s+->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+\S+\s+(\d+)\s+(\d+)\s+(\d+)/.exec(line)
    if (r && svc) out.set(`${svc} ${r[1]}`, [Number(r[2]), Number(r[3])])
  }
  return out
}

async function observe(t: Transport, haproxy: boolean, lvs: boolean): Promise<Observed> {
  const r = await t.exec(observeCommand(haproxy, lvs), {timeoutMs: 15_000})
  const s = sections(r.stdout)
  const err = /^error (.*)$/m.exec(s.get('show stat') ?? '')?.[1]
  if (haproxy && (err || !s.has('show stat'))) throw new Error(`cannot read HAProxy's stats socket: ${err ?? (r.stderr.trim() || 'no answer')}`)
  return {servers: haproxy ? parseShowStat(s.get('show stat')!) : [], lvs: parseIpvsList(s.get('ipvs') ?? '')}
}

/** Sessions the targets still carry on one director: HAProxy's current sessions, LVS's active connections. */
function sessionsOf(plan: DrainPlan, o: Observed): number {
  const h = plan.haproxy.reduce((n, t) => n + (o.servers.find((s) => s.backend === t.backend && s.server === t.server)?.sessions ?? 0), 0)
  return h + plan.lvs.reduce((n, t) => n + (o.lvs.get(`${t.service} ${t.real}`)?.[1] ?? 0), 0)
}

/** Backends left with no server in service if the targets are drained (judged on each director). */
function lastServing(plan: DrainPlan, observed: Map<string, Observed>): string[] {
  const out = new Set<string>()
  for (const [director, o] of observed) {
    for (const backend of new Set(plan.haproxy.map((t) => t.backend))) {
      const others = o.servers.filter((s) => s.backend === backend && !plan.haproxy.some((t) => t.backend === backend && t.server === s.server))
      if (!others.some((s) => /^(UP|no check)/.test(s.status))) out.add(`backend ${backend} (on ${director})`)
    }
    for (const svc of new Set(plan.lvs.map((t) => t.service))) {
      const others = [...o.lvs].filter(([k, [w]]) => k.startsWith(`${svc} `) && w > 0 && !plan.lvs.some((t) => `${t.service} ${t.real}` === k))
      if (others.length === 0) out.add(`LVS service ${svc.split(' ')[1]} (on ${director})`)
    }
  }
  return [...out]
}

function stateLine(plan: DrainPlan, o: Observed): string[] {
  return [
    ...plan.haproxy.map((t) => `${t.backend}/${t.server} ${o.servers.find((s) => s.backend === t.backend && s.server === t.server)?.status ?? 'not found'}`),
    ...plan.lvs.map((t) => `${t.service.split(' ')[1]} → ${t.real} weight ${o.lvs.get(`${t.service} ${t.real}`)?.[0] ?? 'not in table'}`),
  ]
}

export async function drainServers(o: DrainOptions): Promise<DrainReport> {
  const {cluster} = o
  const log = o.log ?? (() => {})
  const plan = drainPlan(cluster, o.servers)
  if ('problems' in plan) throw new Error(plan.problems.join('\n'))
  const report: DrainReport = {action: o.drain ? 'drain' : 'undrain', servers: o.servers, plan, directors: [], exitCode: 0}
  const haproxy = Boolean(cluster.haproxy) && plan.haproxy.length > 0
  const lvs = plan.lvs.length > 0
  const opened = await o.connect(cluster.directors)
  const bad = [...opened.values()].filter((t): t is Error => t instanceof Error)
  const transports = new Map([...opened].filter((e): e is [string, Transport] => !(e[1] instanceof Error)))
  const runId = `${report.action}-${process.pid}-${Date.now()}`
  let locked: string[] = []
  try {
    if (bad.length) {
      // A director that answered and said no (host key, authentication) refuses (exit 3), as with deploy.
      if (bad.some(refusedByHost)) {
        report.refused = `a director refused the connection, nothing was done:\n${bad.map((e) => `  ${e.message}`).join('\n')}`
        report.exitCode = 3
      } else {
        report.unreachable = bad.map((e) => e.message).join('\n')
        report.exitCode = 4
      }
      return report
    }
    const lock = await lockHosts(transports, new Set(transports.keys()), cluster.deploy.stateDir, newHolder(runId, report.action), o.breakLock)
    locked = lock.locked
    if (lock.held.length) {
      report.refused = `another run holds the deploy lock, nothing was done:\n${lock.held.map((p) => `  ${p}`).join('\n')}`
      report.exitCode = 3
      return report
    }
    const before = new Map(await Promise.all([...transports].map(async ([n, t]) => [n, await observe(t, haproxy, lvs)] as const)))
    if (o.drain && !o.force) {
      const last = lastServing(plan, before)
      if (last.length) {
        report.refused = `draining ${o.servers.join(', ')} would leave no server in service in ${last.join(', ')}; nothing was done (--force to drain anyway)`
        report.exitCode = 3
        return report
      }
    }
    const atStart = [...before.values()].reduce((n, x) => n + sessionsOf(plan, x), 0)
    const started = Date.now()
    await Promise.all(
      [...transports].map(async ([name, t]) => {
        const r = await t.exec(applyCommand(plan, o.servers, o.drain, cluster.deploy.stateDir, haproxy), {timeoutMs: 15_000}).catch((e: Error) => ({code: -1, stdout: '', stderr: e.message}))
        const answers = sections(r.stdout)
        const refusedByHaproxy = [...answers].filter(([k, v]) => k.startsWith('set server') && v.trim() !== '').map(([k, v]) => `${k}: ${v.trim()}`)
        const error = r.code !== 0 ? r.stderr.trim() || `exit ${r.code}` : refusedByHaproxy.join('; ') || undefined
        report.directors.push({name, ok: !error, ...(error ? {error} : {}), states: []})
      }),
    )
    // What each director says now: DRAIN / weight 0, or back in service.
    for (const d of report.directors) {
      const now = await observe(transports.get(d.name)!, haproxy, lvs).catch((e: Error) => e)
      if (now instanceof Error) {
        d.ok = false
        d.error ??= now.message
        continue
      }
      d.states = stateLine(plan, now)
      const wrong = o.drain
        ? plan.haproxy.some((t) => !/^DRAIN/.test(now.servers.find((s) => s.backend === t.backend && s.server === t.server)?.status ?? '')) || plan.lvs.some((t) => (now.lvs.get(`${t.service} ${t.real}`)?.[0] ?? 0) !== 0)
        : plan.haproxy.some((t) => /^(DRAIN|MAINT)/.test(now.servers.find((s) => s.backend === t.backend && s.server === t.server)?.status ?? 'DRAIN')) || plan.lvs.some((t) => now.lvs.has(`${t.service} ${t.real}`) && now.lvs.get(`${t.service} ${t.real}`)![0] === 0)
      if (wrong) {
        d.ok = false
        d.error ??= `the change did not take: ${d.states.join(', ')}`
      }
    }
    report.directors.sort((a, b) => a.name.localeCompare(b.name))
    if (report.directors.some((d) => !d.ok)) {
      report.exitCode = 1
      return report
    }
    if (o.drain && o.waitS > 0) {
      if (atStart > 0) log(`waiting up to ${o.waitS} s for ${atStart} session(s) on ${o.servers.join(', ')} to end`)
      let left = atStart
      while (left > 0 && Date.now() - started < o.waitS * 1000) {
        await new Promise((r) => setTimeout(r, 500))
        left = (await Promise.all([...transports.values()].map(async (t) => sessionsOf(plan, await observe(t, haproxy, lvs))))).reduce((n, x) => n + x, 0)
      }
      report.sessions = {atStart, left, seconds: (Date.now() - started) / 1000, waitedOut: left > 0}
      if (left > 0) report.exitCode = 1
    }
    return report
  } finally {
    await unlockHosts(transports, locked, cluster.deploy.stateDir, runId)
    await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)))
  }
}
