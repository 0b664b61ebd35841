import {mkdir, rename, writeFile} from 'node:fs/promises'
import {dirname} from 'node:path'
import {identityFileOf, inventoryMarker, knownHostsOf, schemaRef, vrrpPassOf} from '../inventory.js'
import {type LabPlan, VIP_OFFSETS, intToIp, parseSubnet} from '../plan.js'

/** inventories/NAME-dr.yaml or NAME-nat.yaml, beside the lab's HAProxy inventory NAME.yaml. */
export function lvsInventoryPath(inventoryPath: string, topology: LabPlan['topology']): string | undefined {
  if (topology === 'namespaces') return undefined
  return inventoryPath.replace(/\.yaml$/, topology === 'lvs-dr' ? '-dr.yaml' : '-nat.yaml')
}

// Weights 3, 1, 1, …: wrr's 3:1 split is visible in a few dozen requests.
const weightOf = (i: number) => (i === 0 ? 3 : 1)

/**
 * T2 (LVS-DR) or T4 (LVS-NAT) on the lab: keepalived on the VM directors programs IPVS. Service "web" on the VIP is
 * wrr without persistence (the weights show in the split); DR adds "sticky" on a second VIP (.101), rr with
 * persistence. Short checks (delay_loop 2, one retry) so a dead server leaves the table within seconds.
 */
export function renderLvsInventory(plan: LabPlan): string {
  const nat = plan.topology === 'lvs-nat'
  const directors = plan.hosts.filter((h) => h.role === 'director')
  const realServers = plan.hosts.filter((h) => h.role === 'real_server')
  const clients = plan.hosts.filter((h) => h.role === 'client')
  const {network, prefix} = parseSubnet(plan.subnet)
  const vip = intToIp(network + VIP_OFFSETS[0])
  const vip2 = intToIp(network + VIP_OFFSETS[1])
  const file = (p: string) => JSON.stringify(`\${file:${p}}`)
  const name = `${plan.name}-${nat ? 'nat' : 'dr'}`
  const check = '{ type: HTTP_GET, path: /health, status_code: 200, connect_timeout: 2, retry: 1, delay_before_retry: 1 }'
  const out = [
    `# yaml-language-server: $schema=${schemaRef(plan.inventoryPath)}`,
    inventoryMarker(plan.name),
    `# ${nat ? 'T4, LVS-NAT: the real servers sit on the inside bridge and route back through the floating DIP' : 'T2, LVS-DR: the real servers answer clients directly, with the VIPs on lo'}.`,
    `name: ${name}`,
    'groups:',
    '  all:',
    `    ssh: { user: root, identity_file: ${JSON.stringify(identityFileOf(plan))}, known_hosts: ${JSON.stringify(knownHostsOf(plan))} }`,
    '  directors:',
    // Measured: a handshake took over 30 s with two VMs booting on a busy 2-core machine.
    '    # sshd on an emulated (TCG) CPU: a handshake can take tens of seconds when the machine is busy.',
    '    ssh: { connect_timeout: 120 }',
    ...(nat ? ['  real_servers:', `    gateway: ${plan.inside!.dip}`] : []),
    'directors:',
    ...directors.map((h) => `  ${h.name}: { address: ${h.address}, priority: ${h.priority} }`),
    'real_servers:',
    ...realServers.map((h, i) => `  ${h.name}: { address: ${h.address}, port: 80, weight: ${weightOf(i)} }`),
    ...(clients.length ? ['clients:', ...clients.map((h) => `  ${h.name}: { address: ${h.address} }`)] : []),
    'vrrp_instances:',
    '  VI_1:',
    `    virtual_router_id: ${plan.vrid}`,
    '    interface: eth0',
    nat
      ? `    vips: [{ address: ${vip}/${prefix}, dev: eth0 }, { address: ${plan.inside!.dip}/${prefix}, dev: eth1 }]`
      : `    vips: [${vip}/${prefix}, ${vip2}/${prefix}]`,
    `    auth_pass: ${file(vrrpPassOf(plan))}`,
    ...(nat ? ['    # Without the inside link a master cannot reach the real servers: go FAULT, let the peer take both.', '    track_interfaces: [eth1]'] : []),
    'virtual_servers:',
    '  web:',
    `    vip: ${vip}`,
    '    port: 80',
    '    scheduler: wrr',
    `    forwarding: ${nat ? 'NAT' : 'DR'}`,
    '    delay_loop: 2',
    `    real_servers: [${realServers.map((h) => h.name).join(', ')}]`,
    `    health_check: ${check}`,
  ]
  if (!nat) {
    out.push(
      '  sticky:',
      `    vip: ${vip2}`,
      '    port: 80',
      '    scheduler: rr',
      '    forwarding: DR',
      '    persistence_timeout: 300',
      '    delay_loop: 2',
      `    real_servers: [${realServers.map((h) => h.name).join(', ')}]`,
      `    health_check: ${check}`,
    )
  }
  return out.join('\n') + '\n'
}

export async function writeLvsInventory(plan: LabPlan): Promise<string | undefined> {
  const path = lvsInventoryPath(plan.inventoryPath, plan.topology)
  if (!path) return undefined
  await mkdir(dirname(path), {recursive: true})
  await writeFile(`${path}.tmp${process.pid}`, renderLvsInventory(plan), {mode: 0o644})
  await rename(`${path}.tmp${process.pid}`, path)
  return path
}
