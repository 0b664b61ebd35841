import type {Cluster, Director, VirtualService, VrrpInstance, VrrpScript} from '../inventory/model.js'

/** The VRRP instances a director takes part in, in inventory order. */
export function instancesOf(cluster: Cluster, director: Director): VrrpInstance[] {
  return cluster.instances.filter((i) => i.members.some((m) => m.director === director.name))
}

/**
 * The virtual services a director must program: those whose VIP one of its instances holds. A service whose VIP no
 * instance holds (the inventory checks report it) goes to every director rather than silently nowhere.
 */
export function servicesOf(cluster: Cluster, director: Director): VirtualService[] {
  const held = (vip: string, insts: VrrpInstance[]) => insts.some((i) => i.vips.some((v) => v.address === vip))
  const mine = instancesOf(cluster, director)
  return cluster.virtualServices.filter((vs) => held(vs.vip, mine) || !held(vs.vip, cluster.instances))
}

/**
 * The vrrp_scripts a director's instances track, in definition order. keepalived only runs tracked scripts, and
 * `keepalived -t` fails on a script whose file is missing, so an untracked one would only add a way to fail.
 */
export function scriptsOf(cluster: Cluster, director: Director): VrrpScript[] {
  const tracked = new Set(instancesOf(cluster, director).flatMap((i) => i.trackScripts.map((t) => t.name)))
  return cluster.scripts.filter((s) => tracked.has(s.name))
}
