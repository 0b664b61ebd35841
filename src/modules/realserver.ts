import {z} from 'zod'
import {PATHS} from '../render/paths.js'
import {cmd} from '../shell/index.js'
import {ok, type Module, type ModuleContext} from './types.js'

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
    if (probe && probe.code === 0) return ok(inPlace(probe.stdout))
    return {status: 'changed', message: missing(probe?.stdout ?? ''), steps: [{label: 'realserver start', command: start(ctx)}]}
  },
  // Right after the script itself was installed in the same round trip (a first deploy): the new script's status
  // decides there, and starts it if anything is missing — which leaves its reload handler nothing to do (under
  // systemd the handler also reloads the unit).
  blind(_a, ctx) {
    if (ctx.host.kind !== 'real_server' || !ctx.host.manage) return ok('not an LVS real server')
    const step = cmd`if ${PATHS.realServerScript} status; then echo ${MARK} in-place; else echo ${MARK} start; ${start(ctx)}; fi`
    return {
      status: 'changed',
      message: 'VIPs and ARP settings: started if not in place',
      steps: [{label: 'realserver status || start', command: step}],
      handles: ctx.facts.systemd ? [] : ['realserver'],
      settle: ([r]) => {
        const at = r.stdout.indexOf(`${MARK} `)
        const status = at >= 0 ? r.stdout.slice(0, at) : r.stdout
        return r.stdout.includes(`${MARK} in-place`) ? {status: 'ok', message: inPlace(status)} : {status: 'changed', message: missing(status)}
      },
    }
  },
}

const MARK = 'lbctl-realserver:'
const inPlace = (status: string) => status.trim().split('\n')[0] || 'VIPs and ARP settings in place'
const missing = (status: string) => (status.trim() || 'not configured').split('\n').join('; ')
const start = (ctx: ModuleContext) =>
  ctx.facts.systemd ? cmd`systemctl daemon-reload && systemctl enable --now lbctl-realserver && ${PATHS.realServerScript} start` : cmd`${PATHS.realServerScript} start`
