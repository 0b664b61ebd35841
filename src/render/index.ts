/**
 * (cluster, host) → every file lbctl puts on that host. Pure: reads only the templates, never a host or the network,
 * and the same inventory always gives the same bytes.
 */
import type {Cluster, Director, RealServer} from '../inventory/model.js'
import {configMode, managedHeader, scriptMode} from './header.js'
import {scriptsOf, servicesOf} from './membership.js'
import {PATHS} from './paths.js'
import {RenderError} from './quote.js'
import {redact} from './secret-lines.js'
import {renderTemplate} from './templates.js'
import type {RenderedFile} from './types.js'
import {haproxyView} from './views/haproxy.js'
import {ipvsadmLines} from './views/ipvsadm.js'
import {keepalivedView} from './views/keepalived.js'
import {realServerSysctlEntries, realServerView} from './views/realserver.js'
import {checkHaproxyView, notifyView, tuningView} from './views/scripts.js'

export type {RenderedFile} from './types.js'
export {RenderError} from './quote.js'
export {DIRECT, PATHS} from './paths.js'

const SCRIPT = 0o755

/** Every file for one director or managed real server. An unmanaged real server or a client gets none. */
export function renderHost(cluster: Cluster, hostName: string): RenderedFile[] {
  try {
    return renderFiles(cluster, hostName)
  } catch (error) {
    // Whatever went wrong, its text passes the mask before anyone prints it (a template error quotes values too).
    throw new RenderError(`${hostName}: ${redact(error instanceof Error ? error.message : String(error), cluster.secrets)}`)
  }
}

function renderFiles(cluster: Cluster, hostName: string): RenderedFile[] {
  const director = cluster.directors.find((d) => d.name === hostName)
  if (director) return renderDirector(cluster, director)
  const rs = cluster.realServers.find((r) => r.name === hostName)
  if (rs) return rs.manage ? renderRealServer(cluster, rs) : []
  if (cluster.clients.some((c) => c.name === hostName)) return []
  const known = [...cluster.directors, ...cluster.realServers].map((h) => h.name)
  throw new Error(`host "${hostName}" is not in inventory "${cluster.name}" (hosts: ${known.join(', ')})`)
}

/** Every director, then every managed real server, in inventory order. */
export function renderCluster(cluster: Cluster): {host: string; files: RenderedFile[]}[] {
  return [...cluster.directors, ...cluster.realServers.filter((r) => r.manage)].map((h) => ({host: h.name, files: renderHost(cluster, h.name)}))
}

function renderDirector(cluster: Cluster, d: Director): RenderedFile[] {
  const files: RenderedFile[] = []
  const config = (path: string, kind: RenderedFile['kind'], content: string, extra: Partial<RenderedFile>): void => {
    files.push({path, content, mode: configMode(content, cluster, kind), kind, ...extra})
  }

  config(PATHS.keepalivedConf, 'keepalived', renderTemplate('keepalived.conf', keepalivedView(cluster, d)), {validate: 'keepalived', service: 'keepalived'})
  if (cluster.haproxy) config(PATHS.haproxyCfg, 'haproxy', renderTemplate('haproxy.cfg', haproxyView(cluster, d.name)), {validate: 'haproxy', service: 'haproxy'})
  const pidfile = cluster.haproxy?.global?.pidfile
  if (pidfile) config(PATHS.haproxyPidfileDropIn, 'unit', renderTemplate('haproxy-pidfile.conf', {header: managedHeader(cluster), pidfile}), {service: 'haproxy'})
  // Delivered as they are (certificate and key): checked with haproxy.cfg, which names them; HAProxy loads them on reload.
  if (cluster.haproxy) for (const c of cluster.certificates) files.push({path: c.path, content: c.content, mode: 0o600, kind: 'certificate', service: 'haproxy'})

  const sysctls = Object.keys(d.tuning.sysctls).sort().map((key) => ({key, value: d.tuning.sysctls[key]!}))
  if (sysctls.length > 0) {
    const notes = ['Director sysctls, applied at boot by systemd-sysctl and at deploy time by lbctl.']
    config(PATHS.directorSysctl, 'sysctl', renderTemplate('sysctl.conf', {header: managedHeader(cluster), notes, entries: sysctls}), {service: 'sysctl'})
  }

  // ipvsadm's restore format has no comments: the file is exactly what `ipvsadm -Sn` prints, header-less.
  const services = servicesOf(cluster, d)
  if (services.length > 0) config(PATHS.ipvsadmRules, 'ipvsadm', renderTemplate('ipvsadm.rules', {lines: ipvsadmLines(services)}), {})

  // keepalived runs its scripts afresh on every call: a changed script needs no reload.
  if (cluster.notifications.script) {
    const content = renderTemplate('notify.sh', notifyView(cluster, d))
    files.push({path: PATHS.notifyScript, content, mode: scriptMode(content, cluster), kind: 'script', validate: 'shell'})
  }
  if (scriptsOf(cluster, d).some((s) => s.kind === 'restart_haproxy')) {
    files.push({path: PATHS.checkHaproxyScript, content: renderTemplate('check-haproxy.sh', checkHaproxyView(cluster)), mode: SCRIPT, kind: 'script', validate: 'shell'})
  }

  const tuning = tuningView(cluster, d)
  if (tuning) {
    files.push({path: PATHS.tuningScript, content: renderTemplate('tuning.sh', tuning), mode: SCRIPT, kind: 'script', validate: 'shell', service: 'tuning'})
    config(PATHS.tuningUnit, 'unit', renderTemplate('tuning.service', tuning), {service: 'tuning'})
  }
  return files
}

function renderRealServer(cluster: Cluster, rs: RealServer): RenderedFile[] {
  const view = realServerView(cluster, rs)
  const files: RenderedFile[] = [
    {path: PATHS.realServerScript, content: renderTemplate('realserver.sh', view), mode: SCRIPT, kind: 'script', validate: 'shell', service: 'realserver'},
  ]
  const own = Object.keys(rs.tuning.sysctls).sort().map((key) => ({key, value: rs.tuning.sysctls[key]}))
  const entries = [...realServerSysctlEntries(view), ...own]
  if (entries.length > 0) {
    const notes = [
      ...(view.arp.length ? [`LVS real server ${rs.name}: ARP suppression for the VIPs on ${view.vipDev} (seeds 001/002), kept across reboots.`] : []),
      ...(own.length ? ['tuning.sysctls from the inventory.'] : []),
    ]
    files.push({path: PATHS.realServerSysctl, content: renderTemplate('sysctl.conf', {header: view.header, notes, entries}), mode: 0o644, kind: 'sysctl', service: 'sysctl'})
  }
  files.push({path: PATHS.realServerUnit, content: renderTemplate('realserver.service', view), mode: 0o644, kind: 'unit', service: 'realserver'})
  return files
}
