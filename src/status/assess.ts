/**
 * The cluster's health from every host's status (parse.ts), judged the way a monitoring check is: pure, unit-tested.
 *   critical (exit 2)  clients are or will be failing: a VIP held by no director or by two, a daemon down on the VIP
 *                      holder, a backend with no server able to serve
 *   degraded (exit 1)  it serves, with less margin than it should: a director unreachable or in FAULT, a daemon down on
 *                      a backup, a server down, an IPVS real server missing, a real server's ARP setup broken, files
 *                      that differ from the active release, a deploy left unfinished, directors on different releases
 *   ok (exit 0)        everything as deployed. A drained server is intended: shown, not a problem.
 */
import type {Cluster} from '../inventory/model.js'
import {parseIpvsRules} from '../modules/ipvs.js'
import type {HostStatus, ServerStatus, VrrpState} from './parse.js'

export type Level = 'critical' | 'degraded'

export interface Problem {
  level: Level
  text: string
}

export interface InstanceView {
  name: string
  vips: {address: string; holders: string[]}[]
  /** Per director: its state and effective priority as keepalived sees them. */
  directors: {name: string; state: VrrpState | 'DOWN' | 'UNREACHABLE'; priority?: number}[]
}

export interface ServerView {
  backend: string
  server: string
  /** Per director: HAProxy's status for the server, its check, and its current sessions. */
  on: Record<string, Pick<ServerStatus, 'status' | 'check' | 'sessions'>>
}

export interface ClusterStatus {
  cluster: string
  level: 'ok' | Level
  exitCode: 0 | 1 | 2
  instances: InstanceView[]
  servers: ServerView[]
  hosts: HostStatus[]
  problems: Problem[]
}

const isUp = (status: string) => /^(UP|no check|OPEN)/.test(status)
const isDrain = (status: string) => /^(DRAIN|NOLB|MAINT)/.test(status)

export function assess(cluster: Cluster, hosts: HostStatus[], renderedIpvs: Map<string, string> = new Map()): ClusterStatus {
  const problems: Problem[] = []
  const add = (level: Level, text: string) => problems.push({level, text})
  const byName = new Map(hosts.map((h) => [h.name, h]))
  const directors = cluster.directors.map((d) => byName.get(d.name)).filter((h): h is HostStatus => h !== undefined)
  for (const h of hosts) if (!h.reachable) add('degraded', `${h.name} does not answer: ${h.error ?? 'no answer'}`)

  const instances: InstanceView[] = cluster.instances.map((inst) => {
    const members = inst.members.map((m) => byName.get(m.director)).filter((h): h is HostStatus => h !== undefined)
    const vips = inst.vips.map((v) => ({address: v.address, holders: members.filter((h) => h.reachable && h.addresses.includes(v.address)).map((h) => h.name)}))
    for (const v of vips) {
      const unknown = members.some((h) => !h.reachable)
      if (v.holders.length === 0) add(unknown ? 'degraded' : 'critical', `${inst.name}: ${v.address} is held by no ${unknown ? 'reachable ' : ''}director`)
      if (v.holders.length > 1) add('critical', `${inst.name}: ${v.address} is held by ${v.holders.join(' and ')} (split brain)`)
    }
    const view: InstanceView['directors'] = members.map((h) => {
      if (!h.reachable) return {name: h.name, state: 'UNREACHABLE'}
      if (!h.keepalived?.running) return {name: h.name, state: 'DOWN'}
      const i = h.keepalived.instances.find((x) => x.name === inst.name)
      return {name: h.name, state: i?.state ?? 'UNKNOWN', ...(i?.effectivePriority !== undefined ? {priority: i.effectivePriority} : {})}
    })
    for (const d of view) if (d.state === 'FAULT') add('degraded', `${inst.name}: ${d.name} is in FAULT`)
    return {name: inst.name, vips, directors: view}
  })

  const holders = new Set(instances.flatMap((i) => i.vips.flatMap((v) => v.holders)))
  for (const h of directors.filter((x) => x.reachable)) {
    const holds = holders.has(h.name)
    if (h.keepalived && !h.keepalived.running) add(holds ? 'critical' : 'degraded', `keepalived is not running on ${h.name}${holds ? ', which holds a VIP' : ''}`)
    if (cluster.haproxy && h.haproxy && !h.haproxy.running) add(holds ? 'critical' : 'degraded', `haproxy is not running on ${h.name}${holds ? ', which holds a VIP' : ''}`)
    if (h.haproxy?.error) add('degraded', `${h.name}: HAProxy's stats socket: ${h.haproxy.error}`)
  }

  const servers = new Map<string, ServerView>()
  for (const h of directors) {
    for (const s of h.haproxy?.servers ?? []) {
      const key = `${s.backend}/${s.server}`
      if (!servers.has(key)) servers.set(key, {backend: s.backend, server: s.server, on: {}})
      servers.get(key)!.on[h.name] = {status: s.status, ...(s.check ? {check: s.check} : {}), sessions: s.sessions}
    }
  }
  for (const v of servers.values()) {
    for (const [d, s] of Object.entries(v.on)) if (!isUp(s.status) && !isDrain(s.status)) add('degraded', `${v.backend}/${v.server} is ${s.status}${s.check ? ` (${s.check})` : ''} on ${d}`)
  }
  // The backend as the VIP holder serves it: no server able to take new clients means they get a 503.
  for (const h of directors.filter((x) => holders.has(x.name) && x.haproxy?.running)) {
    const backends = new Map<string, ServerStatus[]>()
    for (const s of h.haproxy!.servers) backends.set(s.backend, [...(backends.get(s.backend) ?? []), s])
    for (const [b, list] of backends) if (list.length > 0 && !list.some((s) => isUp(s.status))) add('critical', `backend ${b} has no server in service on ${h.name}, the VIP holder`)
  }

  for (const h of directors.filter((x) => x.reachable && x.ipvs)) {
    if (!h.ipvs!.available) {
      if (renderedIpvs.has(h.name)) add('degraded', `${h.name}: IPVS is not available in its kernel`)
      continue
    }
    const want = renderedIpvs.get(h.name)
    if (!want) continue
    const live = parseIpvsRules(h.ipvs!.rules ?? '')
    for (const [svc, reals] of parseIpvsRules(want).reals) {
      if (!live.services.has(svc)) add('degraded', `${h.name}: IPVS service ${svc} is not in the live table`)
      else for (const rs of reals.keys()) if (!live.reals.get(svc)?.has(rs)) add('degraded', `${h.name}: IPVS ${svc} lacks real server ${rs} (its check fails, or it was removed by hand)`)
    }
  }

  for (const h of hosts.filter((x) => x.reachable)) {
    if (h.realServerOk === false) add('degraded', `${h.name}: realserver.sh status fails (the VIP on lo or the ARP sysctls are missing)`)
    const r = h.release
    if (r.drift.length) add('degraded', `${h.name}: ${r.drift.join(', ')} differ${r.drift.length === 1 ? 's' : ''} from release ${r.current} (edited by hand?)`)
    if (r.missing.length) add('degraded', `${h.name}: ${r.missing.join(', ')} of release ${r.current} ${r.missing.length === 1 ? 'is' : 'are'} missing`)
    if (r.pending.length) add('degraded', `${h.name}: an unfinished run left ${r.pending.join(', ')} to reload: run deploy again`)
  }
  const releases = new Set(directors.filter((h) => h.reachable).map((h) => h.release.current ?? '-'))
  if (releases.size > 1) add('degraded', `the directors run different releases: ${directors.map((h) => `${h.name} ${h.release.current ?? 'none'}`).join(', ')}`)

  const level = problems.some((p) => p.level === 'critical') ? 'critical' : problems.length ? 'degraded' : 'ok'
  return {cluster: cluster.name, level, exitCode: level === 'critical' ? 2 : level === 'degraded' ? 1 : 0, instances, servers: [...servers.values()], hosts, problems}
}
