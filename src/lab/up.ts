import {access, rm} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {type Launched, checkStateDirVisible, hostKeyPath, hostPorts, initScriptPath, launchHost, listening, prepareHost, tailLog, tcpProbe} from './host.js'
import {type Segment, checkSubnetFree, createHostLinks, ensureBridge, findInit, listLinks, listNetns, pidsByNetns} from './network.js'
import {DEFAULT_DIRECTORS, DEFAULT_REAL_SERVERS, DEFAULT_SUBNET, LAB_INVENTORY_DIR, type LabHostPlan, type LabPlan, type LabTopology, checkLabName, makePlan, netnsPrefix, stateDirOf} from './plan.js'
import {type RaisedLimit, sizeKernelForLabs} from './kernel.js'
import {checkPrereqs} from './prereqs.js'
import {LabError, mapLimit, sleep} from './run.js'
import {cleanupMachine, ensureLabFiles, ensureMountpoints, readState, removeInventory, withLock, writeClientFiles, writeState} from './state.js'
import {type LabStatus, statusOf} from './status.js'
import {discoverLab, teardownHosts, teardownLab} from './teardown.js'
import {checkVmPrereqs, startVms, waitVmsReady, writeLvsInventory} from './vm/index.js'

export interface LabUpOptions {
  name?: string
  /** Unset: what the running lab has, else 2. Same for realServers and subnet: `lab up` on a lab keeps its shape. */
  directors?: number
  realServers?: number
  subnet?: string
  inventoryDir?: string
  /** Unset: the running lab's, else namespaces. lvs-dr / lvs-nat run the directors as QEMU VMs (src/lab/vm). */
  topology?: LabTopology
  /** Progress lines for a human (the command prints them); the result carries everything else. */
  log?: (line: string) => void
}

export interface LabUpResult extends LabStatus {
  elapsedMs: number
  /** Where the time went (ms since start, at the end of each phase): prereqs, inspect, build, ready, status. */
  phasesMs: Record<string, number>
  created: string[]
  repaired: string[]
  kept: string[]
  removed: string[]
  /** The machine's shared kernel limits this `lab up` raised for the labs' size (src/lab/kernel.ts). */
  raisedKernel: RaisedLimit[]
  /** LVS topologies: the LVS inventory written beside the HAProxy one, and each (re)booted VM's boot time. */
  lvsInventory?: string
  vmBootMs?: Record<string, number>
}

// Forks per batch of hosts (ssh-keygen, the inits): enough to use both cores, few enough not to thrash.
const PARALLEL = 16

export async function labUp(o: LabUpOptions = {}): Promise<LabUpResult> {
  const clock = new Clock()
  const name = o.name ?? 'lab'
  checkLabName(name)
  await checkPrereqs()
  clock.mark('prereqs')
  try {
    return await withLock(name, () => upLocked(name, o, clock))
  } catch (err) {
    // A refused `lab up` (subnet in use, …) must not leave an empty /var/lib/lbctl-lab behind.
    await cleanupMachine()
    throw err
  }
}

class Clock {
  readonly started = performance.now()
  readonly phasesMs: Record<string, number> = {}
  mark(phase: string) {
    this.phasesMs[phase] = this.elapsed()
  }
  elapsed() {
    return Math.round(performance.now() - this.started)
  }
}

async function upLocked(name: string, o: LabUpOptions, clock: Clock): Promise<LabUpResult> {
  const log = o.log ?? (() => {})
  const state = await readState(stateDirOf(name))
  const plan = makePlan({
    name,
    directors: o.directors ?? state?.directors ?? DEFAULT_DIRECTORS,
    realServers: o.realServers ?? state?.realServers ?? DEFAULT_REAL_SERVERS,
    subnet: o.subnet ?? state?.subnet ?? DEFAULT_SUBNET,
    inventoryDir: o.inventoryDir ?? (state ? dirname(state.inventoryPath) : LAB_INVENTORY_DIR),
    topology: o.topology ?? state?.topology ?? 'namespaces',
  })
  checkStateDirVisible(plan.stateDir)
  if (plan.topology !== 'namespaces') checkVmPrereqs()
  const removed: string[] = []
  // Another subnet means other addresses on every host and the bridge: rebuild rather than patch.
  const bridgeNow = (await listLinks()).find((l) => l.ifname === plan.bridge)
  const wrongBridge = bridgeNow !== undefined && bridgeNow.addresses.some((a) => a !== `${plan.gateway}/${plan.prefix}`)
  if ((state && state.subnet !== plan.subnet) || wrongBridge || (state && (state.topology ?? 'namespaces') !== plan.topology)) {
    log(`subnet or topology changed (${plan.subnet}, ${plan.topology}): removing the old lab first`)
    removed.push(...(await teardownLab(name)).namespaces)
  } else if (state && state.inventoryPath !== plan.inventoryPath) {
    await removeInventory(state.inventoryPath, name)
  }
  await checkSubnetFree(plan)
  const inside: Segment | undefined = plan.inside && {subnet: plan.inside.subnet, bridge: plan.inside.bridge, gateway: plan.inside.gateway, what: 'inside-bridge'}
  if (inside) await checkSubnetFree(plan, inside)
  await ensureLabFiles(plan)
  await ensureMountpoints()
  // Written before anything is built, so a crash half-way leaves a lab that `lab down` knows how to remove.
  await writeState(plan, countRole(plan, 'director'), countRole(plan, 'real_server'))
  const kernel = await sizeKernelForLabs()
  for (const k of kernel) log(`raised ${k.key} from ${k.from} to ${k.to}: every lab host shares it (lab down puts it back)`)

  removed.push(...(await removeUnplanned(plan)))
  await ensureBridge(plan, await listLinks())
  if (inside) await ensureBridge(plan, await listLinks(), inside)
  // VMs first: they take seconds to boot, the namespaces build meanwhile.
  const vms = await startVms(plan, log)
  removed.push(...vms.removed)
  const verdicts = await inspectHosts(plan)
  clock.mark('inspect')
  const withVerdict = (v: Verdict) => plan.hosts.filter((h) => verdicts.get(h.name) === v)
  const toRepair = withVerdict('repair')
  const toBuild = [...toRepair, ...withVerdict('create')]
  if (toRepair.length > 0) log(`repairing ${toRepair.map((h) => h.name).join(', ')}`)
  // Created ones too: a host whose namespace was deleted by hand can still run (and hold its address) nameless.
  await teardownHosts(toBuild.map((h) => ({netns: h.netns, veth: h.veth, initScript: initScriptPath(h)})))
  await mapLimit(toBuild, PARALLEL, (h) => prepareHost(plan, h))
  await createHostLinks(plan, toBuild)
  const launched = toBuild.map((h) => launchHost(plan, h))
  clock.mark('build')
  await waitReady(launched, 10_000 + 200 * toBuild.length)
  const vmBootMs = await waitVmsReady(vms.launched, 90_000 + 15_000 * vms.launched.length)
  clock.mark('ready')
  await writeClientFiles(plan)
  const lvsInventory = await writeLvsInventory(plan)
  const status = await statusOf(plan)
  clock.mark('status')
  const names = (hosts: LabHostPlan[]) => hosts.map((h) => h.name)
  return {
    ...status,
    elapsedMs: clock.elapsed(),
    phasesMs: clock.phasesMs,
    created: [...names(withVerdict('create')), ...vms.created],
    repaired: [...names(toRepair), ...vms.repaired],
    kept: [...names(withVerdict('keep')), ...vms.kept],
    removed,
    raisedKernel: kernel,
    ...(lvsInventory ? {lvsInventory, vmBootMs: Object.fromEntries(vmBootMs)} : {}),
  }
}

const countRole = (plan: LabPlan, role: LabHostPlan['role']) => plan.hosts.filter((h) => h.role === role).length

/** Hosts of this lab that the plan no longer has (fewer real servers than last time, a crashed earlier build). */
async function removeUnplanned(plan: LabPlan): Promise<string[]> {
  const planned = new Set(plan.hosts.filter((h) => !h.vm).flatMap((h) => [h.netns, h.veth]))
  const {hosts} = await discoverLab(plan.name)
  const extra = hosts.filter((t) => !planned.has(t.netns || t.veth))
  await teardownHosts(extra)
  const hostDirs = join(plan.stateDir, 'hosts')
  for (const t of extra) {
    const host = t.netns.slice(netnsPrefix(plan.name).length)
    if (host) await rm(join(hostDirs, host), {recursive: true, force: true})
  }
  return extra.map((t) => t.netns || t.veth)
}

type Verdict = 'keep' | 'repair' | 'create'

/** keep: running and answering; repair: some of it is there (a namespace, a veth, a dead init); create: nothing. */
async function inspectHosts(plan: LabPlan): Promise<Map<string, Verdict>> {
  const [nsNow, links] = await Promise.all([listNetns().then((l) => new Set(l)), listLinks()])
  const pids = await pidsByNetns(plan.hosts.map((h) => h.netns))
  // VMs are judged by startVms; they get no verdict here, so withVerdict() never lists them.
  const hosts = plan.hosts.filter((h) => !h.vm)
  const verdicts = await mapLimit(hosts, 64, async (h): Promise<Verdict> => {
    const link = links.find((l) => l.ifname === h.veth)
    if (!nsNow.has(h.netns)) return link ? 'repair' : 'create'
    if (!link || link.master !== h.bridge || !link.up) return 'repair'
    if ((await findInit(pids.get(h.netns) ?? [])) === undefined) return 'repair'
    // A host whose state directory was deleted under it still runs, but with keys and binds that no longer exist.
    if (!(await access(hostKeyPath(h)).then(() => true, () => false))) return 'repair'
    for (const port of hostPorts(h)) if (!(await tcpProbe(h.address, port, 300))) return 'repair'
    return 'keep'
  })
  return new Map(hosts.map((h, i) => [h.name, verdicts[i]]))
}

/**
 * Wait until every new host listens (seen in its /proc/PID/net/tcp), then check each port end to end from the
 * machine over the bridge. No fixed sleeps; a host whose init died fails at once.
 */
async function waitReady(launched: readonly Launched[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let pending = [...launched]
  while (pending.length > 0) {
    const dead = pending.find((l) => l.exited !== undefined)
    if (dead) await failHost(dead.host, `its init exited with ${dead.exited}`)
    const ok = await Promise.all(pending.map((l) => l.pid !== undefined && listening(l.pid, hostPorts(l.host))))
    pending = pending.filter((_, i) => !ok[i])
    if (pending.length === 0) break
    if (Date.now() > deadline) await failHost(pending[0].host, `it did not listen on ${hostPorts(pending[0].host).join(', ')} within ${timeoutMs} ms`)
    await sleep(5)
  }
  let probes = launched.flatMap((l) => hostPorts(l.host).map((port) => ({host: l.host, port})))
  while (probes.length > 0) {
    const open = await Promise.all(probes.map((p) => tcpProbe(p.host.address, p.port, 500)))
    probes = probes.filter((_, i) => !open[i])
    if (probes.length === 0) return
    if (Date.now() > deadline) await failHost(probes[0].host, `port ${probes[0].port} listens but does not answer over the lab bridge`)
    await sleep(20)
  }
}

async function failHost(h: LabHostPlan, why: string): Promise<never> {
  throw new LabError(`lab host ${h.name} did not come up: ${why}. Its log (${join(h.dir, 'init.log')}) ends with:\n${await tailLog(h)}\n` +
    'The lab is half-built: run `lbctl lab up` again to repair it, or `lbctl lab down` to remove it.')
}
