import {createHash} from 'node:crypto'
import {isIPv4} from 'node:net'
import {join, resolve} from 'node:path'
import {LabArgumentError} from './run.js'

// The lab name ends up in namespace names (`lbctl.NAME.HOST`), file names and the inventory's `name`. No dots, so a
// namespace prefix `lbctl.NAME.` belongs to exactly one lab; lower case so two labs never differ only by case.
export const LAB_NAME_RE = /^[a-z][a-z0-9-]{0,31}$/

export const DEFAULT_SUBNET = '198.18.0.0/24'
/** Where lab up writes a lab's inventories unless told otherwise: a directory .gitignore covers (they name lab keys). */
export const LAB_INVENTORY_DIR = join('inventories', 'labs')
export const DEFAULT_DIRECTORS = 2
export const DEFAULT_REAL_SERVERS = 3

// Host addresses are offsets into the subnet (see docs/lab.md): .1 controller (the bridge), .5 client,
// .11–.19 directors, .21–.99 then .110–.254 real servers; .100–.109 are kept for VIPs (.100 = VI_1, .101 a second
// instance). All of them sit in the first 256 addresses, so any prefix from /16 to /24 works.
const CLIENT_OFFSET = 5
// More source addresses on the client (.6–.10): five more "clients" for source-based stickiness tests.
const CLIENT_ALIAS_OFFSETS = range(6, 10)
const DIRECTOR_OFFSETS = range(11, 19)
const REAL_SERVER_OFFSETS = [...range(21, 99), ...range(110, 254)]
export const VIP_OFFSETS = [100, 101]
export const MAX_DIRECTORS = DIRECTOR_OFFSETS.length
export const MAX_REAL_SERVERS = REAL_SERVER_OFFSETS.length

export type LabRole = 'director' | 'real_server' | 'client'

/**
 * namespaces: every host a namespace (HAProxy topologies; this kernel may lack IPVS). lvs-dr / lvs-nat: the directors
 * are small QEMU VMs with their own kernel and real IPVS (src/lab/vm); lvs-nat adds an inside bridge for the real
 * servers, whose default gateway is the directors' floating DIP.
 */
export const TOPOLOGIES = ['namespaces', 'lvs-dr', 'lvs-nat'] as const
export type LabTopology = (typeof TOPOLOGIES)[number]

/** A director that runs as a QEMU VM: its TAPs (eth0 on the lab bridge, eth1 on the inside bridge for NAT). */
export interface LabVmPlan {
  taps: Array<{tap: string; bridge: string; mac: string; guestIf: string; address: string}>
}

export interface LabHostPlan {
  name: string
  role: LabRole
  address: string
  /** Network namespace, also the host's identity for `ip netns`. */
  netns: string
  /** Root-namespace end of the host's veth pair (the host sees the other end as eth0). */
  veth: string
  /** Per-host state: host key, sshd_config, init log, and the directories bind-mounted over /etc/…, /run, /tmp. */
  dir: string
  priority?: number
  /** The bridge the host's eth0 is on: the lab bridge, or the inside bridge for LVS-NAT real servers. */
  bridge: string
  /** Set for directors of the LVS topologies: the host is a VM, not a namespace (netns and veth are unused). */
  vm?: LabVmPlan
  /** The client's further addresses on eth0, for tests that need several client sources. */
  aliases?: string[]
}

export interface LabPlan {
  name: string
  subnet: string
  prefix: number
  /** The controller's address on the lab bridge: the first usable address. */
  gateway: string
  bridge: string
  stateDir: string
  vips: string[]
  vrid: number
  hosts: LabHostPlan[]
  inventoryPath: string
  topology: LabTopology
  /** lvs-nat only: the real servers' network, its bridge, the controller's address there and the floating DIP. */
  inside?: {subnet: string; bridge: string; gateway: string; dip: string}
}

export interface PlanOptions {
  name: string
  directors: number
  realServers: number
  subnet: string
  inventoryDir: string
  topology?: LabTopology
}

export function labRoot(): string {
  return process.env.LBCTL_LAB_DIR ? resolve(process.env.LBCTL_LAB_DIR) : '/var/lib/lbctl-lab'
}

export function stateDirOf(name: string): string {
  return join(labRoot(), name)
}

export function checkLabName(name: string): void {
  if (!LAB_NAME_RE.test(name)) {
    throw new LabArgumentError(`lab name "${name}" must start with a lower-case letter and contain only a-z, 0-9 and "-" (at most 32 characters)`)
  }
}

export function netnsPrefix(name: string): string {
  return `lbctl.${name}.`
}

const hex = (s: string) => createHash('sha256').update(s).digest('hex')

// Interface names are limited to 15 characters (IFNAMSIZ), too short for "lab name + host name"; a hash of each keeps
// two labs' links apart and lets `lab down` find this lab's links by prefix even without its state file.
export function linkTag(name: string): string {
  return hex(name).slice(0, 6)
}

export function bridgeName(name: string): string {
  return `lbb${linkTag(name)}`
}

export function vethName(name: string, host: string): string {
  return `lbv${linkTag(name)}${hex(`${name}/${host}`).slice(0, 6)}`
}

/** LVS-NAT's second bridge, for the real servers' inside network. */
export function insideBridgeName(name: string): string {
  return `lbi${linkTag(name)}`
}

/** A VM's TAP on the lab bridge (nic 0) or the inside bridge (nic 1); found by these prefixes at teardown. */
export function tapName(name: string, host: string, nic: number): string {
  return `${nic === 0 ? 'lbt' : 'lbn'}${linkTag(name)}${hex(`${name}/${host}`).slice(0, 6)}`
}

// LVS-NAT's inside network mirrors the lab subnet in the other half of 198.18.0.0/15 (198.18.33.0/24 ↔
// 198.19.33.0/24): it stays in the benchmarking range and never meets another lab's lab subnet (198.18.x by
// convention).
export function insideSubnetOf(subnet: Subnet): Subnet {
  if (!overlaps(subnet, {network: ipToInt('198.18.0.0'), prefix: 15})) {
    throw new LabArgumentError(`--topology lvs-nat needs a --subnet inside 198.18.0.0/15 (its inside network is the mirror half of that range)`)
  }
  return {network: (subnet.network ^ 0x10000) >>> 0, prefix: subnet.prefix}
}

// Fixed MACs: a host rebuilt by `lab up` (or the bridge, which otherwise takes its lowest port's MAC) keeps its
// address, so neighbours' ARP caches stay right. 02:… is a locally administered unicast address.
export function macOf(name: string, what: string): string {
  const h = hex(`${name}/${what}`)
  return ['02', h.slice(0, 2), h.slice(2, 4), h.slice(4, 6), h.slice(6, 8), h.slice(8, 10)].join(':')
}

/** Link alias (`ip link show` prints it) so a human can tell whose link it is. */
export function linkAlias(name: string, host: string): string {
  return `lbctl-lab:${name}:${host}`
}

// Different labs sit on different bridges, so their VRRP never meets; a per-name VRID still keeps adverts apart if
// someone bridges two labs together. "lab" keeps the seeds' 51.
export function vridOf(name: string): number {
  return name === 'lab' ? 51 : 1 + (parseInt(hex(name).slice(0, 8), 16) % 255)
}

export interface Subnet {network: number; prefix: number}

export function parseSubnet(text: string): Subnet {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text)
  if (!m || !isIPv4(m[1])) throw new LabArgumentError(`--subnet "${text}" is not an IPv4 network like 198.18.0.0/24`)
  const prefix = Number(m[2])
  if (prefix < 16 || prefix > 24) throw new LabArgumentError(`--subnet "${text}": the prefix must be from /16 to /24 (the lab uses the first 255 addresses)`)
  const network = ipToInt(m[1])
  const mask = prefixMask(prefix)
  if ((network & mask) >>> 0 !== network) {
    throw new LabArgumentError(`--subnet "${text}" has host bits set; did you mean ${intToIp((network & mask) >>> 0)}/${prefix}?`)
  }
  return {network, prefix}
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => ((acc << 8) | Number(o)) >>> 0, 0)
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}

export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

/** Whether two CIDR ranges share any address. */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix)
  const m = prefixMask(p)
  return ((a.network & m) >>> 0) === ((b.network & m) >>> 0)
}

export function makePlan(o: PlanOptions): LabPlan {
  checkLabName(o.name)
  if (!Number.isInteger(o.directors) || o.directors < 1 || o.directors > MAX_DIRECTORS) {
    throw new LabArgumentError(`--directors must be from 1 to ${MAX_DIRECTORS}`)
  }
  if (!Number.isInteger(o.realServers) || o.realServers < 0 || o.realServers > MAX_REAL_SERVERS) {
    throw new LabArgumentError(`--real-servers must be from 0 to ${MAX_REAL_SERVERS}`)
  }
  const {network, prefix} = parseSubnet(o.subnet)
  const topology = o.topology ?? 'namespaces'
  const insideNet = topology === 'lvs-nat' ? insideSubnetOf({network, prefix}).network : undefined
  const at = (offset: number) => intToIp(network + offset)
  const inAt = (offset: number) => intToIp(insideNet! + offset)
  const stateDir = stateDirOf(o.name)
  const bridge = bridgeName(o.name)
  const host = (name: string, role: LabRole, offset: number, priority?: number): LabHostPlan => ({
    name,
    role,
    address: role === 'real_server' && insideNet !== undefined ? inAt(offset) : at(offset),
    netns: `${netnsPrefix(o.name)}${name}`,
    veth: vethName(o.name, name),
    dir: join(stateDir, 'hosts', name),
    ...(priority === undefined ? {} : {priority}),
    bridge: role === 'real_server' && insideNet !== undefined ? insideBridgeName(o.name) : bridge,
  })
  const hosts: LabHostPlan[] = [{...host('client', 'client', CLIENT_OFFSET), aliases: CLIENT_ALIAS_OFFSETS.map(at)}]
  for (let i = 0; i < o.directors; i++) {
    const d = host(`lb${i + 1}`, 'director', DIRECTOR_OFFSETS[i], 101 - i)
    if (topology !== 'namespaces') {
      const nic = (n: number, br: string, address: string) => ({tap: tapName(o.name, d.name, n), bridge: br, mac: macOf(o.name, `${d.name}/eth${n}`), guestIf: `eth${n}`, address})
      d.vm = {taps: [nic(0, bridge, d.address)]}
      if (insideNet !== undefined) d.vm.taps.push(nic(1, insideBridgeName(o.name), inAt(DIRECTOR_OFFSETS[i])))
    }
    hosts.push(d)
  }
  for (let i = 0; i < o.realServers; i++) hosts.push(host(`web${i + 1}`, 'real_server', REAL_SERVER_OFFSETS[i]))
  return {
    name: o.name,
    subnet: `${intToIp(network)}/${prefix}`,
    prefix,
    gateway: at(1),
    bridge,
    stateDir,
    vips: [`${at(VIP_OFFSETS[0])}/${prefix}`],
    vrid: vridOf(o.name),
    hosts,
    inventoryPath: resolve(o.inventoryDir, `${o.name}.yaml`),
    topology,
    ...(insideNet === undefined
      ? {}
      : {inside: {subnet: `${intToIp(insideNet)}/${prefix}`, bridge: insideBridgeName(o.name), gateway: inAt(1), dip: inAt(VIP_OFFSETS[0])}}),
  }
}

function range(from: number, to: number): number[] {
  return Array.from({length: to - from + 1}, (_, i) => from + i)
}
