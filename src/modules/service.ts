import {z} from 'zod'
import {DIRECT, PATHS} from '../render/paths.js'
import {cmd, raw, script, type ShellCommand} from '../shell/index.js'
import {APPLY_DROPINS} from './sysctl.js'
import {failed, ok, type Module, type Plan} from './types.js'

export const SERVICES = ['keepalived', 'haproxy', 'realserver', 'sysctl', 'tuning'] as const
export type ServiceName = (typeof SERVICES)[number]

const args = z.strictObject({
  name: z.enum(SERVICES),
  state: z.enum(['started', 'stopped', 'reloaded', 'restarted']),
})
type Args = z.infer<typeof args>

/*
 * Direct mode (no systemd, e.g. the lab): each daemon runs from its pidfile in /run.
 *  - HAProxy runs master-worker (-W) with a master CLI socket; SIGUSR2 to the master re-executes it and the new
 *    workers take the listening sockets over (stats socket `expose-fd listeners`), so a reload refuses nothing.
 *  - keepalived re-reads its configuration on SIGHUP without leaving MASTER state; SIGTERM makes it send a
 *    priority-0 advert first, so the backup takes over at once instead of after the master-down timer.
 * Oneshot "services" (realserver, sysctl, tuning) are scripts or files applied again.
 */
const RUNNING: Record<'keepalived' | 'haproxy', ShellCommand> = {
  // `read`, not `$(cat …)`: a builtin, where a process start costs milliseconds on a busy two-core director.
  keepalived: cmd`{ lbctl_pid=; read -r lbctl_pid < ${DIRECT.keepalivedPid}; } 2>/dev/null; [ -n "$lbctl_pid" ] && kill -0 "$lbctl_pid" 2>/dev/null`,
  haproxy: cmd`{ lbctl_pid=; read -r lbctl_pid < ${DIRECT.haproxyPid}; } 2>/dev/null; [ -n "$lbctl_pid" ] && kill -0 "$lbctl_pid" 2>/dev/null`,
}

const START: Record<ServiceName, ShellCommand> = {
  // Not daemonized (-n) but detached (setsid, all fds redirected) so its console log (-l -D) lands in a file: without
  // syslog that file is the only record of why keepalived stopped (e.g. "IPVS: Can't initialize ipvs").
  // Only the daemon goes to the background: `a && b &` would background a subshell that keeps the SSH channel's
  // stdout open, and the exec would never return.
  keepalived: cmd`mkdir -p /run/lbctl && { setsid keepalived -n -l -D -f ${PATHS.keepalivedConf} -p ${DIRECT.keepalivedPid} -r ${DIRECT.keepalivedVrrpPid} -c ${DIRECT.keepalivedCheckersPid} >>${DIRECT.keepalivedLog} 2>&1 </dev/null & }`,
  haproxy: cmd`mkdir -p /run/haproxy && haproxy -W -D -p ${DIRECT.haproxyPid} -S ${DIRECT.haproxyMasterSock} -f ${PATHS.haproxyCfg}`,
  realserver: cmd`${PATHS.realServerScript} start`,
  sysctl: script(APPLY_DROPINS, PATHS.directorSysctl, PATHS.realServerSysctl),
  tuning: cmd`[ ! -x ${PATHS.tuningScript} ] || ${PATHS.tuningScript}`,
}

/** Waits up to ~5 s for a pid to exit after a signal, so "stopped" means stopped. */
function stopDirect(pidfile: string, signal: string): ShellCommand {
  return cmd`if [ -s ${pidfile} ]; then p=$(cat ${pidfile}); kill -${signal} "$p" 2>/dev/null || true; i=0; while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; ! kill -0 "$p" 2>/dev/null && rm -f ${pidfile}; fi`
}

const STOP: Record<ServiceName, ShellCommand> = {
  keepalived: stopDirect(DIRECT.keepalivedPid, 'TERM'),
  haproxy: stopDirect(DIRECT.haproxyPid, 'USR1'),
  realserver: cmd`${PATHS.realServerScript} stop`,
  sysctl: raw`true`,
  tuning: raw`true`,
}

const RELOAD: Record<'keepalived' | 'haproxy', ShellCommand> = {
  keepalived: cmd`kill -HUP "$(cat ${DIRECT.keepalivedPid})"`,
  haproxy: cmd`kill -USR2 "$(cat ${DIRECT.haproxyPid})"`,
}

/** systemd units behind each service name. */
const UNIT: Record<ServiceName, string> = {
  keepalived: 'keepalived',
  haproxy: 'haproxy',
  realserver: 'lbctl-realserver',
  sysctl: 'systemd-sysctl',
  tuning: 'lbctl-tuning',
}

const ALSO_CHANGES: Record<ServiceName, string[]> = {keepalived: ['net'], haproxy: [], realserver: ['net', 'sysctl:net.ipv4.conf.'], sysctl: ['sysctl'], tuning: ['nic']}

const isDaemon = (n: ServiceName): n is 'keepalived' | 'haproxy' => n === 'keepalived' || n === 'haproxy'

/** `running` is the probe's answer; undefined for oneshot services, which are always (re)applied. */
export function planService(a: Args, systemd: boolean, running: boolean | undefined): Plan {
  const label = `${a.state === 'reloaded' ? 'reload' : a.state.replace(/ed$/, '')} ${a.name}`
  const step = (command: ShellCommand) => ({status: 'changed' as const, message: label, steps: [{label, command}]})
  if (systemd) {
    const unit = UNIT[a.name]
    if (a.state === 'started') return running ? ok(`${a.name} running`) : step(cmd`systemctl daemon-reload && systemctl enable --now ${unit}`)
    if (a.state === 'stopped') return running === false ? ok(`${a.name} stopped`) : step(cmd`systemctl stop ${unit}`)
    if (a.state === 'restarted') return step(cmd`systemctl daemon-reload && systemctl restart ${unit}`)
    return step(running === false ? cmd`systemctl daemon-reload && systemctl enable --now ${unit}` : cmd`systemctl reload-or-restart ${unit}`)
  }
  const name = a.name
  if (!isDaemon(name)) {
    if (a.state === 'stopped') return step(STOP[name])
    return step(START[name])
  }
  switch (a.state) {
    case 'started':
      return running ? ok(`${name} running`) : step(START[name])
    case 'stopped':
      return running ? step(STOP[name]) : ok(`${name} stopped`)
    case 'restarted':
      return step(cmd`${STOP[name]}; ${START[name]}`)
    case 'reloaded':
      return running ? step(RELOAD[name]) : step(START[name])
  }
}

export const service: Module<Args> = {
  name: 'service',
  // Reloading realserver, sysctl or tuning re-applies addresses, sysctls and NIC settings; keepalived moves VIPs.
  effects: (a) => ({reads: [`service:${a.name}`], writes: [`service:${a.name}`, ...ALSO_CHANGES[a.name]]}),
  args,
  // systemd or not is decided on the host (as the facts are), so the probe can ride in the first round trip.
  probe(a) {
    const direct = isDaemon(a.name) ? cmd`if ${RUNNING[a.name]}; then echo running; else echo stopped; fi` : raw`echo oneshot`
    return cmd`if [ -d /run/systemd/system ]; then systemctl is-active --quiet ${UNIT[a.name]} && echo running || echo stopped; else ${direct}; fi`
  },
  // A handler right after the change that notified it (one round trip): reloading or restarting changes whatever the
  // probe says, so the host decides what it needs — reload what runs, start what does not.
  blind(a, ctx) {
    if (a.state === 'restarted' || (!ctx.facts.systemd && !isDaemon(a.name))) return planService(a, ctx.facts.systemd, undefined)
    if (a.state !== 'reloaded') return undefined
    const plan = (running: boolean) => planService(a, ctx.facts.systemd, running).steps[0].command
    const runs = ctx.facts.systemd ? cmd`systemctl is-active --quiet ${UNIT[a.name]}` : isDaemon(a.name) ? RUNNING[a.name] : undefined
    const label = `reload ${a.name}`
    return {status: 'changed', message: label, steps: [{label, command: cmd`if ${runs!}; then ${plan(true)}; else ${plan(false)}; fi`}]}
  },
  plan(a, probe, ctx) {
    if (!probe || probe.code !== 0) return failed(`cannot tell whether ${a.name} runs: ${probe?.stderr.trim() || 'no answer'}`)
    const answer = probe.stdout.trim()
    return planService(a, ctx.facts.systemd, answer === 'oneshot' ? undefined : answer === 'running')
  },
}

/** Shell test that is true while the daemon runs (direct mode), for wait_for and failover tests. */
export function runningTest(name: 'keepalived' | 'haproxy'): ShellCommand {
  return RUNNING[name]
}
