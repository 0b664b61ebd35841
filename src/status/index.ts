/**
 * lbctl status: one SSH connection and one round trip per host, then the cluster judged as a monitoring check.
 */
import type {Cluster, Host} from '../inventory/model.js'
import {managedHosts} from '../playbook/releases.js'
import type {Connect} from '../playbook/runner.js'
import {PATHS, renderHost} from '../render/index.js'
import type {Transport} from '../transport/types.js'
import {assess, type ClusterStatus} from './assess.js'
import {parseHostStatus, type HostStatus} from './parse.js'
import {statusCommand} from './probe.js'

export type {ClusterStatus, Problem} from './assess.js'
export {statusText} from './view.js'

function probeFor(cluster: Cluster, h: Host) {
  const director = h.kind === 'director'
  return statusCommand({
    director,
    haproxy: director && Boolean(cluster.haproxy),
    lvs: director && cluster.virtualServices.length > 0,
    realServerScript: h.kind === 'real_server' && renderHost(cluster, h.name).some((f) => f.path === PATHS.realServerScript),
    stateDir: cluster.deploy.stateDir,
  })
}

/** Reads every managed host (one exec each, at once) on connections that are already open or failed. */
export async function readStatus(cluster: Cluster, transports: Map<string, Transport | Error>): Promise<ClusterStatus> {
  const hosts = await Promise.all(
    managedHosts(cluster).map(async (h): Promise<HostStatus> => {
      const t = transports.get(h.name)
      const down = (error: string): HostStatus => ({name: h.name, reachable: false, error, addresses: [], release: {pending: [], drift: [], missing: []}})
      if (!t) return down('not connected')
      if (t instanceof Error) return down(t.message)
      try {
        const r = await t.exec(probeFor(cluster, h), {timeoutMs: 30_000})
        if (r.code !== 0) return down(`its status command failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`)
        return parseHostStatus(h.name, r.stdout)
      } catch (e) {
        return down((e as Error).message)
      }
    }),
  )
  const rendered = new Map<string, string>()
  for (const d of cluster.directors) {
    const rules = renderHost(cluster, d.name).find((f) => f.path === PATHS.ipvsadmRules)
    if (rules) rendered.set(d.name, rules.content)
  }
  return assess(cluster, hosts, rendered)
}

/** Connects (one connection per host), reads, closes. */
export async function clusterStatus(cluster: Cluster, connect: Connect): Promise<ClusterStatus> {
  const transports = await connect(managedHosts(cluster))
  try {
    return await readStatus(cluster, transports)
  } finally {
    await Promise.all([...transports.values()].map((t) => (t instanceof Error ? undefined : t.close().catch(() => undefined))))
  }
}
