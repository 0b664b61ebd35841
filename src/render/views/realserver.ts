import type {Cluster, RealServer} from '../../inventory/model.js'
import {managedHeader} from '../header.js'
import {PATHS} from '../paths.js'
import {shellWord} from '../quote.js'

interface Knob {
  /** sysctl.d key: dots in an interface name become slashes (eth0.100 → net.ipv4.conf.eth0/100.arp_ignore). */
  key: string
  /** /proc/sys path, as a shell word: there the interface name keeps its dots. */
  path: string
  value: string
}

export interface RealServerView {
  header: string
  name: string
  summary: string
  /** Set on start (ARP suppression before any VIP appears), restored to 0 on stop. */
  arp: Knob[]
  /** LVS-TUN: decapsulated packets arrive on tunl0 from a source routed elsewhere; strict rp_filter drops them. */
  rpFilter: Knob[]
  loadIpip: boolean
  vipDev: string | null
  vips: {address: string; cidr: string; label: string}[]
  gateway: string | null
  script: string
}

// arp_ignore=1: answer ARP only for addresses on the interface the request came in on (never for the VIP on lo).
// arp_announce=2: never use the VIP as the source of our own ARP requests. The kernel applies the larger of "all"
// and the interface's value, which is why the seed sets "all"; lbctl can also target the real interface only, for
// hosts where all.arp_announce=2 broke corosync multicast.
const ARP = [
  {name: 'arp_ignore', on: '1'},
  {name: 'arp_announce', on: '2'},
]

export function realServerView(cluster: Cluster, rs: RealServer): RealServerView {
  const fwd = rs.lvs.forwarding
  const suppressArp = (fwd === 'DR' || fwd === 'TUN') && rs.lvs.vips.length > 0
  const scopes = (['lo', 'all', 'interface'] as const).filter((s) => rs.arpScope.includes(s)).map((s) => (s === 'interface' ? rs.interface : s))
  const arp = suppressArp ? [...new Set(scopes)].flatMap((iface) => ARP.map((k) => knob(iface, k.name, k.on))) : []
  const tun = fwd === 'TUN' && rs.lvs.vips.length > 0
  const vipDev = rs.lvs.vips.length === 0 ? null : tun ? 'tunl0' : 'lo'
  return {
    header: managedHeader(cluster),
    name: rs.name,
    summary: summary(rs),
    arp,
    rpFilter: tun ? ['all', 'tunl0'].map((iface) => knob(iface, 'rp_filter', '0')) : [],
    loadIpip: tun,
    vipDev,
    vips: rs.lvs.vips.map((address, i) => ({address: shellWord(address), cidr: shellWord(`${address}/32`), label: shellWord(`${vipDev}:${i}`)})),
    gateway: rs.gateway ? shellWord(rs.gateway) : null,
    script: PATHS.realServerScript,
  }
}

function knob(iface: string, name: string, value: string): Knob {
  return {key: `net.ipv4.conf.${iface.replace(/\./g, '/')}.${name}`, path: shellWord(`/proc/sys/net/ipv4/conf/${iface}/${name}`), value}
}

function summary(rs: RealServer): string {
  const parts: string[] = []
  if (rs.lvs.vips.length > 0) parts.push(`LVS-${rs.lvs.forwarding} real server for ${rs.lvs.vips.join(', ')}`)
  if (rs.gateway) parts.push(`default route via the directors' floating address ${rs.gateway} (LVS-NAT)`)
  return parts.length > 0 ? parts.join('; ') : 'nothing to set up (no LVS virtual service uses this host)'
}

/** The persistent half of the ARP/rp_filter settings (empty when the host needs none). */
export function realServerSysctlEntries(view: RealServerView): {key: string; value: string}[] {
  // tunl0 only exists once ipip is loaded, which sysctl.d at boot cannot rely on: the script sets it at start.
  return [...view.arp, ...view.rpFilter.filter((k) => !k.key.includes('.tunl0.'))].map((k) => ({key: k.key, value: k.value}))
}
