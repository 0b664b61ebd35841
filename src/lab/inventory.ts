import {basename, dirname, join} from 'node:path'
import type {LabPlan} from './plan.js'

export const identityFileOf = (plan: LabPlan) => join(plan.stateDir, 'id_ed25519')
export const knownHostsOf = (plan: LabPlan) => join(plan.stateDir, 'known_hosts')
export const vrrpPassOf = (plan: LabPlan) => join(plan.stateDir, 'vrrp.pass')
export const statsPassOf = (plan: LabPlan) => join(plan.stateDir, 'stats.pass')

/** The project's JSON Schema as seen from the inventory: inventories/labs/ is one level deeper than inventories/. */
export const schemaRef = (inventoryPath: string) => `${basename(dirname(inventoryPath)) === 'labs' ? '../../' : '../'}schema/inventory.schema.json`

/** The generated inventory's second line; `lab down` only deletes an inventory that still carries it. */
export const inventoryMarker = (name: string) => `# Written by \`lbctl lab up --name ${name}\`; rewritten on every lab up. Do not edit.`

// Plain YAML scalar when it cannot be misread (flow mappings end at "}" and ","), otherwise a JSON string, which YAML
// reads as a double-quoted scalar.
function y(v: string | number): string {
  if (typeof v === 'number') return String(v)
  return /^[A-Za-z0-9_./-][A-Za-z0-9_./:-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|~)$/i.test(v) ? v : JSON.stringify(v)
}

/**
 * A T1 cluster (keepalived + HAProxy on the directors, the real servers behind them) in lbctl's inventory format,
 * written by hand rather than through a YAML library so the file reads like the README's examples.
 */
export function renderInventory(plan: LabPlan): string {
  const directors = plan.hosts.filter((h) => h.role === 'director')
  const realServers = plan.hosts.filter((h) => h.role === 'real_server')
  const clients = plan.hosts.filter((h) => h.role === 'client')
  const file = (p: string) => y(`\${file:${p}}`)
  const out = [
    `# yaml-language-server: $schema=${schemaRef(plan.inventoryPath)}`,
    inventoryMarker(plan.name),
    `name: ${y(plan.name)}`,
    'groups:',
    '  all:',
    `    ssh: { user: root, identity_file: ${y(identityFileOf(plan))}, known_hosts: ${y(knownHostsOf(plan))} }`,
    'directors:',
    ...directors.map((h) => `  ${h.name}: { address: ${h.address}, priority: ${h.priority} }`),
  ]
  if (realServers.length > 0) {
    out.push('real_servers:', ...realServers.map((h) => `  ${h.name}: { address: ${h.address}, port: 80 }`))
  }
  if (clients.length > 0) out.push('clients:', ...clients.map((h) => `  ${h.name}: { address: ${h.address} }`))
  out.push(
    'vrrp_scripts:',
    '  chk_haproxy: { process: haproxy, interval: 1, weight: -20, fall: 2, rise: 1 }',
    // The seeds' maintenance switch (`touch /etc/keepalived/down` moves the VIP away); failover-test's maintenance
    // scenario uses it. A file does not flap, so one failed check is enough (fall 1); -50 takes 101 below 100.
    '  chk_maintenance: { down_file: /etc/keepalived/down, interval: 1, fall: 1, rise: 1, weight: -50 }',
    'vrrp_instances:',
    '  VI_1:',
    `    virtual_router_id: ${plan.vrid}`,
    `    vips: [${plan.vips.join(', ')}]`,
    `    auth_pass: ${file(vrrpPassOf(plan))}`,
    '    track_scripts: [chk_haproxy, chk_maintenance]',
    'haproxy:',
  )
  if (realServers.length > 0) {
    out.push(
      '  frontends:',
      '    web: { bind: ":80", default_backend: web }',
      '  backends:',
      `    web: { balance: roundrobin, servers: [${realServers.map((h) => h.name).join(', ')}], httpchk: { path: /health } }`,
    )
  }
  out.push(`  stats: { bind: ":8404", auth: { user: admin, password: ${file(statsPassOf(plan))} } }`, '')
  return out.join('\n')
}

/** known_hosts lines from the host keys `lab up` generated: the real keys the hosts' sshd serve, no scanning. */
export function renderKnownHosts(plan: LabPlan, publicKeys: Map<string, string>): string {
  return plan.hosts
    .map((h) => {
      const [type, key] = (publicKeys.get(h.name) ?? '').trim().split(/\s+/)
      return `${h.address} ${type} ${key} ${h.name}.${plan.name}.lab`
    })
    .join('\n') + '\n'
}
