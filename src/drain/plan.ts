/**
 * What draining a real server means on this cluster, from the inventory alone (pure): every HAProxy server entry on
 * its address, in every backend, and every LVS real server of it, in every virtual service. A drained server takes
 * no new clients and keeps the ones it has; HAProxy says DRAIN, LVS has it at weight 0.
 */
import type {Cluster} from '../inventory/model.js'

export interface HaproxyTarget {
  backend: string
  server: string
  /** The real server (inventory name) behind the entry. */
  of: string
}

export interface LvsTarget {
  /** `-t VIP:PORT` as ipvsadm names the service. */
  service: string
  real: string
  /** -g / -m / -i */
  forwarding: string
  /** The rendered weight, which undrain puts back. */
  weight: number
  of: string
}

export interface DrainPlan {
  haproxy: HaproxyTarget[]
  lvs: LvsTarget[]
}

/** The targets of `names`, or the problems with the names (unknown, or not behind any service). */
export function drainPlan(cluster: Cluster, names: readonly string[]): DrainPlan | {problems: string[]} {
  const problems: string[] = []
  const plan: DrainPlan = {haproxy: [], lvs: []}
  for (const name of names) {
    const rs = cluster.realServers.find((r) => r.name === name)
    if (!rs) {
      problems.push(`no real server "${name}" in inventory ${cluster.name} (real servers: ${cluster.realServers.map((r) => r.name).join(', ') || 'none'})`)
      continue
    }
    const before = plan.haproxy.length + plan.lvs.length
    for (const [backend, servers] of Object.entries(cluster.haproxyServers)) {
      for (const s of servers) if (s.name === name || s.address === rs.address) plan.haproxy.push({backend, server: s.name, of: name})
    }
    for (const vs of cluster.virtualServices) {
      const fwd = vs.forwarding === 'DR' ? '-g' : vs.forwarding === 'NAT' ? '-m' : '-i'
      for (const r of vs.realServers) {
        if (r.name === name) plan.lvs.push({service: `${vs.protocol === 'TCP' ? '-t' : '-u'} ${vs.vip}:${vs.port}`, real: `${r.address}:${r.port}`, forwarding: fwd, weight: r.weight, of: name})
      }
    }
    if (plan.haproxy.length + plan.lvs.length === before) problems.push(`${name} is behind no HAProxy backend and no LVS service: there is nothing to drain`)
  }
  return problems.length ? {problems} : plan
}
