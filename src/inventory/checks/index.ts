import type {Cluster} from '../model.js'
import {formatProblem, type Problem} from '../problems.js'
import type {RawInventory} from '../schema/index.js'
import type {Source} from '../source.js'
import {addressChecks} from './addresses.js'
import {certChecks} from './certs.js'
import {haproxyChecks} from './haproxy.js'
import {lvsChecks} from './lvs.js'
import {notificationChecks} from './notifications.js'
import {Report} from './report.js'
import {scriptChecks} from './scripts.js'
import {advertSourceChecks} from './sources.js'
import {vrrpChecks} from './vrrp.js'

export {pruneInvalid} from './prune.js'

/**
 * Cluster-wide checks that no single field can see, run after the model resolves. Every check runs and every problem
 * is kept: the operator fixes the whole inventory in one pass. Warnings are things keepalived or HAProxy would
 * silently ignore but that do no harm.
 */
export function runClusterChecks(cluster: Cluster, raw: RawInventory, source: Source): {errors: Problem[]; warnings: Problem[]} {
  const r = new Report(cluster, raw, source)
  for (const check of [vrrpChecks, scriptChecks, addressChecks, advertSourceChecks, lvsChecks, haproxyChecks, notificationChecks, certChecks]) check(r)
  return {errors: unique(r.errors), warnings: unique(r.warnings)}
}

export function clusterProblems(cluster: Cluster, raw: RawInventory, source: Source): Problem[] {
  return runClusterChecks(cluster, raw, source).errors
}

// A director-level setting shared by several instances can trip one check per instance with the same words.
function unique(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = formatProblem(p)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
