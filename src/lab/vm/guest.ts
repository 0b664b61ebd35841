import {access, copyFile, mkdir, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {hostKeyPath, SSHD_COMMON} from '../host.js'
import type {LabHostPlan, LabPlan} from '../plan.js'
import {runOk} from '../run.js'
import {cmd} from '../sh.js'
import {GUEST_HOST_DIR} from './initramfs.js'

// Files of a VM in its directory hosts/NAME on the machine, which the VM mounts read-write at GUEST_HOST_DIR.
export const initScriptOf = (h: LabHostPlan) => join(h.dir, 'init.sh')
export const consoleLogOf = (h: LabHostPlan) => join(h.dir, 'console.log')
export const qemuLogOf = (h: LabHostPlan) => join(h.dir, 'qemu.log')
export const statusFileOf = (h: LabHostPlan) => join(h.dir, 'status')
const guest = (file: string) => `${GUEST_HOST_DIR}/${file}`

const exists = (p: string) => access(p).then(() => true, () => false)

/** Host key (kept across `lab up`, so known_hosts stays valid), the lab's authorized_keys, sshd_config, init.sh. */
export async function prepareVm(plan: LabPlan, h: LabHostPlan): Promise<void> {
  await mkdir(h.dir, {recursive: true, mode: 0o700})
  if (!(await exists(hostKeyPath(h)))) {
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}.${plan.name}.lab`, '-f', hostKeyPath(h)])
  }
  // A copy inside the VM's own share: the state directory may sit where the VM mounts a tmpfs.
  await copyFile(join(plan.stateDir, 'authorized_keys'), join(h.dir, 'authorized_keys'))
  await writeFile(join(h.dir, 'sshd_config'), vmSshdConfig(plan, h), {mode: 0o600})
  await writeFile(initScriptOf(h), vmInitScript(plan, h), {mode: 0o700})
  await writeFile(join(h.dir, 'nic-reset.sh'), NIC_RESET, {mode: 0o700})
}

/**
 * `nic-reset.sh IF MAC ADDRESS/PREFIX TIMEOUTS`, run by the init's 2 s loop when the kernel's transmit watchdog fired
 * twice on IF (its queue made no progress for ≥ 10 s). Seen under TCG on a 2-core machine with two CPU hogs: the
 * virtio-net transmit queue stopped for good ("NETDEV WATCHDOG … transmit queue 0 timed out", every 5 s for minutes),
 * and the VM could not be reached. virtio_net in 6.1 only logs a timeout. First a link bounce (the device and its
 * addresses stay; keepalived sees a link fault, as with a real NIC); if the watchdog fires twice more, a device reset:
 * the driver is unbound and bound again, which re-creates the netdev, so it is renamed and addressed again.
 */
const NIC_RESET = `# Written by \`lbctl lab up\`: recovers a lab VM's NIC whose transmit queue is stuck (see src/lab/vm/guest.ts).
if="$1" mac="$2" addr="$3" timeouts="$4"
log() { echo "<4>lbctl-lab: $if: $*" >/dev/kmsg; }
if [ "$timeouts" -lt 4 ]; then
  [ -e "/run/lbctl-nic-bounced-$if" ] && exit 0
  : >"/run/lbctl-nic-bounced-$if"
  log "transmit queue stuck ($timeouts watchdog timeouts): link down and up"
  ip link set dev "$if" down; ip link set dev "$if" up
  exit 0
fi
dev=$(cd "/sys/class/net/$if/device" && pwd -P) || exit 0
dev=\${dev##*/}
log "transmit queue still stuck ($timeouts watchdog timeouts): resetting the device ($dev)"
rm -f "/run/lbctl-nic-bounced-$if"
echo "$dev" >/sys/bus/virtio/drivers/virtio_net/unbind
echo "$dev" >/sys/bus/virtio/drivers/virtio_net/bind
for n in /sys/class/net/*; do
  read -r a <"$n/address" && [ "$a" = "$mac" ] && [ "\${n##*/}" != "$if" ] && ip link set dev "\${n##*/}" name "$if"
done
ip addr replace "$addr" dev "$if"; ip link set dev "$if" up
log "device reset: $(ip -o -4 addr show dev "$if" 2>&1)"
`

export function vmSshdConfig(plan: LabPlan, h: LabHostPlan): string {
  return [
    `# sshd of lab VM ${h.name} (lab ${plan.name}); rewritten by every \`lbctl lab up\`. Paths are inside the VM.`,
    `ListenAddress ${h.address}:22`,
    `HostKey ${guest('ssh_host_ed25519_key')}`,
    `AuthorizedKeysFile ${guest('authorized_keys')}`,
    'PrintLastLog no',
    // The default sntrup761x25519 exchange costs ≈ 0.3 s more per connection on an emulated (TCG) CPU.
    'KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256',
    ...SSHD_COMMON,
    '',
  ].join('\n')
}

/**
 * Stage 2, run by tini (PID 1) after stage 1 switched to the overlay root. The directories lbctl manages and root's
 * home start empty, as on a fresh host (the machine's /root may source pyenv & co: seconds per ssh command under
 * TCG); /etc/keepalived, /etc/haproxy, /etc/sysctl.d start as the machine's (package defaults) and are copied on
 * write by the overlay. NICs are named by MAC: the kernel's probe order is not the -device order.
 */
export function vmInitScript(plan: LabPlan, h: LabHostPlan): string {
  const taps = h.vm!.taps
  const lines = [
    `# Init of lab VM ${h.name} (lab ${plan.name}), run by tini as PID 1's child; rewritten by \`lbctl lab up\`.`,
    'set -e',
    'mkdir -p /dev/pts /dev/shm',
    // What udev or systemd makes on a real host, and bash's process substitution (<(…)) needs.
    'ln -sfn /proc/self/fd /dev/fd; ln -sf /proc/self/fd/0 /dev/stdin; ln -sf /proc/self/fd/1 /dev/stdout; ln -sf /proc/self/fd/2 /dev/stderr',
    'mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts',
    'mount -t tmpfs -o nosuid,nodev tmpfs /dev/shm',
  ]
  for (const [dir, mode] of [['/tmp', '1777'], ['/root', '0700'], ['/etc/lbctl', '0755'], ['/var/lib/lbctl', '0755']]) {
    lines.push(cmd`mkdir -p ${dir}`, cmd`mount -t tmpfs -o ${`mode=${mode}`} tmpfs ${dir}`)
  }
  lines.push(
    'for f in bashrc profile; do [ ! -f /usr/share/base-files/dot.$f ] || cp /usr/share/base-files/dot.$f /root/.$f; done',
    'mkdir -p /run/sshd /run/haproxy /run/lock /run/lbctl && chmod 1777 /run/lock',
    cmd`hostname ${h.name}`,
    'ip link set lo up',
    'for n in /sys/class/net/*; do',
    '  case "$(cat "$n/address")" in',
    ...taps.map((t, i) => cmd`    ${t.mac}) ip link set dev "\${n##*/}" name ${`lbtmp${i}`} ;;`),
    '  esac',
    'done',
  )
  for (const [i, t] of taps.entries()) {
    lines.push(
      cmd`ip link set dev ${`lbtmp${i}`} name ${t.guestIf}`,
      cmd`ip addr replace ${`${t.address}/${plan.prefix}`} dev ${t.guestIf}`,
      cmd`ip link set ${t.guestIf} up`,
    )
  }
  // The machine reads this file for `lab status` (addresses, listening sockets) instead of sending packets.
  const status = guest('status')
  lines.push(
    '(',
    '  while :; do',
    ...taps.map((t) => cmd`    read -r c </sys/class/net/${t.guestIf}/queues/tx-0/tx_timeout 2>/dev/null && [ "\${c:-0}" -ge 2 ] && sh ${guest('nic-reset.sh')} ${t.guestIf} ${t.mac} ${`${t.address}/${plan.prefix}`} "$c" || :`),
    // Builtins and the static busybox stage 1 left in /run: every exec of a dynamic binary costs tens of ms on the
    // emulated CPU (with ip, cat, mv and sleep from the machine this loop took 17 % of the VM's CPU).
    '    read -r up _ </proc/uptime; set -- /proc/[0-9]*',
    cmd`    { echo "uptime $up"; echo "procs $#"; /run/busybox ip -4 -o addr show; while read -r l; do echo "$l"; done </proc/net/tcp; } >${`${status}.tmp`} 2>/dev/null && /run/busybox mv -f ${`${status}.tmp`} ${status}`,
    '    /run/busybox sleep 2',
    '  done',
    ') </dev/null >/dev/null 2>&1 &',
    cmd`exec /usr/sbin/sshd -D -e -f ${guest('sshd_config')}`,
    '',
  )
  return lines.join('\n')
}
