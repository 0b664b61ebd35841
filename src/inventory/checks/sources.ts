import type {VrrpInstance, VrrpMember} from '../model.js'
import type {Path} from '../problems.js'
import {sameNet} from './net.js'
import type {Report} from './report.js'

/**
 * A director's advert source (mcast_src_ip) must be an address of its own: keepalived binds its socket to it, and
 * the other routers take the source for the sender (with unicast, they drop adverts from an address they do not
 * list). So it is never a VIP (the backup does not hold it), never another host's address, never one address for two
 * members of an instance, and never a multicast, loopback or reserved address.
 */
export function advertSourceChecks(r: Report): void {
  const vips = new Map(r.cluster.instances.flatMap((i) => i.vips.map((v) => [v.address, i.name] as const)))
  const hosts = [...r.cluster.directors, ...r.cluster.realServers, ...r.cluster.clients]
  for (const inst of r.cluster.instances) {
    for (const [k, m] of inst.members.entries()) {
      if (m.mcastSrcIp === undefined) continue
      const path = sourcePath(r, inst, m)
      const ip = m.mcastSrcIp
      const first = Number(ip.split('.')[0])
      const owner = hosts.find((h) => h.address === ip && h.name !== m.director)
      const twin = inst.members.slice(0, k).find((o) => o.mcastSrcIp === ip)
      const why =
        first === 0 || first === 127 || first >= 224 ? 'is a multicast, loopback or reserved address: keepalived cannot send adverts from it'
          : vips.has(ip) ? `is a VIP of vrrp_instances.${vips.get(ip)}: a backup does not hold it, so it could not send from it`
            : owner ? `is the address of ${owner.kind === 'director' ? 'director' : owner.kind === 'client' ? 'client' : 'real server'} ${owner.name}: the other routers would take ${m.director}'s adverts for ${owner.name}'s`
              : twin ? `is also ${twin.director}'s advert source in ${inst.name}: VRRP tells the routers apart by the source address`
                : inst.network && !sameNet(ip, inst.network.address, inst.network.prefix) ? `is outside ${inst.name}'s segment ${inst.network.address}/${inst.network.prefix}: adverts from it would not reach the other routers`
                  : undefined
      if (why) r.error(path, `${ip} ${why}`, `use ${m.director}'s own address on the link ${inst.name} runs on (${m.interface})`)
    }
  }
}

/** Where a member's advert source was written: for this instance, or for the director in every instance. */
function sourcePath(r: Report, inst: VrrpInstance, m: VrrpMember): Path {
  const own = r.raw.vrrp_instances[inst.name]?.directors?.[m.director]?.mcast_src_ip !== undefined
  return own ? [...inst.origin, 'directors', m.director, 'mcast_src_ip'] : ['directors', m.director, 'mcast_src_ip']
}
