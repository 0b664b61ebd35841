// Kernel tables every lab host shares with the whole machine, sized for the labs that are up.
//
// A namespace lab puts a cluster's worth of hosts on one kernel, and two of that kernel's limits are per machine,
// not per network namespace:
// - The neighbour (ARP) table. Its hard limit, net.ipv4.neigh.default.gc_thresh3 (1024 by default), counts the
//   entries of every namespace together. A 200-host lab holds about 1,400 (the bridge and each director reach every
//   host; a real server reaches the bridge, the directors and the VRRP group). Past the limit the kernel refuses new
//   entries ("neighbor table overflow" in dmesg): a director whose multicast entry for 224.0.0.18 was collected can
//   no longer send its VRRP adverts, and both directors hold the VIP.
// - The per-CPU receive backlog, net.core.netdev_max_backlog (1000). Every frame a veth sends is queued on the CPU
//   that sent it, so 200 hosts answering at once share two queues that a real network spreads over 200 NICs; a
//   200-host deploy overflowed them ~10,000 times (/proc/net/softnet_stat), each a TCP retransmit or a lost advert.
// `lab up` raises what the labs need, never lowers, and records what it found; the last `lab down` puts back every
// value that is still the one it set.
import {readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {labRoot} from './plan.js'

export interface RaisedLimit {
  key: string
  from: number
  to: number
}

interface LabShape {
  hosts: number
  directors: number
}

/** Each limit: what the labs need in all. Small labs need nothing beyond the defaults. */
const LIMITS: Array<{key: string; need: (labs: LabShape[]) => number}> = [
  {
    key: 'net.ipv4.neigh.default.gc_thresh3',
    // Entries of one lab: the bridge and each director reach every host, a real server ~ directors + 2; twice that.
    need: (labs) => 2 * labs.reduce((n, l) => n + l.hosts * (l.directors + 1) + l.hosts * (l.directors + 2), 0),
  },
  {
    // The soft limit: above it the kernel collects entries older than 5 s, the ones a health check just used.
    key: 'net.ipv4.neigh.default.gc_thresh2',
    need: (labs) => labs.reduce((n, l) => n + l.hosts * (l.directors + 1) + l.hosts * (l.directors + 2), 0),
  },
  {
    key: 'net.core.netdev_max_backlog',
    need: (labs) => 50 * labs.reduce((n, l) => n + l.hosts, 0),
  },
]

export const RECORD_FILE = '.raised-sysctls.json'

/** Where the labs' state and the kernel's values live (tests point both at a temporary directory). */
export interface KernelPaths {
  labRoot: string
  procSys: string
}
const machine = (): KernelPaths => ({labRoot: labRoot(), procSys: '/proc/sys'})
const recordPath = (p: KernelPaths) => join(p.labRoot, RECORD_FILE)
const procPath = (p: KernelPaths, key: string) => join(p.procSys, ...key.split('.'))

type Record_ = Record<string, {before: number; set: number}>

async function readRecord(p: KernelPaths): Promise<Record_> {
  try {
    return JSON.parse(await readFile(recordPath(p), 'utf8')) as Record_
  } catch {
    return {}
  }
}

async function readValue(p: KernelPaths, key: string): Promise<number | undefined> {
  try {
    return Number((await readFile(procPath(p, key), 'utf8')).trim())
  } catch {
    return undefined
  }
}

/** The shapes of every lab with a state directory (this one included: its state is written before it is built). */
async function labShapes(p: KernelPaths): Promise<LabShape[]> {
  const shapes: LabShape[] = []
  for (const e of await readdir(p.labRoot).catch(() => [] as string[])) {
    if (e.startsWith('.')) continue
    // lab.json as state.ts writes it (read here, not through state.ts, which calls restoreKernel).
    try {
      const s = JSON.parse(await readFile(join(p.labRoot, e, 'lab.json'), 'utf8')) as {hosts: unknown[]; directors: number}
      shapes.push({hosts: s.hosts.length, directors: s.directors})
    } catch {}
  }
  return shapes
}

/** Raise the machine's shared limits to what the labs that are up need; returns what changed. */
export async function sizeKernelForLabs(p: KernelPaths = machine()): Promise<RaisedLimit[]> {
  const labs = await labShapes(p)
  const record = await readRecord(p)
  const raised: RaisedLimit[] = []
  for (const l of LIMITS) {
    const now = await readValue(p, l.key)
    const want = l.need(labs)
    if (now === undefined || !Number.isFinite(now) || now >= want) continue
    // Recorded before the write, so a crash between the two still lets `lab down` restore it.
    record[l.key] = {before: record[l.key]?.before ?? now, set: want}
    await writeFile(recordPath(p), JSON.stringify(record, null, 2) + '\n')
    await writeFile(procPath(p, l.key), String(want))
    raised.push({key: l.key, from: now, to: want})
  }
  return raised
}

/** When no lab is left: put back each value lbctl raised, unless someone has changed it since. */
export async function restoreKernel(p: KernelPaths = machine()): Promise<RaisedLimit[]> {
  const record = await readRecord(p)
  const restored: RaisedLimit[] = []
  for (const [key, r] of Object.entries(record)) {
    const now = await readValue(p, key)
    if (now !== r.set) continue
    try {
      await writeFile(procPath(p, key), String(r.before))
      restored.push({key, from: now, to: r.before})
    } catch {}
  }
  await rm(recordPath(p), {force: true})
  return restored
}
