import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {processesWithArg} from '../network.js'
import type {LabHostPlan} from '../plan.js'
import {sleep} from '../run.js'
import {consoleLogOf, qemuLogOf} from './guest.js'
import {HOST_TAG, ROOT_TAG} from './initramfs.js'
import type {Kernel} from './kernel.js'

/** The -name of a lab VM: how teardown finds its QEMU even without the state directory. */
export const vmToken = (lab: string, host: string) => `lbctl-vm.${lab}.${host}`

export interface VmSettings {
  accel: 'tcg' | 'kvm'
  memoryMiB: number
}

/**
 * TCG by default: nested KVM on the machines this was built on fails (an emulation error on cmpxchg16b, before the
 * first kernel message). LBCTL_LAB_VM_ACCEL=kvm tries it where it works; LBCTL_LAB_VM_MEMORY sets MiB per VM.
 */
export function vmSettings(): VmSettings {
  const accel = process.env.LBCTL_LAB_VM_ACCEL === 'kvm' ? 'kvm' : 'tcg'
  const mem = Number(process.env.LBCTL_LAB_VM_MEMORY ?? 256)
  return {accel, memoryMiB: Number.isInteger(mem) && mem >= 160 ? mem : 256}
}

// QEMU's option syntax splits on ","; a literal comma in a path is written ",,".
const opt = (v: string) => v.replaceAll(',', ',,')

/**
 * q35, not microvm: microvm has no HPET or ACPI PM timer, and under TCG the kernel's PIT calibration of the TSC fails
 * now and then, after which it hangs calibrating (seen 1 boot in 3); q35 costs ≈ 0.5 s more per boot. tb-size: TCG's
 * translation cache defaults to 1 GiB of the machine's memory per VM. -no-reboot: a panic or poweroff ends QEMU.
 */
export function qemuArgv(lab: string, h: LabHostPlan, kernel: Kernel, initramfs: string, s: VmSettings): string[] {
  const argv = [
    'qemu-system-x86_64',
    '-name', vmToken(lab, h.name),
    '-machine', 'q35',
    ...(s.accel === 'kvm' ? ['-accel', 'kvm', '-cpu', 'host'] : ['-accel', 'tcg,tb-size=64', '-cpu', 'qemu64']),
    '-m', String(s.memoryMiB), '-smp', '1',
    '-nodefaults', '-no-user-config', '-display', 'none', '-monitor', 'none', '-no-reboot',
    '-kernel', kernel.image, '-initrd', initramfs,
    '-append', 'console=ttyS0 quiet panic=-1',
    '-chardev', `file,id=console,path=${opt(consoleLogOf(h))}`, '-serial', 'chardev:console',
    '-fsdev', `local,id=root,path=/,readonly=on,security_model=none,multidevs=remap`,
    '-device', `virtio-9p-pci,fsdev=root,mount_tag=${ROOT_TAG}`,
    '-fsdev', `local,id=host,path=${opt(h.dir)},security_model=none`,
    '-device', `virtio-9p-pci,fsdev=host,mount_tag=${HOST_TAG}`,
  ]
  for (const [i, t] of h.vm!.taps.entries()) {
    argv.push('-netdev', `tap,id=n${i},ifname=${t.tap},script=no,downscript=no`, '-device', `virtio-net-pci,netdev=n${i},mac=${t.mac}`)
  }
  return argv
}

export interface VmLaunch {
  host: LabHostPlan
  pid?: number
  exited?: number
  startedAt: number
}

export function launchVm(lab: string, h: LabHostPlan, kernel: Kernel, initramfs: string, s: VmSettings): VmLaunch {
  const log = openSync(qemuLogOf(h), 'w', 0o600)
  // A fresh console log per boot: `lab up` prints its tail when the VM does not come up.
  closeSync(openSync(consoleLogOf(h), 'w', 0o600))
  const argv = qemuArgv(lab, h, kernel, initramfs, s)
  const child = spawn(argv[0], argv.slice(1), {detached: true, stdio: ['ignore', log, log]})
  closeSync(log)
  const launched: VmLaunch = {host: h, pid: child.pid, startedAt: performance.now()}
  child.on('exit', (code, signal) => (launched.exited = code ?? (signal ? 128 : 1)))
  child.on('error', () => (launched.exited = 127))
  child.unref()
  return launched
}

/** QEMU processes of lab `lab` (of one host when given), by their -name. */
export async function findVms(lab: string, host?: string): Promise<Array<{pid: number; host: string}>> {
  const prefix = vmToken(lab, '')
  const found = await processesWithArg((a) => (host === undefined ? a.startsWith(prefix) : a === vmToken(lab, host)))
  return found.map((p) => ({pid: p.pid, host: p.arg.slice(prefix.length)}))
}

/** SIGTERM (QEMU exits at once; the guest needs no shutdown: its disk is a tmpfs), SIGKILL after 3 s. */
export async function killVms(pids: readonly number[]): Promise<number> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig)
    } catch {}
  }
  for (const pid of pids) signal(pid, 'SIGTERM')
  const started = Date.now()
  while (pids.some(alive)) {
    if (Date.now() - started > 3000) for (const pid of pids) signal(pid, 'SIGKILL')
    await sleep(20)
  }
  return pids.length
}

export async function tailFile(path: string, lines = 8): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(empty)'
  }
}
