import {isIPv4} from 'node:net'
import {formatPath, type Path} from '../problems.js'
import {haproxyBinds, showBind} from './haproxy.js'
import {broadcast, network, sameNet} from './net.js'
import type {Report} from './report.js'

interface VipAt {
  address: string
  prefix: number
  /** Whether a /prefix was written (keepalived's /32 default says nothing about the subnet). */
  explicit: boolean
  dev?: string
  instance: string
  path: Path
}

function vipsWithPaths(r: Report): VipAt[] {
  return r.cluster.instances.flatMap((inst) =>
    inst.vips.map((v, j) => {
      const raw = r.raw.vrrp_instances[inst.name]?.vips[j]
      const written = typeof raw === 'string' ? raw : (raw?.address ?? '')
      const path: Path = typeof raw === 'string' ? [...inst.origin, 'vips', j] : [...inst.origin, 'vips', j, 'address']
      return {address: v.address, prefix: v.prefix, explicit: written.includes('/'), dev: v.dev, instance: inst.name, path}
    }),
  )
}

export function addressChecks(r: Report): void {
  hostNames(r)
  hostAddresses(r)
  const vips = vipsWithPaths(r)
  for (const [i, v] of vips.entries()) {
    if (specialVip(r, v) || boundaryVip(r, v)) continue
    const hosts = [...r.cluster.directors, ...r.cluster.realServers, ...r.cluster.clients]
    const owner = hosts.find((h) => h.address === v.address)
    if (owner) {
      r.error(
        v.path,
        `${v.address} is the address of ${kindOf(owner.kind)} ${owner.name}: a VIP must be an address no host owns, or whichever director holds it would answer ARP for ${owner.name}`,
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
    outsideSegment(r, v)
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

const kindOf = (k: string) => (k === 'real_server' ? 'real server' : k)

// A name used twice: groups, playbooks and `--limit` refer to hosts by name alone.
function hostNames(r: Report): void {
  const sections = ['directors', 'real_servers', 'clients'] as const
  for (const [i, section] of sections.entries()) {
    for (const name of Object.keys(r.raw[section] ?? {})) {
      const earlier = sections.slice(0, i).find((s) => r.raw[s]?.[name] !== undefined)
      if (earlier) {
        r.error([section, name], `"${name}" is also defined under ${earlier}: a host name must be unique across directors, real_servers and clients`, 'rename one of them (groups and --limit refer to hosts by name)', {key: true})
      }
    }
  }
}

/**
 * Each machine lbctl works on has its own address. Two real servers may share one when they are two services of one
 * machine on different ports (seeds 002 and 003: ms1/ms2/def on 192.168.8.111:8080–8082), as long as lbctl manages at
 * most one of them; a real server may even be a director's own web server on another port (seed 004), as long as
 * only HAProxy sends it traffic — LVS cannot balance to the director itself.
 */
function hostAddresses(r: Report): void {
  const {directors, realServers, clients} = r.cluster
  const lvsUsers = new Set(r.cluster.virtualServices.flatMap((vs) => vs.realServers.map((x) => x.name)))
  const haproxyUsers = new Set(Object.values(r.cluster.haproxyServers).flatMap((list) => list.map((x) => x.name)))
  const binds = r.raw.haproxy ? haproxyBinds(r.raw.haproxy) : []
  const at = (h: {origin: Path}) => [...h.origin, 'address']
  const seen: Array<{name: string; kind: string; origin: Path; address: string}> = []
  for (const h of [...directors, ...clients]) {
    const twin = seen.find((o) => o.address === h.address)
    if (twin) r.error(at(h), `${h.address} is also the address of ${kindOf(twin.kind)} ${twin.name} (${formatPath(at(twin))}): each host needs its own address`, 'correct the address, or remove the duplicate host')
    seen.push(h)
  }
  for (const [i, rs] of realServers.entries()) {
    const machine = seen.find((o) => o.address === rs.address)
    if (machine?.kind === 'client') {
      r.error(at(rs), `${rs.address} is also the address of client ${machine.name} (${formatPath(at(machine))}): each host needs its own address`, 'correct the address, or remove the duplicate host')
    } else if (machine) {
      const clash = binds.find((b) => b.port === rs.port && (b.address === undefined || b.address === rs.address))
      if (lvsUsers.has(rs.name)) {
        r.error(at(rs), `${rs.address} is the address of director ${machine.name}: LVS cannot balance to the director that runs it (the packets never leave the host)`, 'serve it from its own host, or through HAProxy (a backend may point at the director\'s own web server on another port)')
      } else if (rs.manage) {
        r.error(at(rs), `${rs.address} is the address of director ${machine.name}: lbctl would configure one machine both as a director and as a real server`, `set manage: false on ${rs.name}`)
      } else if (!haproxyUsers.has(rs.name)) {
        r.error(at(rs), `${rs.address} is also the address of director ${machine.name} (${formatPath(at(machine))}): each host needs its own address`, 'correct the address, or remove the duplicate host (a director\'s own web server may be an HAProxy backend on another port)')
      } else if (clash) {
        r.error(at(rs), `${rs.name} would listen on ${rs.address}:${rs.port}, which HAProxy binds on that director (${showBind(clash)}): the two cannot share the port`, `run ${rs.name} on another port (real_servers.${rs.name}.port)`)
      }
    }
    for (const other of realServers.slice(0, i).filter((o) => o.address === rs.address)) {
      if (other.port === rs.port) {
        r.error(at(rs), `${rs.address}:${rs.port} is also real server ${other.name} (${formatPath(at(other))}): the same service twice`, `use ${other.name}, or give ${rs.name} the port its service really listens on`)
      } else if (other.manage && rs.manage) {
        r.error(at(rs), `${rs.address} is also the address of real server ${other.name}, and lbctl manages both: it would set up one machine twice, from two different entries`, `set manage: false on one of them, or give each its own host`)
      }
    }
  }
}

// keepalived adds any address it is given; these are the ones that can never be a service address on a LAN.
function specialVip(r: Report, v: VipAt): boolean {
  const first = Number(v.address.split('.')[0])
  const why =
    first >= 224 && first <= 239 ? `is a multicast address${v.address === '224.0.0.18' ? ' (VRRP\'s own group: the adverts themselves go there)' : ''}: clients cannot open a connection to it, and the directors would join the group instead of answering ARP`
      : first >= 240 ? 'is in the reserved (or broadcast) range 240.0.0.0/4: no host sends to it'
        : first === 127 ? 'is a loopback address: it never leaves the director that holds it'
          : first === 0 ? 'is in 0.0.0.0/8, "this network": no host can send to it'
            : undefined
  if (why) r.error(v.path, `${v.address} ${why}`, 'use a free unicast address on the directors\' segment')
  return why !== undefined
}

/** 10.0.0.0/24 and 10.0.0.255/24 name the subnet and its broadcast: the kernel treats neither as one host's address. */
function boundaryVip(r: Report, v: VipAt): boolean {
  if (!v.explicit || v.prefix > 30) return false
  const net = network(v.address, v.prefix)
  const which = v.address === net.split('/')[0] ? 'network' : v.address === broadcast(v.address, v.prefix) ? 'broadcast' : undefined
  if (!which) return false
  r.error(v.path, `${v.address}/${v.prefix} is the ${which} address of ${net}: clients would ${which === 'broadcast' ? 'broadcast to every host on the segment' : 'reach no single host'}, not the VIP`, `use a host address inside ${net}`)
  return true
}

/**
 * A VIP is added to an interface with its prefix: on the director's main interface (where its address is) the two
 * must share a subnet, or the VIP lands on a subnet no client on the segment reaches. With `network`, every VIP of
 * the instance must be inside it.
 */
function outsideSegment(r: Report, v: VipAt): void {
  const inst = r.cluster.instances.find((i) => i.name === v.instance)!
  if (inst.network) {
    if (!sameNet(v.address, inst.network.address, inst.network.prefix)) {
      r.error(v.path, `${v.address} is outside ${inst.name}'s segment ${inst.network.address}/${inst.network.prefix} (vrrp_instances.${inst.name}.network): clients on the segment would not reach it`, `use an address inside ${inst.network.address}/${inst.network.prefix}, or correct network`)
    }
    return
  }
  if (!v.explicit || v.prefix > 30) return
  for (const m of inst.members) {
    const d = r.cluster.directors.find((x) => x.name === m.director)!
    if ((v.dev ?? m.interface) !== d.interface || !isIPv4(d.address) || sameNet(d.address, v.address, v.prefix)) continue
    r.error(
      v.path,
      `${v.address}/${v.prefix} is not on the subnet of ${d.interface}, where it is added: ${d.name}'s own address there, ${d.address}, is outside ${network(v.address, v.prefix)}, so clients on that segment would not reach the VIP`,
      `use a VIP inside ${d.name}'s subnet (with its real prefix), or put it on the interface of its own subnet with dev:`,
    )
    return
  }
}
