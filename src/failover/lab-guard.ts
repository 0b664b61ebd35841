/**
 * Whether an inventory describes a lab that is up on this machine, where killing daemons harms nobody. Told by what
 * the inventory would touch, not by what it says about itself: every host it names (directors, real servers,
 * clients) is a host of one running lab — same name, same address — and is reached at that address, directly. An
 * edited copy that points one host somewhere else is not a lab, whatever comment it carries.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Cluster} from '../inventory/model.js'
import {labRoot} from '../lab/plan.js'
import type {LabState} from '../lab/state.js'

function readLab(dir: string): LabState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')) as LabState
  } catch {
    return undefined
  }
}

/** The name of the running lab whose hosts are exactly where this inventory's hosts are, if there is one. */
export function runningLabOf(cluster: Cluster): string | undefined {
  let names: string[]
  try {
    names = readdirSync(labRoot())
  } catch {
    return undefined
  }
  const hosts = [...cluster.directors, ...cluster.realServers, ...cluster.clients]
  for (const name of names.sort()) {
    const lab = readLab(join(labRoot(), name))
    // The lab's bridge exists exactly while the lab is up (lab down removes it).
    if (!lab || !existsSync(`/sys/class/net/${lab.bridge}`)) continue
    const addresses = new Map(lab.hosts.map((h) => [h.name, h.address]))
    const inLab = (h: (typeof hosts)[number]) => addresses.get(h.name) === h.address && h.ssh.host === h.address && !h.ssh.proxyJump && (h.ssh.port ?? 22) === 22
    if (hosts.length > 0 && hosts.every(inLab)) return name
  }
  return undefined
}
