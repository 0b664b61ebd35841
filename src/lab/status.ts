import {dirname} from 'node:path'
import {listening} from './host.js'
import {identityFileOf, knownHostsOf} from './inventory.js'
import {findInit, listLinks, listNetns, pidsByNetns} from './network.js'
import {type LabPlan, type LabRole, ipToInt, makePlan, netnsPrefix, stateDirOf} from './plan.js'
import {mapLimit, run} from './run.js'
import {type LabState, readState} from './state.js'
import {type VmHostStatus, lvsInventoryPath, vmHostStatus} from './vm/index.js'

export interface LabHostStatus {
  name: string
  role: LabRole
  address: string
  netns: string
  veth: string
  /** The host's init (tini) as the machine sees it; null when the host is not running. */
  initPid: number | null
  /** Processes in the host's network namespace (its init, sshd, daemons, sessions). */
  processes: number
  /** sshd listens on port 22 and the host's veth is on the lab bridge. */
  sshd: boolean
  /** Real servers only: the HTTP service listens on port 80. */
  http?: boolean
  /** IPv4 addresses on the host's eth0 (its own, plus any VIP it holds); a VM's on all its NICs. */
  addresses: string[]
  /** Directors of the LVS topologies: the host is a QEMU VM (initPid is QEMU's pid). */
  vm?: VmHostStatus['vm']
}

export interface LabStatus {
  name: string
  /** A state directory or any namespace/link of this lab exists. */
  exists: boolean
  /** Every host runs and answers on its ports. */
  up: boolean
  subnet?: string
  topology?: LabPlan['topology']
  /** lvs-nat: the real servers' network and bridge. */
  inside?: LabPlan['inside']
  /** LVS topologies: the LVS inventory (NAME-dr.yaml / NAME-nat.yaml). */
  lvsInventory?: string
  bridge?: string
  controllerAddress?: string
  stateDir: string
  inventory?: string
  knownHosts?: string
  identityFile?: string
  hosts: LabHostStatus[]
  /** Each VIP of the lab (and any other extra address found on a director) with the directors holding it. */
  vips: Array<{address: string; holders: string[]}>
}

export function planFromState(state: LabState): LabPlan {
  return makePlan({
    name: state.name,
    directors: state.directors,
    realServers: state.realServers,
    subnet: state.subnet,
    inventoryDir: dirname(state.inventoryPath),
    topology: state.topology,
  })
}

export async function labStatus(opts: {name?: string} = {}): Promise<LabStatus> {
  const name = opts.name ?? 'lab'
  const stateDir = stateDirOf(name)
  const state = await readState(stateDir)
  if (!state) {
    const leftovers = (await listNetns()).filter((n) => n.startsWith(netnsPrefix(name)))
    return {name, exists: leftovers.length > 0, up: false, stateDir, hosts: [], vips: []}
  }
  return statusOf(planFromState(state))
}

export async function statusOf(plan: LabPlan): Promise<LabStatus> {
  const [nsNow, links] = await Promise.all([listNetns().then((l) => new Set(l)), listLinks()])
  const pids = await pidsByNetns(plan.hosts.map((h) => h.netns))
  const bridge = links.find((l) => l.ifname === plan.bridge)
  const bridged = bridge?.up === true && bridge.addresses.includes(`${plan.gateway}/${plan.prefix}`)
  const hosts = await mapLimit(plan.hosts, 32, async (h): Promise<LabHostStatus> => {
    if (h.vm) {
      const v = await vmHostStatus(plan.name, h, links)
      return {name: h.name, role: h.role, address: h.address, netns: '', veth: '', ...v}
    }
    const running = nsNow.has(h.netns)
    const hostPids = pids.get(h.netns) ?? []
    const initPid = running ? ((await findInit(hostPids)) ?? null) : null
    // Read from the host's /proc/PID/net/tcp, not probed: status sends no packet and leaves no line in sshd's log.
    const veth = links.find((l) => l.ifname === h.veth)
    const wired = bridged && veth?.master === h.bridge && veth.up
    const probe = async (port: number) => wired && initPid !== null && (await listening(initPid, [port]))
    const addresses = running ? await eth0Addresses(h.netns) : []
    return {
      name: h.name,
      role: h.role,
      address: h.address,
      netns: h.netns,
      veth: h.veth,
      initPid,
      processes: hostPids.length,
      sshd: await probe(22),
      ...(h.role === 'real_server' ? {http: await probe(80)} : {}),
      addresses,
    }
  })
  const up = hosts.every((h) => h.initPid !== null && h.sshd && h.http !== false)
  return {
    name: plan.name,
    exists: true,
    up,
    subnet: plan.subnet,
    ...(plan.topology === 'namespaces' ? {} : {topology: plan.topology, lvsInventory: lvsInventoryPath(plan.inventoryPath, plan.topology)}),
    ...(plan.inside ? {inside: plan.inside} : {}),
    bridge: plan.bridge,
    controllerAddress: plan.gateway,
    stateDir: plan.stateDir,
    inventory: plan.inventoryPath,
    knownHosts: knownHostsOf(plan),
    identityFile: identityFileOf(plan),
    hosts,
    vips: vipHolders(plan, hosts),
  }
}

async function eth0Addresses(netns: string): Promise<string[]> {
  const r = await run(['ip', '-n', netns, '-j', '-4', 'addr', 'show', 'dev', 'eth0'])
  if (r.code !== 0) return []
  const raw = JSON.parse(r.stdout || '[]') as Array<{addr_info?: Array<{local: string}>}>
  return raw.flatMap((l) => (l.addr_info ?? []).map((a) => a.local))
}

function vipHolders(plan: LabPlan, hosts: readonly LabHostStatus[]): LabStatus['vips'] {
  const own = new Set(plan.hosts.flatMap((h) => [h.address, ...(h.vm?.taps.map((t) => t.address) ?? [])]))
  const vips = new Map<string, string[]>([...plan.vips, ...(plan.inside ? [plan.inside.dip] : [])].map((v) => [v.split('/')[0], []]))
  // A second instance's VIP (.101), or anything a test added, shows up too once a director holds it.
  for (const h of hosts.filter((x) => x.role === 'director')) {
    for (const a of h.addresses) {
      if (own.has(a)) continue
      if (!vips.has(a)) vips.set(a, [])
      vips.get(a)!.push(h.name)
    }
  }
  return [...vips.entries()].sort(([a], [b]) => ipToInt(a) - ipToInt(b)).map(([address, holders]) => ({address, holders}))
}
