// Directors as small QEMU VMs (lab topologies lvs-dr and lvs-nat): Debian's kernel with real IPVS, the machine's root
// over 9p under a tmpfs overlay, a TAP on the lab bridge, their own sshd. See docs/lvs-lab.md.
import {access, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {hostKeyPath, tcpProbe} from '../host.js'
import {type LinkInfo, ipBatch, listLinks} from '../network.js'
import {type LabHostPlan, type LabPlan, insideBridgeName, linkAlias, linkTag} from '../plan.js'
import {which} from '../prereqs.js'
import {LabError, sleep} from '../run.js'
import {consoleLogOf, prepareVm, qemuLogOf} from './guest.js'
import {ensureInitramfs} from './initramfs.js'
import {ensureKernel} from './kernel.js'
import {type VmLaunch, findVms, killVms, launchVm, tailFile, vmSettings} from './qemu.js'
import {readVmStatus} from './status.js'

export {type VmHostStatus, vmHostStatus} from './status.js'
export {lvsInventoryPath, writeLvsInventory} from './inventory.js'

const NEEDED = [
  {cmd: 'qemu-system-x86_64', pkg: 'qemu-system-x86'},
  {cmd: 'cpio', pkg: 'cpio'},
  {cmd: 'xz', pkg: 'xz-utils'},
  {cmd: 'depmod', pkg: 'kmod'},
  {cmd: 'modprobe', pkg: 'kmod'},
  {cmd: 'apt-get', pkg: 'apt'},
  {cmd: 'dpkg-deb', pkg: 'dpkg'},
]

export function checkVmPrereqs(): void {
  const missing = NEEDED.filter((n) => !which(n.cmd))
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((m) => m.pkg))]
    throw new LabError(`the LVS lab (directors as QEMU VMs) needs ${missing.map((m) => m.cmd).join(', ')}; install with: apt-get install -y ${pkgs.join(' ')}`)
  }
  if (!which('tini')) throw new LabError('the LVS lab needs tini (the VMs\' init); install with: apt-get install -y tini')
}

export interface VmsUp {
  created: string[]
  repaired: string[]
  kept: string[]
  removed: string[]
  launched: VmLaunch[]
}

const exists = (p: string) => access(p).then(() => true, () => false)

const tapsOk = (h: LabHostPlan, links: readonly LinkInfo[]) =>
  h.vm!.taps.every((t) => {
    const l = links.find((x) => x.ifname === t.tap)
    return l !== undefined && l.master === t.bridge && l.up
  })

/** Keep the VMs that run and answer, rebuild the others, remove VMs the plan no longer has; returns what it launched. */
export async function startVms(plan: LabPlan, log: (line: string) => void): Promise<VmsUp> {
  const vms = plan.hosts.filter((h) => h.vm)
  const running = await findVms(plan.name)
  const unplanned = running.filter((r) => !vms.some((h) => h.name === r.host))
  await killVms(unplanned.map((r) => r.pid))
  const removed = [...new Set(unplanned.map((r) => r.host))]
  for (const host of removed) await rm(join(plan.stateDir, 'hosts', host), {recursive: true, force: true})
  const out: VmsUp = {created: [], repaired: [], kept: [], removed, launched: []}
  if (vms.length === 0) return out
  const kernel = await ensureKernel(log)
  const initramfs = await ensureInitramfs(kernel)
  const settings = vmSettings()
  const links = await listLinks()
  const toBuild: LabHostPlan[] = []
  for (const h of vms) {
    const pids = running.filter((r) => r.host === h.name).map((r) => r.pid)
    const st = await readVmStatus(h)
    const healthy = pids.length === 1 && tapsOk(h, links) && (await exists(hostKeyPath(h))) && st.fresh && (await tcpProbe(h.address, 22, 1500))
    if (healthy) {
      out.kept.push(h.name)
      continue
    }
    const partial = pids.length > 0 || h.vm!.taps.some((t) => links.some((l) => l.ifname === t.tap))
    ;(partial ? out.repaired : out.created).push(h.name)
    await killVms(pids)
    toBuild.push(h)
  }
  if (toBuild.length === 0) return out
  // A TAP left by a dead VM may sit on the wrong bridge or be down: make every TAP of a rebuilt VM anew.
  const stale = toBuild.flatMap((h) => h.vm!.taps.filter((t) => links.some((l) => l.ifname === t.tap)).map((t) => `link del ${t.tap}`))
  if (stale.length > 0) await ipBatch(stale, true)
  const lines: string[] = []
  for (const h of toBuild) {
    await prepareVm(plan, h)
    await rm(join(h.dir, 'status'), {force: true})
    for (const t of h.vm!.taps) {
      lines.push(
        `tuntap add dev ${t.tap} mode tap`,
        `link set ${t.tap} master ${t.bridge} alias ${linkAlias(plan.name, `${h.name}:${t.guestIf}`)} up`,
        `neigh flush to ${t.address} dev ${t.bridge}`,
      )
    }
  }
  await ipBatch(lines)
  out.launched = toBuild.map((h) => launchVm(plan.name, h, kernel, initramfs, settings))
  return out
}

/** Until each VM's sshd answers over the lab bridge; a VM whose QEMU exits (a panic, stage 1 failing) fails at once. */
export async function waitVmsReady(launched: readonly VmLaunch[], timeoutMs: number): Promise<Map<string, number>> {
  const bootMs = new Map<string, number>()
  const deadline = Date.now() + timeoutMs
  let pending = [...launched]
  while (pending.length > 0) {
    const dead = pending.find((l) => l.exited !== undefined)
    if (dead) await failVm(dead.host, `QEMU exited with ${dead.exited}`)
    // Both: sshd answers over the bridge, and the VM's status loop has reported (what `lab status` reads).
    const up = await Promise.all(pending.map(async (l) => (await tcpProbe(l.host.address, 22, 500)) && (await readVmStatus(l.host)).listening.has(22)))
    for (const [i, l] of pending.entries()) if (up[i]) bootMs.set(l.host.name, Math.round(performance.now() - l.startedAt))
    pending = pending.filter((_, i) => !up[i])
    if (pending.length === 0) break
    if (Date.now() > deadline) await failVm(pending[0].host, `its sshd did not answer within ${timeoutMs} ms`)
    await sleep(100)
  }
  return bootMs
}

async function failVm(h: LabHostPlan, why: string): Promise<never> {
  throw new LabError(`lab VM ${h.name} did not come up: ${why}. QEMU's log (${qemuLogOf(h)}):\n${await tailFile(qemuLogOf(h), 5)}\n` +
    `Its console (${consoleLogOf(h)}) ends with:\n${await tailFile(consoleLogOf(h), 12)}\n` +
    'The lab is half-built: run `lbctl lab up` again to repair it, or `lbctl lab down` to remove it.')
}

/** Every QEMU, TAP and the inside bridge of lab `name`, found by -name and link-name prefix (no state needed). */
export async function teardownVms(name: string): Promise<{killed: number; links: string[]}> {
  const killed = await killVms((await findVms(name)).map((v) => v.pid))
  const tag = linkTag(name)
  const links = (await listLinks())
    .map((l) => l.ifname)
    .filter((n) => n.startsWith(`lbt${tag}`) || n.startsWith(`lbn${tag}`) || n === insideBridgeName(name))
  if (links.length > 0) await ipBatch(links.map((l) => `link del ${l}`), true)
  return {killed, links}
}
