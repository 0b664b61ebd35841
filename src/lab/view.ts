import {join, relative} from 'node:path'
import type {DownResult} from './teardown.js'
import type {LabStatus} from './status.js'
import type {LabUpResult} from './up.js'

// Human text for the lab commands; --json returns the same data unformatted.

const pad = (rows: string[][]) => {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r) => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd())
}

const shortPath = (p: string) => {
  const rel = relative(process.cwd(), p)
  return rel && !rel.startsWith('..') ? rel : p
}

export function formatStatus(s: LabStatus): string[] {
  if (!s.exists) return [`Lab "${s.name}" is not up. Start it with: lbctl lab up${s.name === 'lab' ? '' : ` --name ${s.name}`}`]
  if (s.hosts.length === 0) return [`Lab "${s.name}" has leftovers but no state (${s.stateDir}); remove them with: lbctl lab down --name ${s.name}`]
  const rows = [['HOST', 'ROLE', 'ADDRESS', 'NETNS', 'INIT PID', 'SSHD', 'HTTP']]
  for (const h of s.hosts) {
    const where = h.vm ? `QEMU VM${h.vm.rssMiB === null ? '' : ` (RSS ${h.vm.rssMiB} MiB)`}` : h.netns
    rows.push([h.name, h.role.replace('_', ' '), h.address, where, h.initPid === null ? '-' : String(h.initPid), h.sshd ? 'up' : 'DOWN',
      h.http === undefined ? '' : h.http ? 'up' : 'DOWN'])
  }
  const lines = [...pad(rows), '']
  for (const v of s.vips) {
    const who = v.holders.length === 0 ? 'no director (keepalived not running?)' : v.holders.join(', ')
    lines.push(`VIP ${v.address}: ${who}${v.holders.length > 1 ? '  <- SPLIT BRAIN' : ''}`)
  }
  if (s.topology) lines.push(`Topology:    ${s.topology} (directors are QEMU VMs with IPVS; INIT PID is QEMU's)`)
  if (s.inside) lines.push(`Inside:      ${s.inside.subnet} on bridge ${s.inside.bridge}, controller ${s.inside.gateway}, DIP ${s.inside.dip}`)
  lines.push(
    `Controller ${s.controllerAddress} on bridge ${s.bridge} (subnet ${s.subnet})`,
    `Inventory:   ${shortPath(s.inventory!)}`,
    ...(s.lvsInventory ? [`LVS:         ${shortPath(s.lvsInventory)}`] : []),
    `Known hosts: ${s.knownHosts}`,
    `Lab key:     ${s.identityFile}`,
  )
  return lines
}

export function formatUp(r: LabUpResult): string[] {
  const what = [
    r.created.length ? `${r.created.length} created` : '',
    r.repaired.length ? `${r.repaired.length} repaired (${r.repaired.join(', ')})` : '',
    r.kept.length ? `${r.kept.length} already up` : '',
    r.removed.length ? `${r.removed.length} removed` : '',
  ].filter(Boolean).join(', ')
  const nameFlag = r.name === 'lab' ? '' : ` --name ${r.name}`
  // lbctl finds inventories/NAME.yaml and inventories/labs/NAME.yaml by NAME when run from the directory above them.
  const byName = [join(process.cwd(), 'inventories', `${r.name}.yaml`), join(process.cwd(), 'inventories', 'labs', `${r.name}.yaml`)]
  const ref = byName.includes(r.inventory!) ? r.name : shortPath(r.inventory!)
  const firstDirector = r.hosts.find((h) => h.role === 'director')?.name ?? 'lb1'
  const lvs = r.lvsInventory ? shortPath(r.lvsInventory).replace(/^inventories\/(?:labs\/)?([^/]*)\.yaml$/, '$1') : undefined
  const boots = Object.entries(r.vmBootMs ?? {}).map(([h, ms]) => `${h} ${(ms / 1000).toFixed(1)} s`)
  return [
    `Lab "${r.name}" is ${r.up ? 'up' : 'NOT fully up'}: ${r.hosts.length} hosts (${what}) in ${(r.elapsedMs / 1000).toFixed(2)} s`,
    ...formatStatus(r),
    ...(boots.length ? [`VM boot (QEMU start to sshd answering): ${boots.join(', ')}`] : []),
    '',
    'Next:',
    ...pad([
      [`lbctl validate ${ref}`, '# check the generated inventory'],
      ...(lvs ? [[`lbctl deploy ${lvs}`, `# keepalived programs IPVS on the VM directors (${r.topology})`]] : []),
      [`lbctl deploy ${ref}`, '# keepalived + HAProxy on the directors, over SSH'],
      [`lbctl lab ssh ${firstDirector}${nameFlag}`, '# a root shell on a director'],
      [`lbctl lab status${nameFlag}`, '# which director holds the VIP'],
      [`lbctl lab down${nameFlag}`, '# remove the whole lab'],
    ]),
  ]
}

export function formatDown(r: DownResult): string[] {
  if (!r.existed) return [`Lab "${r.name}" was not up; nothing to remove.`]
  return [
    `Lab "${r.name}" removed in ${(r.elapsedMs / 1000).toFixed(2)} s: ${r.namespaces.length} namespaces, ${r.links.length} links, ` +
      `${r.processesKilled} processes killed.`,
    ...r.removedFiles.map((f) => `  removed ${f}`),
    ...r.restoredKernel.map((k) => `  restored ${k.key} = ${k.to} (the labs had raised it to ${k.from})`),
  ]
}
