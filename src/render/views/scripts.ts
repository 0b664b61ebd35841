import type {Cluster, Director} from '../../inventory/model.js'
import {managedHeader} from '../header.js'
import {instancesOf} from '../membership.js'
import {DIRECT, PATHS} from '../paths.js'
import {parseCommand} from '../../inventory/grammar/command.js'
import {RenderError, shellWord} from '../quote.js'

/** Scripts run by keepalived or at boot: every value is already a quoted shell word when it reaches the template. */

export interface NotifyView {
  header: string
  email: {to: string; from: string} | null
  chained: {instance: string; script: string}[]
}

export function notifyView(cluster: Cluster, director: Director): NotifyView {
  const e = cluster.notifications.email
  return {
    header: managedHeader(cluster),
    email: e ? {to: shellWord(e.to.join(', ')), from: shellWord(e.from)} : null,
    chained: instancesOf(cluster, director)
      .filter((i) => i.notify.any)
      .map((i) => ({instance: shellWord(i.name), script: commandArgv(i.notify.any!).map(shellWord).join(' ')})),
  }
}

/** A notify hook as keepalived would split it (program and arguments), so the shell calls it the same way. */
function commandArgv(command: string): string[] {
  const r = parseCommand(command)
  if ('message' in r) throw new RenderError(`a notify command ${r.message}`)
  return r.argv
}

export interface CheckHaproxyView {
  header: string
  systemdTest: string
  systemdWhy: string
  haproxyCfg: string
  haproxyPid: string
  haproxyMasterSock: string
  keepalivedPid: string
}

export function checkHaproxyView(cluster: Cluster): CheckHaproxyView {
  const sm = cluster.deploy.serviceManager
  return {
    header: managedHeader(cluster),
    ...(sm === 'auto'
      ? {systemdTest: '[ -d /run/systemd/system ]', systemdWhy: 'deploy.service_manager auto: systemd when it runs this host (the sd_booted() test).'}
      : sm === 'systemd'
        ? {systemdTest: 'true', systemdWhy: 'deploy.service_manager systemd.'}
        : {systemdTest: 'false', systemdWhy: 'deploy.service_manager direct: daemons run with pidfiles under /run.'}),
    haproxyCfg: shellWord(PATHS.haproxyCfg),
    haproxyPid: shellWord(DIRECT.haproxyPid),
    haproxyMasterSock: shellWord(DIRECT.haproxyMasterSock),
    keepalivedPid: shellWord(DIRECT.keepalivedPid),
  }
}

export interface TuningView {
  header: string
  script: string
  settings: {iface: string; feature: string; name: string; want: string}[]
  /** The director's sysctl drop-in, when it sets IPVS keys: applied again at boot once ip_vs is loaded. */
  ipvsSysctls?: string
}

// `ethtool -K` takes the short name, `ethtool -k` prints the long one.
const FEATURES = {gro: 'generic-receive-offload', lro: 'large-receive-offload'} as const

/** null when there is nothing to tune: no offload set on any interface, and no IPVS sysctl. */
export function tuningView(cluster: Cluster, director: Director): TuningView | null {
  const e = director.tuning.ethtool
  const settings = e.interfaces.flatMap((iface) =>
    (['gro', 'lro'] as const)
      .filter((f) => e[f] !== undefined)
      .map((f) => ({iface: shellWord(iface), feature: f, name: FEATURES[f], want: e[f] ? 'on' : 'off'})),
  )
  const ipvs = Object.keys(director.tuning.sysctls).some((k) => k.startsWith('net.ipv4.vs.'))
  if (settings.length === 0 && !ipvs) return null
  return {header: managedHeader(cluster), script: PATHS.tuningScript, settings, ...(ipvs ? {ipvsSysctls: shellWord(PATHS.directorSysctl)} : {})}
}
