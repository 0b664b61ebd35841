import type {Cluster} from '../inventory/model.js'
import type {Transport} from '../transport/types.js'
import {loadPlaybook} from './load.js'
import {listReleases, newReleaseId, rollbackTarget, type HostRelease} from './releases.js'
import {runPlaybook, type Connect, type Renderer, type RunResult} from './runner.js'
import {limitFilter} from './targets.js'

export interface RunRequest {
  check?: boolean
  diff?: boolean
  limit?: string
  forks?: number
  breakLock?: boolean
  renderer?: Renderer
  connect: Connect
}

/** lbctl deploy / lbctl run: a playbook against the cluster, recording release ID for this run. */
export async function runNamedPlaybook(ref: string, cluster: Cluster, req: RunRequest, command = ref): Promise<RunResult> {
  const {playbook} = loadPlaybook(ref)
  return runPlaybook({...req, cluster, playbook, command, releaseId: newReleaseId(cluster)})
}

export interface RollbackResult {
  target?: string
  run?: RunResult
  error?: string
}

/**
 * lbctl rollback: read every host's releases over the same connections the rollback then uses (one connection per
 * host per run), pick the cluster-wide target, and run the rollback playbook HA-safe.
 */
export async function rollback(cluster: Cluster, req: RunRequest & {to?: string}): Promise<RollbackResult> {
  const {playbook} = loadPlaybook('rollback')
  const hosts = [...cluster.directors, ...cluster.realServers.filter((r) => r.manage)].filter(limitFilter(cluster, req.limit))
  const transports = await req.connect([...cluster.directors, ...cluster.realServers.filter((r) => r.manage && hosts.includes(r))])
  try {
    const bad = [...transports.values()].filter((t): t is Error => t instanceof Error)
    if (bad.length) return {error: `${bad.length} host(s) could not be reached; nothing was changed:\n${bad.map((e) => `  ${e.message}`).join('\n')}`}
    const perHost = await listReleases(cluster, hosts, transports as Map<string, Transport>)
    const {id, error} = rollbackTarget(perHost, req.to)
    if (!id) return {error}
    const run = await runPlaybook({...req, cluster, playbook, command: 'rollback', releaseId: id, vars: {release: id}, transports})
    return {target: id, run}
  } finally {
    await Promise.all([...transports.values()].map((t) => (t instanceof Error ? undefined : t.close().catch(() => undefined))))
  }
}

export async function releases(cluster: Cluster, connect: Connect): Promise<Map<string, HostRelease[] | Error>> {
  const hosts = [...cluster.directors, ...cluster.realServers.filter((r) => r.manage)]
  const transports = await connect(hosts)
  try {
    return await listReleases(cluster, hosts, transports)
  } finally {
    await Promise.all([...transports.values()].map((t) => (t instanceof Error ? undefined : t.close().catch(() => undefined))))
  }
}

export {runPlaybook, type RunResult} from './runner.js'
export {loadPlaybook} from './load.js'
