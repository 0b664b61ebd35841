/**
 * What the probes connect to (every service clients reach on a VIP) and where a scenario's fault goes. Pure.
 */
import type {Cluster, Host, RealServer, VrrpInstance} from '../inventory/model.js'
import type {ProbeTarget} from './types.js'

type Bind = string | {address?: string; port: number; ssl?: unknown}

function parseBind(b: Bind): {address?: string; port: number; ssl: boolean} {
  if (typeof b !== 'string') return {address: b.address === '*' ? undefined : b.address, port: b.port, ssl: Boolean(b.ssl)}
  const i = b.lastIndexOf(':')
  const address = b.slice(0, i)
  return {address: address === '' || address === '*' ? undefined : address, port: Number(b.slice(i + 1)), ssl: false}
}

/**
 * Every VIP service: HAProxy frontends and listens (a bind on every address serves every VIP; a bind on one address
 * only that one, if it is a VIP) probed over HTTP(S) in http mode and by a TCP connect in tcp mode, and LVS virtual
 * services (HTTP for HTTP_GET checks, HTTPS for SSL_GET, else a TCP connect; UDP cannot be probed and is left out).
 * The stats page is not a client service.
 */
export function probeTargets(cluster: Cluster): ProbeTarget[] {
  const vips = [...new Set(cluster.instances.flatMap((i) => i.vips.map((v) => v.address)))]
  const out = new Map<string, ProbeTarget>()
  const add = (t: ProbeTarget) => out.set(`${t.kind}://${t.address}:${t.port}`, t)
  const hp = cluster.haproxy
  if (hp) {
    const defaultsMode = hp.defaults?.mode ?? 'http'
    const sections = [...Object.entries(hp.frontends ?? {}), ...Object.entries(hp.listens ?? {})]
    for (const [name, s] of sections) {
      const mode = s.mode ?? defaultsMode
      for (const b of (Array.isArray(s.bind) ? s.bind : [s.bind]).map(parseBind)) {
        for (const address of b.address ? vips.filter((v) => v === b.address) : vips) {
          const kind = mode === 'tcp' ? 'tcp' : b.ssl ? 'https' : 'http'
          add({name: `${name} ${address}:${b.port}`, kind, address, port: b.port})
        }
      }
    }
  }
  for (const vs of cluster.virtualServices) {
    if (vs.protocol !== 'TCP') continue
    const t = vs.healthCheck.type
    const kind = t === 'HTTP_GET' ? 'http' : t === 'SSL_GET' ? 'https' : 'tcp'
    add({name: `${vs.name} ${vs.vip}:${vs.port}`, kind, address: vs.vip, port: vs.port})
  }
  return [...out.values()]
}

/** The instance a run is about: --instance, else the first one. */
export function pickInstance(cluster: Cluster, name?: string): VrrpInstance {
  if (cluster.instances.length === 0) throw new Error(`inventory ${cluster.name} has no vrrp_instances: there is no VIP to fail over`)
  if (!name) return cluster.instances[0]
  const inst = cluster.instances.find((i) => i.name === name)
  if (!inst) throw new Error(`--instance: no VRRP instance "${name}" (instances: ${cluster.instances.map((i) => i.name).join(', ')})`)
  return inst
}

/** Real servers behind a HAProxy backend or an LVS service, in inventory order. */
export function servingRealServers(cluster: Cluster): RealServer[] {
  const names = new Set([...Object.values(cluster.haproxyServers).flat().map((s) => s.name), ...cluster.virtualServices.flatMap((v) => v.realServers.map((r) => r.name))])
  return cluster.realServers.filter((r) => names.has(r.name))
}

/**
 * The host a scenario's fault goes to, given who holds the instance's VIPs now; or why the scenario cannot run.
 */
export function faultTarget(cluster: Cluster, inst: VrrpInstance, target: string, holders: Record<string, string[]>): Host | string {
  const firstVip = inst.vips[0].address
  const holder = holders[firstVip] ?? []
  const director = (name: string) => cluster.directors.find((d) => d.name === name)!
  switch (target) {
    case 'vip_holder':
      // Held twice (a forced run on a split-brain cluster): fault the intended master, and let the samples show it.
      if (holder.length > 1) return director(holder.includes(inst.master) ? inst.master : holder[0])
      return holder.length === 1 ? director(holder[0]) : `${firstVip} is held by no director`
    case 'vip_backup': {
      const backup = inst.members.filter((m) => !holder.includes(m.director)).sort((a, b) => b.priority - a.priority)[0]
      return backup ? director(backup.director) : `${inst.name} has no backup director`
    }
    case 'real_server':
      return servingRealServers(cluster)[0] ?? 'no real server is behind a HAProxy backend or an LVS service'
    default: {
      const host = [...cluster.directors, ...cluster.realServers].find((h) => h.name === target)
      return host ?? `no host "${target}" in inventory ${cluster.name}`
    }
  }
}
