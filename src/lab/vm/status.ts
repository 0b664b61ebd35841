import {readFile, stat} from 'node:fs/promises'
import type {LinkInfo} from '../network.js'
import type {LabHostPlan} from '../plan.js'
import {statusFileOf} from './guest.js'
import {findVms} from './qemu.js'

export interface VmStatus {
  /** The status file was rewritten within the last 15 s (1 s normally; an emulated CPU on a busy machine lags). */
  fresh: boolean
  ageMs?: number
  uptimeS?: number
  processes: number
  /** IPv4 addresses by interface, lo excluded. */
  addresses: Array<{dev: string; address: string}>
  listening: Set<number>
}

/** What the VM's init loop writes every second into its share: uptime, process count, `ip -4 -o addr`, /proc/net/tcp. */
export async function readVmStatus(h: LabHostPlan): Promise<VmStatus> {
  const out: VmStatus = {fresh: false, processes: 0, addresses: [], listening: new Set()}
  let text: string
  try {
    const st = await stat(statusFileOf(h))
    out.ageMs = Math.max(0, Date.now() - st.mtimeMs)
    out.fresh = out.ageMs < 15_000
    text = await readFile(statusFileOf(h), 'utf8')
  } catch {
    return out
  }
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/)
    if (w[0] === 'uptime') out.uptimeS = Number(w[1])
    else if (w[0] === 'procs') out.processes = Number(w[1])
    else if (/^\d+:$/.test(w[0]) && w[2] === 'inet' && w[1] !== 'lo') out.addresses.push({dev: w[1], address: w[3].split('/')[0]})
    else if (/^\d+:$/.test(w[0]) && w[3] === '0A') out.listening.add(parseInt(w[1].split(':')[1], 16)) // 0A = LISTEN
  }
  return out
}

export interface VmHostStatus {
  initPid: number | null
  processes: number
  sshd: boolean
  addresses: string[]
  vm: {qemuPid: number | null; rssMiB: number | null; uptimeS: number | null; statusAgeMs: number | null}
}

async function rssMiB(pid: number): Promise<number | null> {
  try {
    const kb = /^VmRSS:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb ? Math.round(Number(kb) / 1024) : null
  } catch {
    return null
  }
}

/** A VM's line in `lab status`, from its QEMU process, its TAPs and its status file: no packet sent. */
export async function vmHostStatus(lab: string, h: LabHostPlan, links: readonly LinkInfo[]): Promise<VmHostStatus> {
  const qemu = (await findVms(lab, h.name))[0]?.pid ?? null
  const st = await readVmStatus(h)
  const wired = h.vm!.taps.every((t) => {
    const l = links.find((x) => x.ifname === t.tap)
    const br = links.find((x) => x.ifname === t.bridge)
    return l?.master === t.bridge && l.up && br?.up === true
  })
  const alive = qemu !== null && st.fresh
  return {
    initPid: qemu,
    processes: alive ? st.processes : 0,
    sshd: alive && wired && st.listening.has(22),
    addresses: alive ? st.addresses.map((a) => a.address) : [],
    vm: {qemuPid: qemu, rssMiB: qemu === null ? null : await rssMiB(qemu), uptimeS: alive ? (st.uptimeS ?? null) : null, statusAgeMs: st.ageMs ?? null},
  }
}
