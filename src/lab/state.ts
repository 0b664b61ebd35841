import {randomInt} from 'node:crypto'
import {access, mkdir, open, readdir, readFile, rename, rm, rmdir, unlink, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {PRIVATE_DIRS, hostKeyPath} from './host.js'
import {RECORD_FILE as KERNEL_RECORD, type RaisedLimit, restoreKernel} from './kernel.js'
import {listNetns} from './network.js'
import {identityFileOf, inventoryMarker, knownHostsOf, renderInventory, renderKnownHosts, statsPassOf, vrrpPassOf} from './inventory.js'
import {type LabHostPlan, type LabPlan, type LabTopology, labRoot} from './plan.js'
import {LabError, runOk} from './run.js'

/** What `lab up` recorded, so `down`/`status`/`ssh` work from any directory and a later `up` keeps the lab's shape. */
export interface LabState {
  version: 1
  name: string
  subnet: string
  directors: number
  realServers: number
  bridge: string
  inventoryPath: string
  hosts: Array<Pick<LabHostPlan, 'name' | 'role' | 'address' | 'netns' | 'veth'>>
  /** Absent in labs written before VMs existed: namespaces. */
  topology?: LabTopology
}

const statePath = (stateDir: string) => join(stateDir, 'lab.json')

export async function readState(stateDir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(statePath(stateDir), 'utf8')) as LabState
  } catch {
    return undefined
  }
}

export async function writeState(plan: LabPlan, directors: number, realServers: number): Promise<void> {
  const state: LabState = {
    version: 1,
    name: plan.name,
    subnet: plan.subnet,
    directors,
    realServers,
    bridge: plan.bridge,
    inventoryPath: plan.inventoryPath,
    hosts: plan.hosts.map(({name, role, address, netns, veth}) => ({name, role, address, netns, veth})),
    ...(plan.topology === 'namespaces' ? {} : {topology: plan.topology}),
  }
  await atomicWrite(statePath(plan.stateDir), JSON.stringify(state, null, 2) + '\n', 0o600)
}

async function atomicWrite(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp${process.pid}`
  await writeFile(tmp, text, {mode})
  await rename(tmp, path)
}

const exists = (p: string) => access(p).then(() => true, () => false)

/** The state directory (0700: it holds the lab's private key) with the lab key, its authorized_keys and secrets. */
export async function ensureLabFiles(plan: LabPlan): Promise<void> {
  await mkdir(plan.stateDir, {recursive: true, mode: 0o700})
  const key = identityFileOf(plan)
  if (!(await exists(key))) await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `lbctl-lab-${plan.name}`, '-f', key])
  await writeFile(join(plan.stateDir, 'authorized_keys'), await readFile(`${key}.pub`), {mode: 0o600})
  for (const p of [vrrpPassOf(plan), statsPassOf(plan)]) {
    // keepalived only uses the first 8 characters of a PASS; alphanumerics need no quoting in any config.
    if (!(await exists(p))) await writeFile(p, randomWord(8) + '\n', {mode: 0o600})
  }
}

function randomWord(n: number): string {
  const abc = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789'
  return Array.from({length: n}, () => abc[randomInt(abc.length)]).join('')
}

export async function writeClientFiles(plan: LabPlan): Promise<void> {
  const keys = new Map<string, string>()
  for (const h of plan.hosts) keys.set(h.name, await readFile(`${hostKeyPath(h)}.pub`, 'utf8'))
  await atomicWrite(knownHostsOf(plan), renderKnownHosts(plan, keys), 0o644)
  await mkdir(dirname(plan.inventoryPath), {recursive: true})
  await atomicWrite(plan.inventoryPath, renderInventory(plan), 0o644)
}

/** Remove a generated inventory, but only if it is still ours (someone may have replaced it with their own). */
export async function removeInventory(path: string, name: string): Promise<boolean> {
  try {
    const text = await readFile(path, 'utf8')
    if (!text.split('\n').slice(0, 3).includes(inventoryMarker(name))) return false
    await unlink(path)
    return true
  } catch {
    return false
  }
}

// Bind mounts need an existing target. /etc/lbctl and /var/lib/lbctl do not exist on a controller that never was a
// deploy target, so `lab up` makes them (empty) and remembers that; the last `lab down` removes them again.
const mountpointRecord = () => join(labRoot(), '.created-mountpoints.json')

export async function ensureMountpoints(): Promise<void> {
  const made: string[] = []
  for (const d of PRIVATE_DIRS) {
    if (await exists(d)) continue
    await mkdir(d, {recursive: true, mode: 0o755})
    made.push(d)
  }
  if (made.length === 0) return
  await mkdir(labRoot(), {recursive: true, mode: 0o755})
  let before: string[] = []
  try {
    before = JSON.parse(await readFile(mountpointRecord(), 'utf8')) as string[]
  } catch {}
  await writeFile(mountpointRecord(), JSON.stringify([...new Set([...before, ...made])]) + '\n')
}

/**
 * Called after a lab's state directory is gone. Only when no lab is left: removing a directory that is a mount
 * point in another lab's host would detach that host's mount.
 */
export async function cleanupMachine(): Promise<{files: string[]; kernel: RaisedLimit[]}> {
  const root = labRoot()
  let entries: string[] = []
  try {
    entries = await readdir(root)
  } catch {
    return {files: [], kernel: []}
  }
  // Another lab's state directory, or another lbctl's lock (a lab being built right now); or a lab host of any
  // state directory (LBCTL_LAB_DIR) still running somewhere.
  if (entries.some((e) => e !== '.created-mountpoints.json' && e !== KERNEL_RECORD)) return {files: [], kernel: []}
  if ((await listNetns()).some((n) => n.startsWith('lbctl.'))) return {files: [], kernel: []}
  const removed: string[] = []
  const kernel = await restoreKernel()
  try {
    const made = JSON.parse(await readFile(mountpointRecord(), 'utf8')) as string[]
    for (const d of made) {
      try {
        await rmdir(d) // only if still empty
        removed.push(d)
      } catch {}
    }
    await rm(mountpointRecord(), {force: true})
  } catch {}
  try {
    await rmdir(root)
    removed.push(root)
  } catch {}
  return {files: removed, kernel}
}

/**
 * One lbctl at a time per lab: a second `lab up` racing the first would build the same namespaces twice. The lock
 * lives beside the state directory, which `lab down` deletes while holding it.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(labRoot(), {recursive: true, mode: 0o755})
  const path = join(labRoot(), `.${name}.lock`)
  for (let attempt = 0; ; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600)
      await fh.writeFile(String(process.pid))
      await fh.close()
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim())
      if (pid > 0 && pid !== process.pid && isAlive(pid)) throw new LabError(`another lbctl (pid ${pid}) is working on lab "${name}"; wait for it`)
      await rm(path, {force: true})
    }
  }
  try {
    return await fn()
  } finally {
    await rm(path, {force: true})
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
