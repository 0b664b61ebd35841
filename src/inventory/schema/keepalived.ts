import {z} from 'zod'
import {commandError} from '../grammar/command.js'
import {globalDefsLineError} from '../grammar/global-defs.js'
import {grammar, keywordLines} from '../grammar/types.js'
import {absPath, ifname, ipv4, ipv4OrCidr, name, networkCidr, port, secret} from './common.js'

/** A program (its absolute path) with arguments that keepalived runs itself, without a shell (grammar/command.ts). */
const command = grammar((v) => commandError(v))

export const priority = z
  .number()
  .int()
  .min(1, {message: 'must be from 1 to 254 (0 means "stop being master", 255 is reserved for the address owner)'})
  .max(254, {message: 'must be from 1 to 254 (0 means "stop being master", 255 is reserved for the address owner)'})

export const vrrpState = z.enum(['MASTER', 'BACKUP'])

export const vip = z.union([
  ipv4OrCidr,
  z.strictObject({
    address: ipv4OrCidr,
    dev: ifname.optional().describe('Interface to put the VIP on (default: the instance interface).'),
    label: z.string().regex(/^[A-Za-z0-9_.-]{1,15}:[A-Za-z0-9_]{1,8}$/, {message: 'is not an interface label (like eth0:1)'}).optional(),
  }),
]).describe('A virtual IP: "10.0.0.100/24" or {address, dev, label}.')

export const virtualRoute = z.strictObject({
  to: z.union([z.literal('default'), ipv4OrCidr]),
  via: ipv4.optional(),
  dev: ifname.optional(),
  src: ipv4.optional(),
})

const weightedRef = z.strictObject({
  name,
  weight: z.number().int().min(-253, {message: 'must be from -253 to 253'}).max(253, {message: 'must be from -253 to 253'}).optional(),
})

export const notifyScripts = z
  .strictObject({
    master: command.optional().describe('Program and arguments, like "/etc/keepalived/notify.sh master" (run without a shell).'),
    backup: command.optional(),
    fault: command.optional(),
    stop: command.optional(),
    any: command.optional().describe('Called on every transition with TYPE NAME STATE PRIORITY after its own arguments (keepalived `notify`).'),
  })
  .describe('Your own notify scripts; lbctl\'s mail-on-transition script is enabled with notifications.script.')

/** Per director, since each director sends from its own address. */
export const mcastSrcIp = ipv4.describe(
  'Source address of this director\'s adverts (keepalived `mcast_src_ip`; with unicast, its unicast_src_ip and what the peers expect), e.g. its address on a dedicated VRRP link. Default: the interface\'s primary address (with unicast, the director\'s address).',
)

export const vrrpSyncGroup = z
  .strictObject({
    notify: notifyScripts.optional().describe('Scripts keepalived runs when the whole group changes state (with GROUP, its name and the state for `any`).'),
    smtp_alert: z.boolean().optional().describe('keepalived\'s own mail when the group changes state (needs notifications.email).'),
  })
  .describe('Settings of a vrrp_sync_group; its members are the instances with sync_group: NAME.')

export const vrrpInstance = z
  .strictObject({
    // RFC 5798 §5.2.3: VRID 1-255; keepalived 2.2.7 refuses 0 ("VRID '0' not valid - must be between 1 & 255").
    virtual_router_id: z.number().int().min(1, {message: 'must be from 1 to 255 (keepalived refuses 0)'}).max(255, {message: 'must be from 1 to 255 (keepalived refuses 0)'})
      .describe('VRID, the same on every director of the instance and unique on its L2 segment.'),
    vips: z.array(vip).min(1, {message: 'needs at least one VIP'}).describe('Virtual IPs the MASTER holds.'),
    interface: ifname.optional().describe('Interface VRRP runs on (default: each director\'s interface).'),
    network: networkCidr.optional()
      .describe('The subnet of the segment VRRP runs on, like 172.17.0.0/16, when no VIP is written with its prefix (default: from the VIPs\' prefixes, else at least /24 around the directors). It does not change how the VIPs are added.'),
    advert_int: z.number().positive().max(255).optional().describe('Seconds between adverts (default 1). Version 2: whole seconds; version 3: hundredths of a second, at most 40.95.'),
    version: z.union([z.literal(2), z.literal(3)]).optional().describe('VRRP version (default 2; 3 allows sub-second advert_int).'),
    auth_type: z.enum(['PASS', 'AH']).optional().describe('VRRPv2 authentication (default PASS when auth_pass is set).'),
    auth_pass: secret
      .refine((v) => !v.includes('"'), {message: 'contains a double quote ("), which keepalived\'s config cannot hold: it has no escape for one inside a quoted string'})
      .refine((v) => !v.endsWith('\\'), {message: 'ends with a backslash, which keepalived reads as escaping the closing quote ("Unterminated quote")'})
      .refine((v) => v !== '{' && v !== '}', {message: 'is a lone brace, which keepalived reads as the edge of the authentication block even in quotes'})
      .optional().describe('Up to 8 characters (keepalived silently uses only the first 8). Use ${env:NAME} or ${file:PATH}.'),
    track_scripts: z.array(z.union([name, weightedRef])).optional().describe('vrrp_scripts whose failure lowers this instance\'s priority.'),
    track_interfaces: z.array(z.union([ifname, weightedRef])).optional(),
    nopreempt: z.boolean().optional().describe('Do not take the VIP back from a lower-priority MASTER (lbctl then renders every director as BACKUP).'),
    preempt_delay: z.number().int().min(0, {message: 'must be from 0 to 1000 seconds'}).max(1000, {message: 'must be from 0 to 1000 seconds'}).optional(),
    garp_master_delay: z.number().int().min(0).max(255).optional(),
    unicast: z.boolean().optional().describe('Send adverts unicast to the other directors\' addresses (clouds without multicast).'),
    use_vmac: z.boolean().optional(),
    dont_track_primary: z.boolean().optional()
      .describe('Ignore faults of the interface VRRP runs on (keepalived `dont_track_primary`): the instance does not go to FAULT when that link goes down.'),
    smtp_alert: z.boolean().optional(),
    sync_group: name.optional().describe('vrrp_sync_group to put this instance in (instances of a group fail over together).'),
    virtual_routes: z.array(virtualRoute).optional(),
    notify: notifyScripts.optional(),
    master: name.optional().describe('The director intended to be MASTER (default: the one with the highest priority).'),
    directors: z
      .record(
        name,
        z.strictObject({
          priority: priority.optional(),
          state: vrrpState.optional().describe('Initial state; default MASTER for the intended master, BACKUP otherwise.'),
          interface: ifname.optional(),
          mcast_src_ip: mcastSrcIp.optional(),
        }),
      )
      .optional()
      .describe('Which directors run this instance (default: all), with per-instance priority/state/interface/mcast_src_ip.'),
  })
  .describe('A VRRP instance: one virtual router holding a set of VIPs.')

export const vrrpScript = z
  .strictObject({
    script: command.optional().describe('Program and arguments to run, exit 0 = healthy. keepalived runs it without a shell: no &&, |, [[ ]] or $VAR; group an argument with single quotes.'),
    process: name.optional().describe('Healthy while a process of this name runs (`killall -0 NAME`, as in the seeds).'),
    down_file: absPath.optional().describe('Maintenance switch: unhealthy while this file exists (e.g. /etc/keepalived/down).'),
    restart_haproxy: z.boolean().optional().describe('The seed\'s checkHaproxy.sh: restart HAProxy if it died; stop keepalived if that fails.'),
    // keepalived 2.2.7: "vrrp_script interval must be between 1 and 4294" — sub-second checks are refused.
    // Whole seconds: keepalived 2.2.7 reads "1.5" as an invalid number, which fails keepalived -t.
    interval: z.number().int().min(1, {message: 'must be from 1 to 4294 seconds (keepalived refuses sub-second script intervals)'}).max(4294, {message: 'must be from 1 to 4294 seconds'}).optional().describe('Whole seconds between runs, 1–4294 (default 2).'),
    weight: z.number().int().min(-253, {message: 'must be from -253 to 253'}).max(253, {message: 'must be from -253 to 253'}).optional()
      .describe('Added to the priority while failing (negative) or succeeding (positive); 0/unset = fault state.'),
    fall: z.number().int().min(1).max(255).optional().describe('Failures before it counts as down (default 2).'),
    rise: z.number().int().min(1).max(255).optional().describe('Successes before it counts as up (default 1).'),
    timeout: z.number().int().min(1).max(3600).optional().describe('Whole seconds a run may take (default: the interval).'),
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, {message: 'is not a user name'}).optional().describe('User to run as (default: keepalived.script_user).'),
  })
  .describe('A vrrp_script: give exactly one of script, process, down_file or restart_haproxy.')

export const keepalivedGlobals = z
  .strictObject({
    router_id: name.optional().describe('Default: the director\'s name.'),
    vrrp_mcast_group4: ipv4.optional().describe('Multicast group for adverts (default 224.0.0.18).'),
    enable_script_security: z.boolean().optional().describe('Default true: scripts run as script_user and must not be writable by others.'),
    script_user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, {message: 'is not a user name'}).optional().describe('Default root.'),
    vrrp_garp_master_refresh: z.number().int().min(0).optional(),
    lvs_sync: z
      .union([
        z.boolean(),
        z.strictObject({
          instance: name.optional().describe('The VRRP instance whose MASTER sends (default: the first one).'),
          interface: ifname.optional().describe('Where the sync messages go (default: the instance\'s interface).'),
          id: z.number().int().min(0).max(255).optional().describe('Sync id, to tell several clusters on one segment apart.'),
        }),
      ])
      .optional()
      .describe('LVS connection synchronisation (keepalived lvs_sync_daemon): the backup director keeps a copy of the IPVS connection table, so established connections survive a failover.'),
    extra_global_defs: keywordLines(grammar(globalDefsLineError)).optional().describe('Extra global_defs settings, one keyword and its arguments per line (vrrp_garp_*, vrrp_priority, …: the ones lbctl knows keepalived accepts).'),
  })
  .describe('keepalived global_defs.')

const checkCommon = {
  connect_timeout: z.number().int().min(1).max(3600).optional().describe('Default 3.'),
  connect_port: port.optional(),
  retry: z.number().int().min(0).max(100).optional().describe('keepalived `retry` (formerly nb_get_retry). Default 3.'),
  delay_before_retry: z.number().int().min(0).max(3600).optional().describe('Default 3.'),
}

export const healthCheck = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.enum(['HTTP_GET', 'SSL_GET']),
    path: z.string().regex(/^\/[^\s"]*$/, {message: 'must be a URL path like /health'}).optional().describe('Default /.'),
    status_code: z.number().int().min(100).max(599).optional().describe('Default: any 2xx (keepalived\'s 200-299), so a 204 health endpoint is up.'),
    digest: z.string().regex(/^[0-9a-f]{32}$/, {message: 'must be an MD5 hex digest (32 lowercase hex characters)'}).optional(),
    virtualhost: z.string().regex(/^[A-Za-z0-9.-]+$/, {message: 'is not a host name (write it like www.example.com)'}).optional(),
    ...checkCommon,
  }),
  z.strictObject({type: z.literal('TCP_CHECK'), ...checkCommon}),
  z.strictObject({
    type: z.literal('MISC_CHECK'),
    misc_path: command.describe('Program and arguments to run as the check, without a shell.'),
    misc_timeout: z.number().int().min(1).max(3600).optional(),
    misc_dynamic: z.boolean().optional(),
  }),
]).describe('How keepalived checks each real server of a virtual service.')

export const lvsRealServerRef = z.union([
  name,
  z.strictObject({
    name,
    weight: z.number().int().min(0, {message: 'must be from 0 to 65535'}).max(65535, {message: 'must be from 0 to 65535'}).optional(),
    port: port.optional(),
  }),
])

export const virtualService = z
  .strictObject({
    vip: ipv4.describe('One of the VRRP instances\' VIPs.'),
    port,
    protocol: z.enum(['TCP', 'UDP']).optional().describe('Default TCP.'),
    scheduler: z.enum(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh']).optional()
      .describe('IPVS scheduler, keepalived lb_algo (default wlc).'),
    forwarding: z.enum(['DR', 'NAT', 'TUN']).optional().describe('keepalived lb_kind (default DR).'),
    persistence_timeout: z.number().int().min(1).max(2678400).optional().describe('Seconds a client sticks to one real server.'),
    persistence_granularity: ipv4.optional().describe('Netmask grouping clients for persistence.'),
    delay_loop: z.number().int().min(1).max(3600).optional().describe('Seconds between health checks (default 6).'),
    sorry_server: z.strictObject({address: ipv4, port}).optional(),
    quorum: z.number().int().min(1).optional(),
    hysteresis: z.number().int().min(0).optional(),
    alpha: z.boolean().optional(),
    omega: z.boolean().optional(),
    inhibit_on_failure: z.boolean().optional().describe('Set weight 0 instead of removing a failed real server.'),
    virtualhost: z.string().regex(/^[A-Za-z0-9.-]+$/, {message: 'is not a host name (write it like www.example.com)'}).optional(),
    real_servers: z.array(lvsRealServerRef).min(1, {message: 'needs at least one real server'}),
    health_check: healthCheck.optional().describe('Default HTTP_GET / expecting 200.'),
  })
  .describe('An LVS virtual service (keepalived virtual_server).')
