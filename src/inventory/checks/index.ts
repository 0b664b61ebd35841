import type {Cluster} from '../model.js'
import type {Problem} from '../problems.js'
import type {RawInventory} from '../schema/index.js'
import type {Source} from '../source.js'

/** Cluster-wide checks that no single field can see: run after the model resolves. */
export function clusterProblems(cluster: Cluster, raw: RawInventory, source: Source): Problem[] {
  void cluster
  void raw
  void source
  return []
}
