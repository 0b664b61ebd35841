import type {Client, Director, RealServer, SshTarget, Tuning} from './model.js'
import {isHostName} from './names.js'
import type {Path, Problem} from './problems.js'
import type {RawDirector, RawGroup, RawInventory, RawRealServer} from './schema/index.js'
import type {Source} from './source.js'

export const BUILTIN_GROUPS = ['all', 'directors', 'real_servers', 'clients'] as const

/**
 * Host settings are layered like Ansible group_vars/host_vars, lowest first:
 *   lbctl defaults < groups.all < groups.directors | groups.real_servers < custom groups (in file order) < the host.
 * Mappings (ssh, tuning, vars) merge key by key; lists and plain values are replaced whole.
 */
export function layersFor(raw: RawInventory, host: string, builtin: 'directors' | 'real_servers' | 'clients'): {groups: string[]; layers: RawGroup[]} {
  const groups = raw.groups ?? {}
  const names: string[] = ['all', builtin]
  for (const [name, g] of Object.entries(groups)) {
    if (!(BUILTIN_GROUPS as readonly string[]).includes(name) && g.hosts?.includes(host)) names.push(name)
  }
  return {groups: names, layers: names.map((n) => groups[n]).filter((g): g is RawGroup => g !== undefined)}
}

export function mergeLayers<T extends object>(layers: ReadonlyArray<Partial<T> | undefined>): Partial<T> {
  const out: Record<string, unknown> = {}
  for (const layer of layers) {
    if (!layer) continue
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined || k === 'hosts') continue
      const prev = out[k]
      out[k] = isPlainObject(prev) && isPlainObject(v) ? mergeLayers([prev, v]) : v
    }
  }
  return out as Partial<T>
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

const nameOf = (address: string): string | undefined => (isHostName(address) ? address : undefined)

// A host written with a name is reached by that name, as `ssh NAME` would: known_hosts and ~/.ssh/config match it.
function sshTarget(address: string, raw: RawGroup['ssh']): SshTarget {
  const s = raw ?? {}
  return {
    host: s.host ?? address,
    user: s.user,
    port: s.port,
    identityFile: s.identity_file,
    proxyJump: s.proxy_jump,
    knownHosts: s.known_hosts,
    connectTimeoutSec: s.connect_timeout,
    sudo: s.sudo,
  }
}

function tuning(raw: RawGroup['tuning']): Tuning {
  const sysctls: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw?.sysctls ?? {})) sysctls[k] = String(v)
  return {sysctls, ethtool: {interfaces: raw?.ethtool?.interfaces ?? [], gro: raw?.ethtool?.gro, lro: raw?.ethtool?.lro}}
}

export function resolveDirectors(raw: RawInventory): Director[] {
  return Object.entries(raw.directors).map(([name, d]) => {
    const {groups, layers} = layersFor(raw, name, 'directors')
    const m = mergeLayers<RawDirector>([...layers, d])
    return {
      kind: 'director',
      name,
      address: d.address,
      hostname: nameOf(d.address),
      ssh: sshTarget(d.address, m.ssh),
      interface: m.interface ?? 'eth0',
      tuning: tuning(m.tuning),
      vars: (m.vars ?? {}) as Record<string, unknown>,
      groups,
      origin: ['directors', name],
      mcastSrcIp: d.mcast_src_ip,
      priority: d.priority,
      role: d.role,
      state: d.state,
    }
  })
}

export function resolveRealServers(raw: RawInventory): RealServer[] {
  return Object.entries(raw.real_servers ?? {}).map(([name, r]) => {
    const {groups, layers} = layersFor(raw, name, 'real_servers')
    const m = mergeLayers<RawRealServer>([...layers, r])
    return {
      kind: 'real_server',
      name,
      address: r.address,
      hostname: nameOf(r.address),
      ssh: sshTarget(r.address, m.ssh),
      interface: m.interface ?? 'eth0',
      tuning: tuning(m.tuning),
      vars: (m.vars ?? {}) as Record<string, unknown>,
      groups,
      origin: ['real_servers', name],
      port: m.port ?? 80,
      weight: m.weight ?? 1,
      arpScope: m.arp_scope ?? ['lo', 'all', 'interface'],
      gateway: m.gateway,
      manage: r.manage ?? false, // finalised once virtual services are known
      lvs: {vips: [], forwarding: 'none'},
    }
  })
}

export function resolveClients(raw: RawInventory): Client[] {
  return Object.entries(raw.clients ?? {}).map(([name, c]) => {
    const {layers} = layersFor(raw, name, 'clients')
    const m = mergeLayers<RawGroup>([...layers, {ssh: c.ssh}])
    return {kind: 'client', name, address: c.address, hostname: nameOf(c.address), ssh: sshTarget(c.address, m.ssh), origin: ['clients', name]}
  })
}

/** Custom groups name their members; every member must be a host of the inventory. */
export function resolveGroups(raw: RawInventory, source: Source, hostNames: Set<string>, problems: Problem[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [name, g] of Object.entries(raw.groups ?? {})) {
    const path: Path = ['groups', name]
    if ((BUILTIN_GROUPS as readonly string[]).includes(name)) {
      if (g.hosts) problems.push(source.problem([...path, 'hosts'], `the built-in group "${name}" cannot list hosts`, 'its members are implied; remove hosts', {key: true}))
      continue
    }
    out[name] = []
    for (const [i, h] of (g.hosts ?? []).entries()) {
      if (hostNames.has(h)) out[name].push(h)
      else problems.push(source.problem([...path, 'hosts', i], `host "${h}" is not defined`, 'add it under directors, real_servers or clients, or remove it from the group'))
    }
  }
  return out
}
