import {readdir, readFile, readlink, stat, writeFile} from 'node:fs/promises'
import {type LabHostPlan, type LabPlan, ipToInt, linkAlias, macOf, overlaps, parseSubnet} from './plan.js'
import {LabArgumentError, LabError, run, runOk} from './run.js'

const NETNS_DIR = '/run/netns'

/** Names under /run/netns (what `ip netns list` prints), without forking `ip`. */
export async function listNetns(): Promise<string[]> {
  try {
    return await readdir(NETNS_DIR)
  } catch {
    return []
  }
}

export interface LinkInfo {
  ifname: string
  master?: string
  up: boolean
  kind?: string
  alias?: string
  addresses: string[]
}

export async function listLinks(): Promise<LinkInfo[]> {
  const out = await runOk(['ip', '-j', '-d', 'addr', 'show'])
  const raw = JSON.parse(out) as Array<{
    ifname: string
    master?: string
    flags?: string[]
    ifalias?: string
    linkinfo?: {info_kind?: string}
    addr_info?: Array<{family: string; local: string; prefixlen: number}>
  }>
  return raw.map((l) => ({
    ifname: l.ifname,
    master: l.master,
    up: (l.flags ?? []).includes('UP'),
    kind: l.linkinfo?.info_kind,
    alias: l.ifalias,
    addresses: (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  }))
}

/**
 * Every pid whose network namespace is one of `names`, by namespace, in one pass over /proc (what `ip netns pids`
 * does, once per namespace; a 50-host lab would fork 50 of those).
 */
export async function pidsByNetns(names: readonly string[]): Promise<Map<string, number[]>> {
  const byInode = new Map<string, string>()
  const result = new Map<string, number[]>()
  for (const n of names) {
    try {
      const st = await stat(`${NETNS_DIR}/${n}`)
      byInode.set(`net:[${st.ino}]`, n)
      result.set(n, [])
    } catch {}
  }
  if (byInode.size === 0) return result
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const ns = byInode.get(await readlink(`/proc/${entry}/ns/net`))
      if (ns) result.get(ns)!.push(Number(entry))
    } catch {} // the process ended while we looked, or it is a zombie (no namespaces any more)
  }
  return result
}

/** Processes with an argv word that passes `test` (how a host init that outlived its namespace's name is found). */
export async function processesWithArg(test: (arg: string) => boolean): Promise<Array<{pid: number; arg: string}>> {
  const found: Array<{pid: number; arg: string}> = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const arg = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').find(test)
      if (arg !== undefined) found.push({pid: Number(entry), arg})
    } catch {}
  }
  return found
}

/** The host's init (tini): the one process whose pid is 1 in its own PID namespace. */
export async function findInit(pids: readonly number[]): Promise<number | undefined> {
  for (const pid of pids) {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8')
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/)
      if (nspid && nspid.length > 1 && nspid[nspid.length - 1] === '1') return pid
    } catch {}
  }
  return undefined
}

/**
 * Refuse a subnet that any existing route or address on the machine reaches (other than this lab's own bridge):
 * lab traffic must never leave the lab, and the lab must not shadow a real network.
 */
export async function checkSubnetFree(plan: LabPlan, seg: Segment = labSegment(plan)): Promise<void> {
  const mine = parseSubnet(seg.subnet)
  const routes = JSON.parse(await runOk(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])) as Array<{dst: string; dev?: string; table?: string}>
  const conflicts: string[] = []
  for (const r of routes) {
    // The local table only mirrors addresses, which are checked below with their interface.
    if (r.dst === 'default' || r.dev === seg.bridge || r.table === 'local') continue
    const [addr, len] = r.dst.split('/')
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(addr)) continue
    if (overlaps(mine, {network: ipToInt(addr), prefix: len === undefined ? 32 : Number(len)})) {
      conflicts.push(`route ${r.dst}${r.dev ? ` dev ${r.dev}` : ''}${r.table ? ` table ${r.table}` : ''}`)
    }
  }
  for (const l of await listLinks()) {
    if (l.ifname === seg.bridge) continue
    for (const a of l.addresses) {
      const [addr, len] = a.split('/')
      if (overlaps(mine, {network: ipToInt(addr), prefix: Number(len)})) conflicts.push(`address ${a} on ${l.ifname}`)
    }
  }
  if (conflicts.length > 0) {
    throw new LabArgumentError(
      `subnet ${seg.subnet} is already in use on this machine (${[...new Set(conflicts)].join('; ')}); ` +
        'pick another with --subnet (e.g. 198.18.1.0/24 — 198.18.0.0/15 is reserved for benchmarking)',
    )
  }
}

/** A bridge of the lab: the lab bridge, or LVS-NAT's inside bridge (`what` keys its MAC and alias). */
export interface Segment {subnet: string; bridge: string; gateway: string; what: string}

export const labSegment = (plan: LabPlan): Segment => ({subnet: plan.subnet, bridge: plan.bridge, gateway: plan.gateway, what: 'bridge'})

/** Create the lab bridge, or complete one left half-made (address missing, link down). */
export async function ensureBridge(plan: LabPlan, links: readonly LinkInfo[], seg: Segment = labSegment(plan)): Promise<void> {
  const want = `${seg.gateway}/${plan.prefix}`
  const br = links.find((l) => l.ifname === seg.bridge)
  if (br && br.kind !== 'bridge') throw new LabError(`${seg.bridge} exists and is not a bridge; remove it or pick another lab name`)
  const lines: string[] = []
  if (!br) {
    // No STP: a lab bridge has no loops, and STP's forward delay would hold every new port for 15+ s.
    lines.push(
      `link add ${seg.bridge} address ${macOf(plan.name, seg.what)} type bridge stp_state 0 mcast_snooping 0`,
      `link set ${seg.bridge} alias ${linkAlias(plan.name, seg.what)}`,
    )
  }
  if (!br?.addresses.includes(want)) lines.push(`addr add ${want} dev ${seg.bridge}`)
  if (!br?.up) lines.push(`link set ${seg.bridge} up`)
  if (lines.length > 0) await ipBatch(lines)
  // ARP retries every 100 ms instead of 1 s on the lab bridge only: a host probed a moment before it had its
  // address is then reachable almost at once, not a second later.
  await writeFile(`/proc/sys/net/ipv4/neigh/${seg.bridge}/retrans_time_ms`, '100').catch(() => {})
}

/** Namespace + veth pair per host, all in one `ip -batch` (eth0 is created directly inside the namespace). */
export async function createHostLinks(plan: LabPlan, hosts: readonly LabHostPlan[]): Promise<void> {
  const lines: string[] = []
  for (const h of hosts) {
    lines.push(
      `netns add ${h.netns}`,
      `link add ${h.veth} address ${macOf(plan.name, `${h.name}/veth`)} type veth peer name eth0 address ${macOf(plan.name, `${h.name}/eth0`)} netns ${h.netns}`,
      `link set ${h.veth} master ${h.bridge} alias ${linkAlias(plan.name, h.name)} up`,
      // A host made by an older lbctl may have had another MAC; do not let the machine keep talking to it.
      `neigh flush to ${h.address} dev ${h.bridge}`,
    )
  }
  if (lines.length > 0) await ipBatch(lines)
}

// Values in these lines are names this module derived (validated lab/host names, hex link names), never user text
// beyond the lab name, which LAB_NAME_RE restricts to [a-z0-9-]. `ip -batch` splits on blanks, there is no shell.
export async function ipBatch(lines: readonly string[], force = false): Promise<string> {
  const r = await run(['ip', ...(force ? ['-force'] : []), '-batch', '-'], {input: lines.join('\n') + '\n'})
  if (r.code !== 0 && !force) throw new LabError(`ip -batch failed: ${r.stderr.trim()}`)
  return r.stderr
}
