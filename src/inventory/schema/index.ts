import {z} from 'zod'
import {absPath, email, hostAddress, ifname, ipv4, name, port, sshSettings, tuning, vars} from './common.js'
import {haproxy} from './haproxy.js'
import {keepalivedGlobals, mcastSrcIp, priority, virtualService, vrrpInstance, vrrpScript, vrrpState, vrrpSyncGroup} from './keepalived.js'

export const arpScope = z.enum(['lo', 'all', 'interface'])

// Fields any host (or group of hosts) can set. A host's own value wins over its groups' (see README, precedence).
const hostVarFields = {
  ssh: sshSettings.optional(),
  interface: ifname.optional().describe('Main interface (default eth0).'),
  tuning: tuning.optional(),
  vars: vars.optional(),
}

const realServerVarFields = {
  port: port.optional().describe('Port the service listens on (default 80).'),
  weight: z.number().int().min(0, {message: 'must be from 0 to 256'}).max(256, {message: 'must be from 0 to 256'}).optional().describe('Default 1.'),
  arp_scope: z.array(arpScope).optional()
    .describe('Where arp_ignore=1/arp_announce=2 are set for LVS-DR/TUN: lo, all, and/or the real interface (default all three).'),
  gateway: ipv4.optional().describe('Default route for LVS-NAT real servers: the floating DIP.'),
}

export const director = z
  .strictObject({
    address: hostAddress.describe('The director\'s own address on the VRRP network, or a host name: lbctl resolves it when it validates (the VRRP and VIP checks and keepalived.conf need the address) and connects to the name over SSH.'),
    priority: priority.optional().describe('VRRP priority for every instance (override per instance).'),
    role: z.enum(['master', 'backup']).optional().describe('Intended role in every instance (default: highest priority is master).'),
    state: vrrpState.optional().describe('Raw keepalived initial state for every instance (prefer role).'),
    mcast_src_ip: mcastSrcIp.optional(),
    ...hostVarFields,
  })
  .describe('A director: runs keepalived (and HAProxy, or LVS).')

export const realServer = z
  .strictObject({
    address: hostAddress.describe('Address, or a host name. HAProxy resolves a name itself when it starts; lbctl resolves it when it validates only where it needs the address: a real server it manages over SSH, or one in an LVS virtual service.'),
    manage: z.boolean().optional().describe('Configure this host over SSH (default: true when it serves an LVS virtual service, has a gateway or tuning.sysctls).'),
    ...realServerVarFields,
    ...hostVarFields,
  })
  .describe('A real server: a backend that answers the traffic.')

export const client = z
  .strictObject({address: hostAddress.describe('Address, or a host name lbctl resolves when it validates.'), ssh: sshSettings.optional()})
  .describe('A host outside the directors that failover tests probe from.')

export const group = z
  .strictObject({
    hosts: z.array(name).optional().describe('Members (not for the built-in groups all, directors, real_servers).'),
    ...hostVarFields,
    ...realServerVarFields,
  })
  .describe('Settings shared by a group of hosts.')

export const notifications = z
  .strictObject({
    email: z
      .strictObject({
        to: z.array(email).min(1),
        from: email.optional(),
        smtp_server: hostAddress.optional().describe('Address or host name of the mail relay (keepalived resolves a name when it loads its config). Default 127.0.0.1.'),
        smtp_connect_timeout: z.number().int().min(1).max(3600).optional().describe('Default 30.'),
      })
      .optional(),
    script: z.boolean().optional().describe('Install lbctl\'s notify script on every instance: logs each transition (and mails it when email is set).'),
    smtp_alert: z.boolean().optional().describe('keepalived\'s own mail on every transition (needs email).'),
  })
  .describe('Who hears about VRRP transitions.')

export const deploySettings = z
  .strictObject({
    releases_keep: z.number().int().min(1).max(100).optional().describe('Releases kept per host (default 5).'),
    service_manager: z.enum(['auto', 'systemd', 'direct']).optional().describe('How services are run (default auto: systemd when the host runs it).'),
    forks: z.number().int().min(1).max(500).optional().describe('Hosts worked on at once (default 20).'),
    haproxy_check_restart: z.boolean().optional(),
    state_dir: absPath.optional().describe('Where releases and locks live (default /var/lib/lbctl).'),
  })
  .describe('Defaults for deploy and rollback.')

export const inventory = z
  .strictObject({
    name: name.describe('Cluster name.'),
    description: z.string().optional(),
    groups: z.record(name, group).optional().describe('Group settings: all, directors, real_servers, or your own with hosts.'),
    directors: z.record(name, director).refine((d) => Object.keys(d).length > 0, {message: 'needs at least one director'}).meta({minProperties: 1}),
    real_servers: z.record(name, realServer).optional(),
    clients: z.record(name, client).optional(),
    keepalived: keepalivedGlobals.optional(),
    vrrp_scripts: z.record(name, vrrpScript).optional(),
    vrrp_instances: z.record(name, vrrpInstance).refine((d) => Object.keys(d).length > 0, {message: 'needs at least one VRRP instance'}).meta({minProperties: 1}),
    vrrp_sync_groups: z.record(name, vrrpSyncGroup).optional().describe('Notify scripts and smtp_alert of the sync groups that instances join with sync_group.'),
    virtual_servers: z.record(name, virtualService).optional().describe('LVS virtual services (keepalived virtual_server blocks).'),
    haproxy: haproxy.optional(),
    notifications: notifications.optional(),
    deploy: deploySettings.optional(),
  })
  .describe('An lbctl inventory: one load-balancer cluster.')

export type RawInventory = z.infer<typeof inventory>
export type RawDirector = z.infer<typeof director>
export type RawRealServer = z.infer<typeof realServer>
export type RawVrrpInstance = z.infer<typeof vrrpInstance>
export type RawVrrpScript = z.infer<typeof vrrpScript>
export type RawVirtualService = z.infer<typeof virtualService>
export type RawHaproxy = z.infer<typeof haproxy>
export type RawGroup = z.infer<typeof group>
