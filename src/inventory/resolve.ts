import type {Client, Cluster, Director, HaproxyServer, KeepalivedGlobals, RealServer, Vip, VirtualService, VrrpInstance, VrrpMember, VrrpScript, WeightedRef} from './model.js'
import type {Path, Problem} from './problems.js'
import {resolveClients, resolveDirectors, resolveGroups, resolveRealServers} from './hosts.js'
import type {RawInventory, RawVrrpInstance} from './schema/index.js'
import type {Source} from './source.js'
import {closest} from './schema-errors.js'
import {certificateSecrets, loadCertificates, type SslBind} from './certs.js'
import {resolveAddresses, type NeededAddress, type Resolution, type Resolver} from './names.js'

/** Builds the cluster model from a schema-valid inventory, reporting every reference that points nowhere. */
export function resolveCluster(raw: RawInventory, source: Source, meta: {hash: string; secrets: Set<string>; resolver: Resolver}): {cluster: Cluster; problems: Problem[]; resolved: Resolution[]} {
  const problems: Problem[] = []
  const directors = resolveDirectors(raw)
  const realServers = resolveRealServers(raw)
  const clients = resolveClients(raw)
  const names = resolveAddresses(neededAddresses(raw, directors, realServers, clients), meta.resolver, (path, message, hint) => source.problem(path, message, hint))
  problems.push(...names.problems)
  const hostNames = new Set([...directors, ...realServers, ...clients].map((h) => h.name))
  const groups = resolveGroups(raw, source, hostNames, problems)

  const ref = (kind: string, name: string, known: string[], path: Path, where: string): boolean => {
    if (known.includes(name)) return true
    const guess = closest(name, known)
    problems.push(
      source.problem(path, `${kind} "${name}" is not defined`, guess ? `did you mean "${guess}"? (defined: ${known.join(', ')})` : known.length ? `define it under ${where} (defined: ${known.join(', ')})` : `define it under ${where}`),
    )
    return false
  }

  const scripts = resolveScripts(raw)
  const instances = Object.entries(raw.vrrp_instances).map(([name, inst]) =>
    resolveInstance(name, inst, directors, scripts.map((s) => s.name), ref),
  )
  const virtualServices = resolveVirtualServices(raw, realServers, ref)
  const haproxyServers = resolveHaproxyServers(raw, realServers, ref)

  for (const [i, rs] of realServers.entries()) {
    const mine = virtualServices.filter((vs) => vs.realServers.some((r) => r.name === rs.name))
    const kinds = new Set(mine.map((vs) => vs.forwarding))
    const forwarding = kinds.has('DR') ? 'DR' : kinds.has('TUN') ? 'TUN' : kinds.has('NAT') ? 'NAT' : 'none'
    const vips = [...new Set(mine.filter((vs) => vs.forwarding !== 'NAT').map((vs) => vs.vip))]
    realServers[i] = {...rs, lvs: {vips, forwarding}, manage: raw.real_servers?.[rs.name]?.manage ?? (forwarding !== 'none' || rs.gateway !== undefined || Object.keys(rs.tuning.sysctls).length > 0)}
  }

  applyDirectorTuningDefaults(raw, directors, instances, virtualServices)

  const {certificates, problems: certProblems} = loadCertificates(sslBinds(raw), source)
  problems.push(...certProblems)

  const secrets = new Set(meta.secrets)
  for (const s of certificateSecrets(certificates)) secrets.add(s)
  for (const inst of instances) if (inst.authPass) secrets.add(inst.authPass)
  if (raw.haproxy?.stats?.auth?.password) secrets.add(raw.haproxy.stats.auth.password)

  const n = raw.notifications
  const cluster: Cluster = {
    name: raw.name,
    description: raw.description,
    file: source.file,
    hash: meta.hash,
    directors,
    realServers,
    clients,
    groups,
    keepalived: {
      routerId: raw.keepalived?.router_id,
      vrrpMcastGroup4: raw.keepalived?.vrrp_mcast_group4,
      enableScriptSecurity: raw.keepalived?.enable_script_security ?? true,
      scriptUser: raw.keepalived?.script_user ?? 'root',
      vrrpGarpMasterRefresh: raw.keepalived?.vrrp_garp_master_refresh,
      ...lvsSyncOf(raw),
      extraGlobalDefs: raw.keepalived?.extra_global_defs ?? [],
    },
    scripts,
    instances,
    syncGroups: Object.entries(raw.vrrp_sync_groups ?? {}).map(([name, g]) => ({name, notify: g.notify ?? {}, smtpAlert: g.smtp_alert ?? false, origin: ['vrrp_sync_groups', name]})),
    virtualServices,
    haproxy: raw.haproxy,
    haproxyServers,
    certificates,
    notifications: {
      email: n?.email
        ? {to: n.email.to, from: n.email.from ?? `keepalived@${raw.name}.invalid`, smtpServer: n.email.smtp_server ?? '127.0.0.1', smtpConnectTimeout: n.email.smtp_connect_timeout ?? 30}
        : undefined,
      script: n?.script ?? false,
      smtpAlert: n?.smtp_alert ?? false,
    },
    deploy: {
      releasesKeep: raw.deploy?.releases_keep ?? 5,
      serviceManager: raw.deploy?.service_manager ?? 'auto',
      forks: raw.deploy?.forks ?? 20,
      stateDir: raw.deploy?.state_dir ?? '/var/lib/lbctl',
    },
    secrets: [...secrets],
  }
  return {cluster, problems, resolved: names.resolved}
}

/** The hosts whose address lbctl itself needs (names.ts): every director and client, LVS and managed real servers. */
function neededAddresses(raw: RawInventory, directors: Director[], realServers: RealServer[], clients: Client[]): NeededAddress[] {
  const inLvs = new Set(Object.values(raw.virtual_servers ?? {}).flatMap((vs) => vs.real_servers.map((r) => (typeof r === 'string' ? r : r.name))))
  const managed = (rs: RealServer) => raw.real_servers?.[rs.name]?.manage ?? (rs.gateway !== undefined || Object.keys(rs.tuning.sysctls).length > 0)
  return [
    ...directors.map((host) => ({host, why: 'the VRRP and VIP checks and keepalived.conf use it, and deploy connects to it over SSH'})),
    ...realServers.filter((rs) => inLvs.has(rs.name)).map((host) => ({host, why: 'LVS forwards to addresses only (keepalived real_server, ipvsadm)'})),
    ...realServers.filter((rs) => !inLvs.has(rs.name) && managed(rs)).map((host) => ({host, why: 'deploy configures it over SSH'})),
    ...clients.map((host) => ({host, why: 'failover-test connects to it over SSH'})),
  ]
}

type RefCheck = (kind: string, name: string, known: string[], path: Path, where: string) => boolean

function lvsSyncOf(raw: RawInventory): {lvsSync?: KeepalivedGlobals['lvsSync']} {
  const l = raw.keepalived?.lvs_sync
  if (!l) return {}
  const o = l === true ? {} : l
  return {lvsSync: {instance: o.instance ?? Object.keys(raw.vrrp_instances)[0] ?? '', ...(o.interface ? {interface: o.interface} : {}), ...(o.id !== undefined ? {id: o.id} : {})}}
}

type RawBind = string | {ssl?: {crt: string; pem?: string}}

/** Every SSL bind of the frontends and listens, where the inventory writes it. */
function sslBinds(raw: RawInventory): SslBind[] {
  const out: SslBind[] = []
  for (const kind of ['frontends', 'listens'] as const) {
    for (const [name, section] of Object.entries(raw.haproxy?.[kind] ?? {}) as [string, {bind?: RawBind | RawBind[]}][]) {
      const binds: RawBind[] = Array.isArray(section.bind) ? section.bind : section.bind === undefined ? [] : [section.bind]
      binds.forEach((b, i) => {
        if (typeof b === 'object' && b.ssl) out.push({crt: b.ssl.crt, pem: b.ssl.pem, origin: ['haproxy', kind, name, 'bind', ...(Array.isArray(section.bind) ? [i] : [])]})
      })
    }
  }
  return out
}

/** Files lbctl installs for the generated checks; referenced by the rendered keepalived.conf. */
export const CHECK_HAPROXY_SCRIPT = '/etc/keepalived/lbctl-check-haproxy.sh'

function resolveScripts(raw: RawInventory): VrrpScript[] {
  return Object.entries(raw.vrrp_scripts ?? {}).map(([name, s]) => {
    // Absolute paths: with enable_script_security keepalived refuses scripts it cannot prove root-owned.
    const [kind, command]: [VrrpScript['kind'], string] = s.process
      ? ['process', `/usr/bin/killall -0 ${s.process}`]
      : s.down_file
        ? ['down_file', `/usr/bin/test ! -e ${s.down_file}`]
        : s.restart_haproxy
          ? ['restart_haproxy', CHECK_HAPROXY_SCRIPT]
          : ['script', s.script ?? '']
    return {
      name,
      kind,
      command,
      interval: s.interval ?? 2,
      weight: s.weight,
      fall: s.fall ?? 2,
      rise: s.rise ?? 1,
      timeout: s.timeout,
      user: s.user,
      origin: ['vrrp_scripts', name],
    }
  })
}

function parseVip(v: NonNullable<RawVrrpInstance['vips']>[number]): Vip {
  const spec = typeof v === 'string' ? {address: v} : v
  const [address, prefix] = spec.address.split('/')
  const p = prefix === undefined ? 32 : Number(prefix)
  return {cidr: `${address}/${p}`, address, prefix: p, dev: typeof v === 'string' ? undefined : v.dev, label: typeof v === 'string' ? undefined : v.label}
}

function weighted(r: string | {name: string; weight?: number}): WeightedRef {
  return typeof r === 'string' ? {name: r} : {name: r.name, weight: r.weight}
}

function resolveInstance(name: string, inst: RawVrrpInstance, directors: Director[], scriptNames: string[], ref: RefCheck): VrrpInstance {
  const origin: Path = ['vrrp_instances', name]
  const directorNames = directors.map((d) => d.name)
  const memberNames = inst.directors ? Object.keys(inst.directors).filter((d) => ref('director', d, directorNames, [...origin, 'directors', d], 'directors')) : directorNames

  // Without any priority written, the first director listed is the master: 100, 99, 98…
  const members: VrrpMember[] = memberNames.map((dn, i) => {
    const d = directors.find((x) => x.name === dn)!
    const own = inst.directors?.[dn]
    const priorityOrigin: Path = own?.priority !== undefined ? [...origin, 'directors', dn, 'priority'] : d.priority !== undefined ? ['directors', dn, 'priority'] : origin
    return {
      director: dn,
      priority: own?.priority ?? d.priority ?? 100 - i,
      state: own?.state ?? d.state ?? 'BACKUP', // settled below once the master is known
      interface: own?.interface ?? inst.interface ?? d.interface,
      mcastSrcIp: own?.mcast_src_ip ?? d.mcastSrcIp,
      origin: priorityOrigin,
    }
  })

  const explicitState = (dn: string) => inst.directors?.[dn]?.state ?? directors.find((d) => d.name === dn)?.state
  const byRole = memberNames.find((dn) => directors.find((d) => d.name === dn)?.role === 'master') ?? memberNames.find((dn) => explicitState(dn) === 'MASTER')
  let master = inst.master ?? byRole
  if (inst.master && !ref('director', inst.master, memberNames, [...origin, 'master'], `vrrp_instances.${name}.directors`)) master = undefined
  if (master === undefined) {
    const top = [...members].sort((a, b) => b.priority - a.priority)[0]
    master = top?.director ?? ''
  }
  for (const m of members) {
    const explicit = explicitState(m.director)
    // keepalived only honours nopreempt and preempt_delay on a BACKUP-state instance (2.2.7 clears preempt_delay on a
    // MASTER with a warning, which fails `keepalived -t`), so with either everyone starts BACKUP and the highest
    // priority still wins the first election.
    const backupOnly = inst.nopreempt || (inst.preempt_delay ?? 0) > 0
    m.state = explicit ?? (backupOnly ? 'BACKUP' : m.director === master ? 'MASTER' : 'BACKUP')
  }

  const trackScripts = (inst.track_scripts ?? []).map(weighted)
  trackScripts.forEach((t, i) => ref('vrrp_script', t.name, scriptNames, [...origin, 'track_scripts', i], 'vrrp_scripts'))

  return {
    name,
    vrid: inst.virtual_router_id,
    vips: inst.vips.map(parseVip),
    network: inst.network ? {address: inst.network.split('/')[0]!, prefix: Number(inst.network.split('/')[1])} : undefined,
    advertInt: inst.advert_int ?? 1,
    version: inst.version ?? 2,
    authType: inst.auth_pass ? (inst.auth_type ?? 'PASS') : inst.auth_type,
    authPass: inst.auth_pass,
    trackScripts: trackScripts.filter((t) => scriptNames.includes(t.name)),
    trackInterfaces: (inst.track_interfaces ?? []).map(weighted),
    nopreempt: inst.nopreempt ?? false,
    preemptDelay: inst.preempt_delay,
    garpMasterDelay: inst.garp_master_delay,
    unicast: inst.unicast ?? false,
    useVmac: inst.use_vmac ?? false,
    dontTrackPrimary: inst.dont_track_primary ?? false,
    smtpAlert: inst.smtp_alert ?? false,
    syncGroup: inst.sync_group,
    virtualRoutes: inst.virtual_routes ?? [],
    notify: inst.notify ?? {},
    master,
    members,
    origin,
  }
}

function resolveVirtualServices(raw: RawInventory, realServers: RealServer[], ref: RefCheck): VirtualService[] {
  const rsNames = realServers.map((r) => r.name)
  return Object.entries(raw.virtual_servers ?? {}).map(([name, vs]) => {
    const origin: Path = ['virtual_servers', name]
    const members = vs.real_servers
      .map((r, i) => ({r: typeof r === 'string' ? {name: r} : r, i}))
      .filter(({r, i}) => ref('real server', r.name, rsNames, [...origin, 'real_servers', i], 'real_servers'))
      .map(({r}) => {
        const rs = realServers.find((x) => x.name === r.name)!
        return {name: rs.name, address: rs.address, port: r.port ?? rs.port, weight: r.weight ?? rs.weight}
      })
    return {
      name,
      vip: vs.vip,
      port: vs.port,
      protocol: vs.protocol ?? 'TCP',
      scheduler: vs.scheduler ?? 'wlc',
      forwarding: vs.forwarding ?? 'DR',
      persistenceTimeout: vs.persistence_timeout,
      persistenceGranularity: vs.persistence_granularity,
      delayLoop: vs.delay_loop ?? 6,
      sorryServer: vs.sorry_server,
      quorum: vs.quorum,
      hysteresis: vs.hysteresis,
      alpha: vs.alpha ?? false,
      omega: vs.omega ?? false,
      inhibitOnFailure: vs.inhibit_on_failure ?? false,
      virtualhost: vs.virtualhost,
      realServers: members,
      healthCheck: vs.health_check ?? {type: 'HTTP_GET'},
      origin,
    }
  })
}

function resolveHaproxyServers(raw: RawInventory, realServers: RealServer[], ref: RefCheck): Record<string, HaproxyServer[]> {
  const out: Record<string, HaproxyServer[]> = {}
  const rsNames = realServers.map((r) => r.name)
  const sections = [
    ...Object.entries(raw.haproxy?.backends ?? {}).map(([n, b]) => ({n, servers: b.servers, path: ['haproxy', 'backends', n] as Path})),
    ...Object.entries(raw.haproxy?.listens ?? {}).map(([n, b]) => ({n, servers: b.servers, path: ['haproxy', 'listens', n] as Path})),
  ]
  for (const {n, servers, path} of sections) {
    out[n] = servers
      .map((s, i) => ({s: typeof s === 'string' ? {name: s} : s, i}))
      .filter(({s, i}) => ref('real server', s.name, rsNames, [...path, 'servers', i], 'real_servers'))
      .map(({s}) => {
        const rs = realServers.find((x) => x.name === s.name)!
        return {
          name: rs.name,
          // HAProxy resolves a name itself when it starts: written as the operator wrote it (seed 000: host1:80).
          address: rs.hostname ?? rs.address,
          port: s.port ?? rs.port,
          weight: s.weight ?? rs.weight,
          cookie: s.cookie,
          backup: s.backup ?? false,
          check: s.check ?? true,
          inter: s.inter,
          rise: s.rise,
          fall: s.fall,
          checkPort: s.check_port,
          maxconn: s.maxconn,
          sendProxy: s.send_proxy ?? false,
        }
      })
  }
  return out
}

/**
 * How the master tells the backup about a connection. The kernel's default ("3 50", no refresh) sends it on the
 * connection's 3rd packet and then every 50th, once each: a message lost, or a 3rd packet that came before the
 * handshake ended (a retransmitted SYN), leaves the backup without the connection for 50 more packets — about a
 * minute for a slow download, longer for an idle session (a lab /stream sends ~1 ACK/s; beside CPU hogs 1–9 of 20
 * were never synced in 15 s, and each was reset on failover). sync_period 0 with a refresh period syncs on the first established packet,
 * again every 10 s while packets flow, and sync_retries resends each message up to 3 times, 1.25 s apart — the
 * kernel's own answer to lost sync messages (commit 749c42b620a9, "ipvs: reduce sync rate with time thresholds"), and
 * fewer messages than every 50th packet for a busy connection.
 */
const IPVS_SYNC_DEFAULTS: Readonly<Record<string, string>> = {
  'net.ipv4.vs.sync_threshold': '3 0',
  'net.ipv4.vs.sync_refresh_period': '10',
  'net.ipv4.vs.sync_retries': '3',
}

/**
 * Director sysctls and offloads that the topology itself demands, unless the inventory says otherwise:
 * HAProxy binding a VIP the backup does not hold needs ip_nonlocal_bind; LVS-NAT forwards, so ip_forward; LVS drops
 * GRO/LRO-merged frames larger than the MTU (seed 002), so both off on every interface LVS uses.
 * With lvs_sync, IPVS_SYNC_DEFAULTS.
 */
function applyDirectorTuningDefaults(raw: RawInventory, directors: Director[], instances: VrrpInstance[], services: VirtualService[]): void {
  const lvs = services.length > 0
  const nat = services.some((s) => s.forwarding === 'NAT')
  for (const d of directors) {
    const defaults: Record<string, string> = {}
    if (raw.haproxy) defaults['net.ipv4.ip_nonlocal_bind'] = '1'
    if (nat) defaults['net.ipv4.ip_forward'] = '1'
    if (raw.keepalived?.lvs_sync) Object.assign(defaults, IPVS_SYNC_DEFAULTS)
    d.tuning.sysctls = {...defaults, ...d.tuning.sysctls}
    if (lvs) {
      const used = new Set<string>()
      for (const inst of instances) {
        for (const m of inst.members) if (m.director === d.name) used.add(m.interface)
        for (const v of inst.vips) if (v.dev && inst.members.some((m) => m.director === d.name)) used.add(v.dev)
      }
      const e = d.tuning.ethtool
      if (e.interfaces.length === 0) e.interfaces = [...used].sort()
      e.gro ??= false
      e.lro ??= false
    }
  }
}
