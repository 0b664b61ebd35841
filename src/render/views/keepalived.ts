import type {Cluster, Director, VirtualService, VrrpInstance, VrrpScript} from '../../inventory/model.js'
import {managedHeader} from '../header.js'
import {instancesOf, scriptsOf, servicesOf} from '../membership.js'
import {PATHS} from '../paths.js'
import {keepalivedString} from '../quote.js'

interface ScriptView {
  name: string
  script: string
  interval: number
  weight: number | null
  fall: number
  rise: number
  timeout: number | null
  user: string | null
}

interface InstanceView {
  name: string
  state: string
  interface: string
  vrid: number
  priority: number
  advertInt: number
  version3: boolean
  auth: {type: string; pass: string} | null
  unicast: {src: string; peers: string[]} | null
  mcastSrcIp: string | null
  vips: string[]
  routes: string[]
  trackScripts: string[]
  trackInterfaces: string[]
  nopreempt: boolean
  preemptDelay: number | null
  garpMasterDelay: number | null
  useVmac: boolean
  dontTrackPrimary: boolean
  smtpAlert: boolean
  notify: string[]
}

interface CheckView {
  type: string
  url: {path: string; digest: string | null; statusCode: number | string | null} | null
  params: string[]
}

interface VirtualServerView {
  name: string
  vip: string
  port: number
  params: string[]
  sorryServer: string | null
  realServers: {name: string; address: string; port: number; weight: number; inhibitOnFailure: boolean; check: CheckView}[]
}

export interface KeepalivedView {
  header: string
  director: string
  global: {
    routerId: string
    email: {to: string[]; from: string; smtpServer: string; smtpConnectTimeout: number} | null
    mcastGroup4: string | null
    enableScriptSecurity: boolean
    scriptUser: string
    garpMasterRefresh: number | null
    /** `INTERFACE INSTANCE [id N]` of lvs_sync_daemon. */
    lvsSync: string | null
    extra: string[]
  }
  scripts: ScriptView[]
  syncGroups: {name: string; instances: string[]; smtpAlert: boolean; notify: string[]}[]
  instances: InstanceView[]
  virtualServers: VirtualServerView[]
}

// seed 004's check waits up to 3 s for a restarted HAProxy; keepalived kills a script still running at its timeout
// (default: the interval), which would skip the "stop keepalived" fallback. Give it room.
const RESTART_HAPROXY_TIMEOUT = 10

// Defaults of the HTTP_GET/SSL_GET/TCP_CHECK checkers, written out so the rendered file shows what is in force
// (seed 001 uses exactly these: connect_timeout 3, nb_get_retry 3, delay_before_retry 3).
const CHECK_DEFAULTS = {connect_timeout: 3, retry: 3, delay_before_retry: 3}

export function keepalivedView(cluster: Cluster, director: Director): KeepalivedView {
  const instances = instancesOf(cluster, director)
  const k = cluster.keepalived
  const email = cluster.notifications.email
  return {
    header: managedHeader(cluster),
    director: director.name,
    global: {
      routerId: k.routerId ?? director.name,
      email: email ? {to: email.to, from: email.from, smtpServer: email.smtpServer, smtpConnectTimeout: email.smtpConnectTimeout} : null,
      mcastGroup4: k.vrrpMcastGroup4 ?? null,
      enableScriptSecurity: k.enableScriptSecurity,
      scriptUser: k.scriptUser,
      garpMasterRefresh: k.vrrpGarpMasterRefresh ?? null,
      lvsSync: lvsSyncLine(cluster, director),
      extra: k.extraGlobalDefs,
    },
    scripts: scriptsOf(cluster, director).map(scriptView),
    syncGroups: syncGroups(cluster, instances),
    instances: instances.map((i) => instanceView(cluster, director, i)),
    virtualServers: servicesOf(cluster, director).map(virtualServerView),
  }
}

function scriptView(s: VrrpScript): ScriptView {
  return {
    name: s.name,
    script: keepalivedString(s.command, `vrrp_scripts.${s.name} command`),
    interval: s.interval,
    weight: s.weight ?? null,
    fall: s.fall,
    rise: s.rise,
    timeout: s.timeout ?? (s.kind === 'restart_haproxy' ? RESTART_HAPROXY_TIMEOUT : null),
    user: s.user ?? null,
  }
}

function syncGroups(cluster: Cluster, instances: VrrpInstance[]): KeepalivedView['syncGroups'] {
  const groups = new Map<string, string[]>()
  for (const i of instances) if (i.syncGroup) groups.set(i.syncGroup, [...(groups.get(i.syncGroup) ?? []), i.name])
  return [...groups].map(([name, members]) => {
    const own = cluster.syncGroups.find((g) => g.name === name)
    const field = `vrrp_sync_groups.${name}.notify`
    const notify = notifyLines(own?.notify ?? {}, field)
    if (own?.notify.any) notify.push(`notify ${keepalivedString(own.notify.any, `${field}.any`)}`)
    return {name, instances: members, smtpAlert: own?.smtpAlert ?? false, notify}
  })
}

/** notify_master … notify_stop lines of an instance or a sync group, each command quoted as one keepalived string. */
function notifyLines(notify: VrrpInstance['notify'], field: string): string[] {
  return (['master', 'backup', 'fault', 'stop'] as const).filter((k) => notify[k]).map((k) => `notify_${k} ${keepalivedString(notify[k]!, `${field}.${k}`)}`)
}

function instanceView(cluster: Cluster, director: Director, inst: VrrpInstance): InstanceView {
  const me = inst.members.find((m) => m.director === director.name)!
  // keepalived's mcast_src_ip and unicast_src_ip are one setting: with unicast, a director's source is also what its
  // peers must list, or they drop its adverts.
  const source = (m: VrrpInstance['members'][number]) => m.mcastSrcIp ?? cluster.directors.find((d) => d.name === m.director)!.address
  const peers = inst.members.filter((m) => m.director !== director.name).map(source)
  const notify = notifyLines(inst.notify, `vrrp_instances.${inst.name}.notify`)
  // keepalived takes one `notify` per instance. With lbctl's script installed, that script calls the instance's
  // own `any` script itself (see notify.sh), so neither is lost.
  if (cluster.notifications.script) notify.push(`notify ${keepalivedString(PATHS.notifyScript, 'notify script')}`)
  else if (inst.notify.any) notify.push(`notify ${keepalivedString(inst.notify.any, `vrrp_instances.${inst.name}.notify.any`)}`)
  return {
    name: inst.name,
    state: me.state,
    interface: me.interface,
    vrid: inst.vrid,
    priority: me.priority,
    advertInt: inst.advertInt,
    version3: inst.version === 3,
    auth: inst.authType ? {type: inst.authType, pass: keepalivedString(inst.authPass ?? '', `vrrp_instances.${inst.name}.auth_pass`)} : null,
    unicast: inst.unicast ? {src: source(me), peers} : null,
    mcastSrcIp: !inst.unicast ? (me.mcastSrcIp ?? null) : null,
    vips: inst.vips.map((v) => [v.cidr, v.dev && `dev ${v.dev}`, v.label && `label ${v.label}`].filter(Boolean).join(' ')),
    // keepalived will not track a route without an interface ("no interface specified", a warning): default to the
    // one this instance runs on, where the VIPs (and usually the gateway) are.
    // "default" is written 0.0.0.0/0: next to a src, keepalived 2.2.7 reads "default" as IPv6 ("Cannot mix IPv4 and
    // IPv6 addresses for route").
    routes: inst.virtualRoutes.map((r) => [r.src && `src ${r.src}`, `to ${r.to === 'default' ? '0.0.0.0/0' : r.to}`, r.via && `via ${r.via}`, `dev ${r.dev ?? me.interface}`].filter(Boolean).join(' ')),
    trackScripts: inst.trackScripts.map((t) => (t.weight === undefined ? t.name : `${t.name} weight ${t.weight}`)),
    trackInterfaces: inst.trackInterfaces.map((t) => (t.weight === undefined ? t.name : `${t.name} weight ${t.weight}`)),
    nopreempt: inst.nopreempt,
    preemptDelay: inst.preemptDelay ?? null,
    garpMasterDelay: inst.garpMasterDelay ?? null,
    useVmac: inst.useVmac,
    dontTrackPrimary: inst.dontTrackPrimary,
    smtpAlert: inst.smtpAlert || cluster.notifications.smtpAlert,
    notify,
  }
}

function virtualServerView(vs: VirtualService): VirtualServerView {
  const params = [
    `delay_loop ${vs.delayLoop}`,
    `lb_algo ${vs.scheduler}`,
    `lb_kind ${vs.forwarding}`,
    vs.persistenceTimeout !== undefined && `persistence_timeout ${vs.persistenceTimeout}`,
    vs.persistenceGranularity !== undefined && `persistence_granularity ${vs.persistenceGranularity}`,
    `protocol ${vs.protocol}`,
    vs.quorum !== undefined && `quorum ${vs.quorum}`,
    vs.hysteresis !== undefined && `hysteresis ${vs.hysteresis}`,
    vs.alpha && 'alpha',
    vs.omega && 'omega',
    vs.virtualhost !== undefined && `virtualhost ${vs.virtualhost}`,
  ].filter((p): p is string => typeof p === 'string')
  const check = checkView(vs)
  return {
    name: vs.name,
    vip: vs.vip,
    port: vs.port,
    params,
    sorryServer: vs.sorryServer ? `${vs.sorryServer.address} ${vs.sorryServer.port}` : null,
    realServers: vs.realServers.map((r) => ({...r, inhibitOnFailure: vs.inhibitOnFailure, check})),
  }
}

function checkView(vs: VirtualService): CheckView {
  const hc = vs.healthCheck
  if (hc.type === 'MISC_CHECK') {
    const params = [`misc_path ${keepalivedString(hc.misc_path, `virtual_servers.${vs.name}.health_check.misc_path`)}`]
    if (hc.misc_timeout !== undefined) params.push(`misc_timeout ${hc.misc_timeout}`)
    if (hc.misc_dynamic) params.push('misc_dynamic')
    return {type: hc.type, url: null, params}
  }
  const params = [
    hc.type !== 'TCP_CHECK' && hc.virtualhost !== undefined && `virtualhost ${hc.virtualhost}`,
    `connect_timeout ${hc.connect_timeout ?? CHECK_DEFAULTS.connect_timeout}`,
    hc.connect_port !== undefined && `connect_port ${hc.connect_port}`,
    // keepalived 2.x name; nb_get_retry (seed 001) is the deprecated alias.
    `retry ${hc.retry ?? CHECK_DEFAULTS.retry}`,
    `delay_before_retry ${hc.delay_before_retry ?? CHECK_DEFAULTS.delay_before_retry}`,
  ].filter((p): p is string => typeof p === 'string')
  if (hc.type === 'TCP_CHECK') return {type: hc.type, url: null, params}
  // A digest alone is a complete expectation. Without one, keepalived's own default is written out: any 2xx, so a
  // 204 health endpoint counts as up (lbctl once wrote 200 here, which marked such servers down).
  const statusCode = hc.status_code ?? (hc.digest ? null : '200-299')
  // Quoted: unquoted, keepalived would cut the path at "#" or "!" and check another URL than the one written.
  const path = keepalivedString(hc.path ?? '/', `virtual_servers.${vs.name}.health_check.path`)
  return {type: hc.type, url: {path, digest: hc.digest ?? null, statusCode}, params}
}

/** lvs_sync_daemon's arguments for this director: the sync interface defaults to its interface in the instance. */
function lvsSyncLine(cluster: Cluster, director: Director): string | null {
  const sync = cluster.keepalived.lvsSync
  if (!sync) return null
  const inst = cluster.instances.find((i) => i.name === sync.instance)
  const iface = sync.interface ?? inst?.members.find((m) => m.director === director.name)?.interface ?? director.interface
  return [iface, sync.instance, ...(sync.id !== undefined ? ['id', String(sync.id)] : [])].join(' ')
}
