import type {Cluster} from './model.js'

export const DEFAULT_PEER_PORT = 10000

/** The port HAProxy's peers use on every director, when `haproxy.peers` is on. */
export function peerPort(cluster: Cluster): number | undefined {
  const p = cluster.haproxy?.peers
  return !p ? undefined : p === true ? DEFAULT_PEER_PORT : (p.port ?? DEFAULT_PEER_PORT)
}
