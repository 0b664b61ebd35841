import type {Cluster} from '../inventory/model.js'
import type {ReleaseState} from '../modules/release-history.js'
import {loadPlaybook} from './load.js'
import {deployDecision, managedHosts, readReleaseStates, rollbackDecision} from './releases.js'
import type {RunListener} from './events.js'
import type {Interrupt} from './interrupt.js'
import {runPlaybook, type Connect, type Renderer, type RunResult} from './runner.js'

export interface RunRequest {
  check?: boolean
  diff?: boolean
  limit?: string
  forks?: number
  breakLock?: boolean
  renderer?: Renderer
  connect: Connect
  interrupt?: Interrupt
  /** Every event of the run (a CI log, a benchmark's timeline). */
  listen?: RunListener
}

/** lbctl deploy / lbctl run: a playbook against the cluster; a release task records the cluster's desired state. */
export async function runNamedPlaybook(ref: string, cluster: Cluster, req: RunRequest, command = ref): Promise<RunResult> {
  const {playbook} = loadPlaybook(ref, cluster)
  return runPlaybook({...req, cluster, playbook, command, decideRelease: deployDecision(cluster)})
}

/**
 * lbctl rollback: the release that ran before the current one (or --to ID), the same on every host, chosen once
 * every host is locked and read; then the rollback playbook, HA-safe.
 */
export async function rollback(cluster: Cluster, req: RunRequest & {to?: string; force?: boolean}): Promise<RunResult> {
  const {playbook} = loadPlaybook('rollback', cluster)
  return runPlaybook({...req, cluster, playbook, command: 'rollback', decideRelease: rollbackDecision(req.to, Boolean(req.force))})
}

export async function releases(cluster: Cluster, connect: Connect): Promise<Map<string, ReleaseState | Error>> {
  const hosts = managedHosts(cluster)
  const transports = await connect(hosts)
  try {
    return await readReleaseStates(cluster, hosts, transports)
  } finally {
    await Promise.all([...transports.values()].map((t) => (t instanceof Error ? undefined : t.close().catch(() => undefined))))
  }
}

export {runPlaybook, type RunResult} from './runner.js'
export {loadPlaybook} from './load.js'
