import {isIPv4} from 'node:net'
import {layersFor} from '../hosts.js'
import type {RealServer, VirtualService, VrrpInstance} from '../model.js'
import type {Path} from '../problems.js'
import {bindOwner, haproxyBinds, showBind} from './haproxy.js'
import {instanceSegment, network, sameNet, segmentOf} from './net.js'
import type {Report} from './report.js'

/** lvs_sync names an instance of this cluster, an interface it runs on, and there is an IPVS table to sync. */
function lvsSyncChecks(r: Report): void {
  const sync = r.cluster.keepalived.lvsSync
  if (!sync) return
  const at = ['keepalived', 'lvs_sync']
  if (r.cluster.virtualServices.length === 0) r.error(at, 'syncs LVS connections, but the cluster has no virtual_servers', 'remove lvs_sync, or define the LVS virtual_servers it is for')
  const inst = r.cluster.instances.find((i) => i.name === sync.instance)
  if (!inst) return r.error(typeof r.raw.keepalived?.lvs_sync === 'object' ? [...at, 'instance'] : at, `names VRRP instance "${sync.instance}", which is not defined`, `use one of: ${r.cluster.instances.map((i) => i.name).join(', ') || '(none)'}`)
  const ifaces = new Set(inst.members.map((m) => m.interface))
  if (sync.interface && !ifaces.has(sync.interface)) r.error([...at, 'interface'], `${sync.interface} is not an interface ${inst.name} runs on (${[...ifaces].join(', ')}): the sync messages would not follow the VIP`, `use ${[...ifaces][0]}, or leave it out`)
}

export function lvsChecks(r: Report): void {
  lvsSyncChecks(r)
  const holders = (address: string) => r.cluster.instances.flatMap((inst) => inst.vips.filter((v) => v.address === address).map((vip) => ({inst, vip})))
  const allVips = r.cluster.instances.flatMap((i) => i.vips.map((v) => `${v.address} (${i.name})`))

  for (const [k, vs] of r.cluster.virtualServices.entries()) {
    const holder = holders(vs.vip)[0]
    if (!holder) {
      r.error(
        [...vs.origin, 'vip'],
        `${vs.vip} is not a VIP of any VRRP instance: the virtual service would listen on an address no director holds`,
        allVips.length ? `use one of the VIPs: ${allVips.join(', ')}, or add it to an instance's vips` : 'add it to a vrrp_instance\'s vips',
      )
    }
    const twin = r.cluster.virtualServices.slice(0, k).find((o) => o.vip === vs.vip && o.port === vs.port && o.protocol === vs.protocol)
    if (twin) r.error([...vs.origin, 'port'], `${vs.vip}:${vs.port}/${vs.protocol} is also virtual_servers.${twin.name}: IPVS has one service per address, port and protocol`, 'merge the two services, or change the port')

    // resolve.ts keeps the written order and drops only undefined names, so the two lists zip back together.
    const known = new Set(r.cluster.realServers.map((x) => x.name))
    const refIndex = (r.raw.virtual_servers?.[vs.name]?.real_servers ?? [])
      .map((x, i) => ({name: typeof x === 'string' ? x : x.name, i}))
      .filter((x) => known.has(x.name))
      .map((x) => x.i)
    for (const [i, rs] of vs.realServers.entries()) {
      const path: Path = [...vs.origin, 'real_servers', refIndex[i] ?? i]
      if (vs.realServers.slice(0, i).some((o) => o.address === rs.address && o.port === rs.port)) {
        r.error(path, `${rs.name} (${rs.address}:${rs.port}) is listed twice: IPVS has one destination per address and port`, 'remove the duplicate')
      }
      if (vs.forwarding !== 'NAT' && rs.port !== vs.port) {
        r.error(
          path,
          `${rs.name} is on port ${rs.port} but the service is on port ${vs.port}: LVS-${vs.forwarding} ${vs.forwarding === 'DR' ? 'only rewrites the destination MAC' : 'only wraps the packet in IP-in-IP'}, so the packet reaches the real server still addressed to port ${vs.port} (it cannot remap ports)`,
          `set port: ${vs.port} for ${rs.name} here or under real_servers.${rs.name}, or use forwarding: NAT to remap ports`,
        )
      }
      if (vs.forwarding === 'DR' && holder) drSegment(r, vs, holder.inst, holder.vip, rs.name, rs.address, path)
    }
    httpsWithHttpGet(r, vs)
    quorum(r, vs)
    if (vs.sorryServer && vs.sorryServer.port !== vs.port) {
      r.error(
        [...vs.origin, 'sorry_server', 'port'],
        `is ${vs.sorryServer.port}, but the service is on port ${vs.port}: keepalived resets it ("virtual server and sorry server ports don't match", which fails keepalived -t)`,
        `use port: ${vs.port} for the sorry server`,
      )
    }
    if (holder && r.raw.haproxy && vs.protocol === 'TCP') {
      const bind = haproxyBinds(r.raw.haproxy).find((b) => b.port === vs.port && (b.address === undefined || b.address === vs.vip))
      if (bind) {
        r.error(
          [...vs.origin, 'port'],
          `${vs.vip}:${vs.port} is also bound by ${bindOwner(bind)} (${showBind(bind)}): IPVS takes the packets on the director before HAProxy sees them`,
          'serve each address and port with either LVS or HAProxy: change one of the two ports',
        )
      }
    }
  }
  natGateways(r, holders)
}

/** LVS-DR rewrites only the destination MAC, so every DR real server must be on the directors' L2 segment. */
function drSegment(r: Report, vs: VirtualService, inst: VrrpInstance, vip: {address: string; prefix: number; cidr: string}, name: string, address: string, path: Path): void {
  const seg = instanceSegment(inst, r.cluster.directors, vip)
  if (!isIPv4(address) || sameNet(address, seg.address, seg.prefix)) return
  const net = network(seg.address, seg.prefix)
  const from =
    seg.from === 'network' ? `vrrp_instances.${inst.name}.network`
      : seg.from === 'vip' ? `the VIP ${vip.address}/${seg.prefix}`
        : `the directors' addresses and the VIP ${vip.address}, which has no prefix`
  const larger = seg.from === 'directors' ? `; if the segment is larger, say so with vrrp_instances.${inst.name}.network (e.g. ${network(seg.address, Math.max(8, seg.prefix - 8))}), which leaves the VIP as written` : ''
  r.error(
    path,
    `${name} (${address}) is not on the directors' segment ${net} (from ${from}): LVS-DR only rewrites the destination MAC, so a real server must be on the same L2 segment as the directors${larger}`,
    `move ${name} onto ${net}, or use forwarding: TUN (IP-in-IP) or NAT for ${vs.name}`,
  )
}

/**
 * quorum is the total weight of healthy real servers below which keepalived treats the service as down; hysteresis is
 * the margin around it. keepalived "corrects" a quorum above the total weight, and a hysteresis not below the quorum,
 * with a warning each (which fails keepalived -t).
 */
function quorum(r: Report, vs: VirtualService): void {
  const total = vs.realServers.reduce((n, rs) => n + rs.weight, 0)
  const q = vs.quorum ?? 1
  if (q > total) {
    r.error(
      vs.quorum !== undefined ? [...vs.origin, 'quorum'] : vs.origin,
      `${vs.quorum !== undefined ? `is ${q}` : `has the default quorum 1`}, more than the total weight of ${vs.name}'s real servers (${total}): the service could never be up, and keepalived lowers it to ${total} with a warning`,
      total === 0 ? 'give at least one real server a weight above 0' : `use a quorum of at most ${total}, or give the real servers more weight`,
      {key: vs.quorum === undefined},
    )
  }
  if (vs.hysteresis !== undefined && vs.hysteresis >= q) {
    r.error([...vs.origin, 'hysteresis'], `is ${vs.hysteresis}, not below the quorum ${q}${vs.quorum === undefined ? ' (the default)' : ''}: keepalived lowers it to ${q - 1} with a warning`, `use a hysteresis below ${q}${vs.quorum === undefined ? ', or set a larger quorum' : ''}`)
  }
}

/** keepalived's HTTP_GET speaks plain HTTP: against a TLS port every request fails and every real server is "down". */
function httpsWithHttpGet(r: Report, vs: VirtualService): void {
  const hc = vs.healthCheck
  if (hc.type !== 'HTTP_GET') return
  const ports = hc.connect_port !== undefined ? [hc.connect_port] : vs.realServers.map((rs) => rs.port)
  if (!ports.includes(443)) return
  const written = r.raw.virtual_servers?.[vs.name]?.health_check !== undefined
  r.error(
    written ? [...vs.origin, 'health_check', 'type'] : vs.origin,
    `${written ? 'is HTTP_GET' : 'has no health_check, so keepalived checks it with HTTP_GET'}, but on port 443: HTTP_GET speaks plain HTTP, so against HTTPS every check fails and keepalived takes every real server out`,
    `use ${written ? 'type' : 'health_check: {type'}: SSL_GET${written ? '' : '}'} for an HTTPS port (or TCP_CHECK to only test that it accepts connections)`,
    {key: !written},
  )
}

function gatewayOrigin(r: Report, rs: RealServer): Path {
  if (r.raw.real_servers?.[rs.name]?.gateway !== undefined) return [...rs.origin, 'gateway']
  const {groups} = layersFor(r.raw, rs.name, 'real_servers')
  const from = [...groups].reverse().find((g) => r.raw.groups?.[g]?.gateway !== undefined)
  return from ? ['groups', from, 'gateway'] : rs.origin
}

/**
 * LVS-NAT rewrites the destination on the way in and the source on the way back, so replies must return through the
 * director holding the VIP: every real server's default route is the DIP, a VIP floating with the service VIP.
 */
function natGateways(r: Report, holders: (address: string) => Array<{inst: VrrpInstance; vip: {address: string; prefix: number; cidr: string}}>): void {
  for (const rs of r.cluster.realServers) {
    const services = r.cluster.virtualServices.filter((vs) => vs.forwarding === 'NAT' && vs.realServers.some((x) => x.name === rs.name))
    if (services.length === 0) continue
    const serviceInst = holders(services[0].vip)[0]?.inst
    const candidates = (serviceInst?.vips ?? []).filter((v) => v.address !== services[0].vip && sameNet(v.address, rs.address, segmentOf(v).prefix))
    const suggestion = candidates[0] ? `${candidates[0].address} (a VIP of vrrp_instances.${serviceInst!.name})` : 'a VIP on its subnet (add one to the service\'s instance)'
    const names = services.map((s) => `virtual_servers.${s.name}`).join(', ')

    if (rs.gateway === undefined) {
      r.error(
        rs.origin,
        `has no gateway, but serves ${names} over LVS-NAT: the replies must go back through the director holding the VIP, so its default route must be the floating DIP`,
        `add gateway: ${suggestion} to real_servers.${rs.name} or its group`,
        {key: true},
      )
      continue
    }
    const path = gatewayOrigin(r, rs)
    const dip = holders(rs.gateway)[0]
    if (!dip) {
      r.error(path, `${rs.gateway} is not a VIP of any VRRP instance, but ${rs.name} serves ${names} over LVS-NAT: replies must return through whichever director holds the VIP, so the gateway must be the floating DIP`, `set gateway to ${suggestion}`)
      continue
    }
    if (serviceInst && dip.inst !== serviceInst && !(dip.inst.syncGroup && dip.inst.syncGroup === serviceInst.syncGroup)) {
      r.error(
        path,
        `the DIP ${rs.gateway} floats in vrrp_instances.${dip.inst.name} but the VIP ${services[0].vip} in vrrp_instances.${serviceInst.name}: they can fail over separately, and replies would then reach a director that does not hold the VIP`,
        `put the DIP in vrrp_instances.${serviceInst.name} with the VIP, or both instances in one sync_group`,
      )
    }
    const seg = segmentOf(dip.vip)
    if (!sameNet(rs.address, dip.vip.address, seg.prefix)) {
      const assumed = seg.assumed ? ` (lbctl assumes /24 because the DIP has no prefix)` : ''
      r.error(path, `the DIP ${rs.gateway} is on ${network(dip.vip.address, seg.prefix)}${assumed}, not on ${rs.name}'s subnet (${rs.address}): a default gateway must be directly reachable`, `use a DIP on ${rs.name}'s subnet as its gateway`)
    }
  }
}
