import {formatPath, type Path} from '../problems.js'
import {sameNet} from './net.js'
import type {Report} from './report.js'

interface VipAt {
  address: string
  prefix: number
  /** Whether a /prefix was written (keepalived's /32 default says nothing about the subnet). */
  explicit: boolean
  instance: string
  path: Path
}

function vipsWithPaths(r: Report): VipAt[] {
  return r.cluster.instances.flatMap((inst) =>
    inst.vips.map((v, j) => {
      const raw = r.raw.vrrp_instances[inst.name]?.vips[j]
      const written = typeof raw === 'string' ? raw : (raw?.address ?? '')
      const path: Path = typeof raw === 'string' ? [...inst.origin, 'vips', j] : [...inst.origin, 'vips', j, 'address']
      return {address: v.address, prefix: v.prefix, explicit: written.includes('/'), instance: inst.name, path}
    }),
  )
}

export function addressChecks(r: Report): void {
  const hosts = [
    ...r.cluster.directors.map((h) => ({...h, kind: 'director'})),
    ...r.cluster.realServers.map((h) => ({...h, kind: 'real server'})),
    ...r.cluster.clients.map((h) => ({...h, kind: 'client'})),
  ]

  // A name used twice: groups, playbooks and `--limit` refer to hosts by name alone.
  const sections = ['directors', 'real_servers', 'clients'] as const
  for (const [i, section] of sections.entries()) {
    for (const name of Object.keys(r.raw[section] ?? {})) {
      const earlier = sections.slice(0, i).find((s) => r.raw[s]?.[name] !== undefined)
      if (earlier) {
        r.error([section, name], `"${name}" is also defined under ${earlier}: a host name must be unique across directors, real_servers and clients`, 'rename one of them (groups and --limit refer to hosts by name)', {key: true})
      }
    }
  }

  for (const [i, h] of hosts.entries()) {
    const twin = hosts.slice(0, i).find((o) => o.address === h.address)
    if (twin) {
      r.error([...h.origin, 'address'], `${h.address} is also the address of ${twin.kind} ${twin.name} (${formatPath([...twin.origin, 'address'])}): each host needs its own address`, 'correct the address, or remove the duplicate host')
    }
  }

  const vips = vipsWithPaths(r)
  for (const [i, v] of vips.entries()) {
    const owner = hosts.find((h) => h.address === v.address)
    if (owner) {
      r.error(
        v.path,
        `${v.address} is the address of ${owner.kind} ${owner.name}: a VIP must be an address no host owns, or whichever director holds it would answer ARP for ${owner.name}`,
        'pick an unused address on the segment for the VIP',
      )
    }
    const twin = vips.slice(0, i).find((o) => o.address === v.address)
    if (twin) {
      const where = twin.instance === v.instance ? 'listed twice in this instance' : `also a VIP of vrrp_instances.${twin.instance} (${formatPath(twin.path)})`
      r.error(
        v.path,
        `${v.address} is ${where}: ${twin.instance === v.instance ? 'keepalived would add it once and remove it twice' : 'two virtual routers would fight over the address, each MASTER sending gratuitous ARPs for it'}`,
        twin.instance === v.instance ? 'remove the duplicate' : 'keep each VIP in exactly one instance',
      )
      continue
    }
    if (!v.explicit || v.prefix > 30) continue
    const other = vips.slice(0, i).find((o) => o.explicit && o.prefix <= 30 && o.prefix !== v.prefix && sameNet(o.address, v.address, Math.min(o.prefix, v.prefix)))
    if (other) {
      r.error(
        v.path,
        `${v.address}/${v.prefix} is on the same subnet as ${other.address}/${other.prefix} (${formatPath(other.path)}) but with another prefix: the directors would get two routes for one segment, and one prefix is wrong`,
        'write every VIP on a segment with that segment\'s real prefix',
      )
    }
  }
}
