import {checkLine, decimal, int, oneOf, type Refusals, type Table} from './args.js'
import type {GrammarError} from './types.js'

/**
 * keepalived.extra_global_defs: lines lbctl adds inside `global_defs { … }`. Only keywords with plain arguments,
 * ranges as keepalived 2.2.7 checks them (it turns anything out of range into a warning, and `keepalived -t` fails
 * on any warning). Nothing that opens or closes a block, defines or includes anything, or changes what lbctl's own
 * cluster checks assume.
 */
const BOOL = oneOf('true', 'false')
export const GLOBAL_DEFS: Table = {
  vrrp_garp_master_delay: {args: [int(0, 4294)]},
  vrrp_garp_master_repeat: {args: [int(1, 2147483647)]},
  vrrp_garp_master_refresh_repeat: {args: [int(1, 2147483647)]},
  vrrp_garp_lower_prio_delay: {args: [int(0, 4294)]},
  vrrp_garp_lower_prio_repeat: {args: [int(0, 2147483647)]},
  vrrp_garp_interval: {args: [decimal(0.001, 4294)]},
  vrrp_gna_interval: {args: [decimal(0.001, 4294)]},
  vrrp_lower_prio_no_advert: {args: [BOOL], optional: 1},
  vrrp_higher_prio_send_advert: {args: [BOOL], optional: 1},
  vrrp_startup_delay: {args: [decimal(0.001, 4294)]},
  vrrp_priority: {args: [int(-20, 19)]},
  checker_priority: {args: [int(-20, 19)]},
  vrrp_rt_priority: {args: [int(1, 99)]},
  checker_rt_priority: {args: [int(1, 99)]},
  max_auto_priority: {args: [int(-1, 99)], optional: 1},
  vrrp_no_swap: {args: []},
  checker_no_swap: {args: []},
  vrrp_check_unicast_src: {args: []},
  vrrp_skip_check_adv_addr: {args: []},
  dynamic_interfaces: {args: []},
}

const owned = (field: string): GrammarError => ({
  message: `sets what lbctl writes itself from ${field}: keepalived would see it twice`,
  hint: `use ${field} instead`,
})

const REFUSED: Refusals = {
  router_id: owned('keepalived.router_id'),
  vrrp_mcast_group4: owned('keepalived.vrrp_mcast_group4'),
  enable_script_security: owned('keepalived.enable_script_security'),
  script_user: owned('keepalived.script_user'),
  vrrp_garp_master_refresh: owned('keepalived.vrrp_garp_master_refresh'),
  notification_email: owned('notifications.email.to'),
  notification_email_from: owned('notifications.email.from'),
  smtp_server: owned('notifications.email.smtp_server'),
  smtp_connect_timeout: owned('notifications.email.smtp_connect_timeout'),
  vrrp_version: {
    message: 'changes the VRRP version of every instance behind lbctl\'s back: its checks of authentication and advert_int assume each instance\'s own version',
    hint: 'set version: 3 on the vrrp_instances that should use it',
  },
  vrrp_strict: {
    message: 'makes keepalived refuse or drop authentication, unicast peers and VIPs outside the VRRP rules — settings lbctl\'s checks allow, so validate would pass a config keepalived then changes',
    hint: 'leave vrrp_strict out',
  },
  lvs_flush: {
    message: 'flushes the whole IPVS table when keepalived starts, while lbctl applies IPVS changes as a diff and never flushes a serving director',
    hint: 'leave it out; lbctl keeps /etc/lbctl/ipvsadm.rules and the live table in step',
  },
  include: {message: 'reads another file into keepalived.conf that lbctl\'s checks never see', hint: 'express the settings in the inventory'},
}

export function globalDefsLineError(line: string): GrammarError | undefined {
  if (/[{}]/.test(line)) {
    return {
      message: 'contains a brace: "}" would close global_defs and "{" open a block of its own — a vrrp_instance there is one no cluster check sees',
      hint: 'write one keyword and its arguments per line; instances, scripts and virtual servers go under vrrp_instances, vrrp_scripts and virtual_servers',
    }
  }
  if (/^\s*[$@~]/.test(line)) {
    return {message: 'starts with "$", "@" or "~": keepalived reads that as a definition, a per-host condition or a sequence, not a setting', hint: 'write a global_defs keyword and its arguments, like vrrp_garp_master_delay 5'}
  }
  if (/["'\\]/.test(line)) return {message: 'contains a quote or a backslash, which no keyword lbctl allows here takes', hint: 'write the keyword and plain arguments, like vrrp_garp_interval 0.5'}
  return checkLine(line, GLOBAL_DEFS, REFUSED, 'a global_defs keyword')
}
