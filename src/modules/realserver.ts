import {z} from 'zod'
import {PATHS} from '../render/paths.js'
import {cmd} from '../shell/index.js'
import {ok, type Module} from './types.js'

const args = z.strictObject({})

/**
 * The LVS real-server side: the rendered script puts the VIP on lo (DR/TUN) or the default route via the DIP (NAT).
 * Its `status` is the fact; `start` is idempotent. Under systemd the unit makes it survive reboots.
 */
export const realserver: Module<z.infer<typeof args>> = {
  name: 'realserver',
  // Its probe runs the installed script, which checks the VIPs on lo and the ARP / rp_filter sysctls.
  effects: () => ({reads: [`file:${PATHS.realServerScript}`, 'net', 'sysctl:net.ipv4.conf.'], writes: ['net', 'sysctl:net.ipv4.conf.', 'service:realserver']}),
  args,
  probe: () => cmd`if [ -x ${PATHS.realServerScript} ]; then ${PATHS.realServerScript} status; else echo 'not installed'; exit 3; fi`,
  plan(_a, probe, ctx) {
    if (ctx.host.kind !== 'real_server' || !ctx.host.manage) return ok('not an LVS real server')
    if (probe && probe.code === 0) return ok(probe.stdout.trim().split('\n')[0] || 'VIPs and ARP settings in place')
    const start = ctx.facts.systemd
      ? cmd`systemctl daemon-reload && systemctl enable --now lbctl-realserver && ${PATHS.realServerScript} start`
      : cmd`${PATHS.realServerScript} start`
    return {status: 'changed', message: (probe?.stdout.trim() || 'not configured').split('\n').join('; '), steps: [{label: 'realserver start', command: start}]}
  },
}
