import {access, readFile, rm} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {findInit, ipBatch, listLinks, listNetns, pidsByNetns, processesWithArg} from './network.js'
import {LAB_INVENTORY_DIR, bridgeName, linkAlias, linkTag, netnsPrefix, stateDirOf, vethName} from './plan.js'
import {LabError, run, sleep} from './run.js'
import {type LabState, readState, removeInventory} from './state.js'
import {lvsInventoryPath, teardownVms} from './vm/index.js'
import type {RaisedLimit} from './kernel.js'

export interface HostTarget {
  /** Empty for a veth found without its namespace. */
  netns: string
  veth: string
  /** The host's init.sh, when known: finds its processes even if the namespace lost its name. */
  initScript?: string
}

/**
 * End every process of the hosts. Inits first: a dead PID-namespace init takes its whole namespace down (sshd
 * sessions included, which outlive their listener), and its parent, unshare, reaps it and exits. Whatever is still
 * in the network namespaces after a grace period (an `ip netns exec` visitor that never joined the PID namespace)
 * is killed outright. `ip netns del` alone ends nothing. `initScripts` also finds a host whose namespace lost its
 * name (someone ran `ip netns del` by hand) but whose processes still hold it alive.
 */
export async function killHosts(names: readonly string[], initScripts: readonly string[], timeoutMs = 5000): Promise<number> {
  const started = Date.now()
  const killed = new Set<number>()
  const scripts = new Set(initScripts)
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL')
      killed.add(pid)
    } catch {}
  }
  for (;;) {
    const inNs = [...(await pidsByNetns(names)).values()]
    const orphans = scripts.size === 0 ? [] : (await processesWithArg((a) => scripts.has(a))).map((p) => p.pid)
    const all = [...new Set([...inNs.flat(), ...orphans])]
    if (all.length === 0) return killed.size
    if (Date.now() - started > timeoutMs) {
      throw new LabError(`processes would not die in lab hosts: ${all.slice(0, 10).join(' ')}${all.length > 10 ? ' …' : ''}`)
    }
    const inits = await Promise.all([...inNs.map(findInit), ...orphans.map((pid) => findInit([pid]))])
    for (const pid of inits) if (pid !== undefined) kill(pid)
    if (Date.now() - started > 500) for (const pid of all) kill(pid)
    await sleep(20)
  }
}

/** Kill, then delete namespaces and their veths by name (a veth whose peer's namespace is gone can linger). */
export async function teardownHosts(targets: readonly HostTarget[]): Promise<number> {
  if (targets.length === 0) return 0
  const killed = await killHosts(
    targets.map((t) => t.netns).filter(Boolean),
    targets.map((t) => t.initScript).filter((p): p is string => p !== undefined),
  )
  for (let attempt = 0; attempt < 3; attempt++) {
    const nsNow = new Set(await listNetns())
    const linksNow = new Set((await listLinks()).map((l) => l.ifname))
    const lines = [
      ...targets.filter((t) => t.netns && nsNow.has(t.netns)).map((t) => `netns del ${t.netns}`),
      ...targets.filter((t) => linksNow.has(t.veth)).map((t) => `link del ${t.veth}`),
    ]
    if (lines.length === 0) return killed
    // -force: a veth may vanish on its own between the listing and its line.
    await ipBatch(lines, true)
    await sleep(attempt * 50)
  }
  const nsLeft = new Set(await listNetns())
  const linksLeft = new Set((await listLinks()).map((l) => l.ifname))
  const left = targets.flatMap((t) => [t.netns && nsLeft.has(t.netns) ? `netns ${t.netns}` : '', linksLeft.has(t.veth) ? `link ${t.veth}` : '']).filter(Boolean)
  if (left.length > 0) throw new LabError(`could not remove: ${left.join(', ')}`)
  return killed
}

/** Everything on the machine that belongs to lab `name`, found by name even when its state file is gone. */
export async function discoverLab(name: string, state?: LabState): Promise<{hosts: HostTarget[]; bridge?: string}> {
  const prefix = netnsPrefix(name)
  const hosts = new Map<string, HostTarget>()
  const hostDirs = join(stateDirOf(name), 'hosts')
  const add = (host: string) => {
    const netns = `${prefix}${host}`
    if (!hosts.has(netns)) hosts.set(netns, {netns, veth: vethName(name, host), initScript: join(hostDirs, host, 'init.sh')})
  }
  for (const h of state?.hosts ?? []) add(h.name)
  for (const ns of await listNetns()) if (ns.startsWith(prefix)) add(ns.slice(prefix.length))
  const initRe = new RegExp(`^${hostDirs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/([^/]+)/init\\.sh$`)
  for (const p of await processesWithArg((a) => initRe.test(a))) add(initRe.exec(p.arg)![1])
  const links = await listLinks()
  const known = new Set([...hosts.values()].map((h) => h.veth))
  const vethPrefix = `lbv${linkTag(name)}`
  for (const l of links) {
    const ours = l.ifname.startsWith(vethPrefix) || l.alias?.startsWith(linkAlias(name, ''))
    if (ours && l.kind === 'veth' && !known.has(l.ifname)) hosts.set(`link:${l.ifname}`, {netns: '', veth: l.ifname})
  }
  const bridge = links.find((l) => l.ifname === bridgeName(name))?.ifname
  return {hosts: [...hosts.values()], bridge}
}

export interface DownResult {
  name: string
  /** Whether there was anything to remove. */
  existed: boolean
  namespaces: string[]
  links: string[]
  processesKilled: number
  removedFiles: string[]
  /** The machine's shared limits the labs had raised, put back because no lab is left (src/lab/kernel.ts). */
  restoredKernel: RaisedLimit[]
  elapsedMs: number
}

export async function teardownLab(name: string, opts: {inventoryDir?: string} = {}): Promise<DownResult> {
  const started = Date.now()
  const stateDir = stateDirOf(name)
  const state = await readState(stateDir)
  const {hosts, bridge} = await discoverLab(name, state)
  // The state lists the VM directors' namespace names too, which never existed.
  const nsBefore = new Set(await listNetns())
  // VMs (LVS topologies) first: their TAPs hang on the bridges deleted below.
  const vms = await teardownVms(name)
  const killed = (await teardownHosts(hosts)) + vms.killed
  if (bridge) await run(['ip', 'link', 'del', bridge])
  await unmountUnder(stateDir)
  const removedFiles: string[] = []
  const inventory = state?.inventoryPath ?? resolve(opts.inventoryDir ?? LAB_INVENTORY_DIR, `${name}.yaml`)
  if (await removeInventory(inventory, name)) removedFiles.push(inventory)
  for (const topology of ['lvs-dr', 'lvs-nat'] as const) {
    const lvs = lvsInventoryPath(inventory, topology)!
    if (await removeInventory(lvs, name)) removedFiles.push(lvs)
  }
  const hadDir = await access(stateDir).then(() => true, () => false)
  await rm(stateDir, {recursive: true, force: true})
  if (hadDir) removedFiles.push(stateDir)
  return {
    name,
    existed: hosts.length > 0 || bridge !== undefined || removedFiles.length > 0 || vms.killed > 0 || vms.links.length > 0,
    namespaces: hosts.map((h) => h.netns).filter((n) => n && nsBefore.has(n)),
    links: [...hosts.map((h) => h.veth), ...vms.links, ...(bridge ? [bridge] : [])],
    processesKilled: killed,
    removedFiles,
    restoredKernel: [],
    elapsedMs: Date.now() - started,
  }
}

// The hosts' binds live in their private mount namespaces and die with them; this only catches a bind someone made
// by hand on the machine, which would otherwise make `rm -r` of the state directory fail half-way.
async function unmountUnder(dir: string): Promise<void> {
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]).filter(Boolean)
  for (const m of mounts.filter((m) => m === dir || m.startsWith(`${dir}/`)).reverse()) await run(['umount', '-l', m])
}
