import type {VrrpInstance, VrrpMember} from '../model.js'
import {formatPath, type Path} from '../problems.js'
import {instanceSegment, sameNet} from './net.js'
import type {Report} from './report.js'

// VIPs and the VRID are declared once per instance, so every member of an instance renders the same
// virtual_ipaddress block and virtual_router_id: the "same VIP set and VRID on every director" rule of VRRP cannot
// be broken by construction, and no check is needed for it. What can differ per member is priority, state and
// interface — which is what the checks below look at. A VIP's `dev` may differ from a member's interface on purpose
// (keepalived adds it there; keepalived.conf(5) only warns about MAC learning switches), so that is not checked.
export function vrrpChecks(r: Report): void {
  for (const inst of r.cluster.instances) {
    initialStates(r, inst)
    election(r, inst)
    authentication(r, inst)
    advertInterval(r, inst)
    ownTrackedInterface(r, inst)
    if (inst.unicast && inst.members.length < 2) {
      r.error(r.field(inst, 'unicast'), `is on, but ${inst.name} runs on one director only: there is no peer to send adverts to (keepalived falls back to multicast with a warning, which fails keepalived -t)`, 'remove unicast, or run the instance on two directors')
    }
  }
  vridPerSegment(r)
  syncGroups(r)
}

/** keepalived honours nopreempt and preempt_delay only on an instance that starts in BACKUP state. */
function initialStates(r: Report, inst: VrrpInstance): void {
  const explicitMasters = inst.members
    .map((m) => ({m, path: r.stateOrigin(inst, m.director)}))
    .filter((x): x is {m: VrrpMember; path: Path} => x.m.state === 'MASTER' && x.path !== undefined)

  for (const [i, {m, path}] of explicitMasters.entries()) {
    if (i > 0) {
      const first = explicitMasters[0]
      r.error(
        path,
        `${m.director} starts ${inst.name} as MASTER, and so does ${first.m.director} (${formatPath(first.path)}): both would claim the VIPs at start-up until their adverts settle it`,
        'remove state here: lbctl starts the intended master as MASTER and every other director as BACKUP',
      )
    }
    if (inst.nopreempt) {
      r.error(
        path,
        `${m.director} starts ${inst.name} as MASTER, but ${inst.name} sets nopreempt: keepalived ignores nopreempt on an instance that starts as MASTER ("nopreempt will not work with initial state MASTER"), so ${m.director} would preempt anyway`,
        'remove state: under nopreempt lbctl starts every director as BACKUP, and the highest priority still wins the first election',
      )
    } else if (inst.preemptDelay) {
      r.error(
        path,
        `${m.director} starts ${inst.name} as MASTER, but keepalived ignores preempt_delay on an instance that starts as MASTER ("preempt delay will not work with initial state MASTER"), so ${m.director} would take the VIPs back without the ${inst.preemptDelay} s delay`,
        `remove state here; to choose the master use vrrp_instances.${inst.name}.master or a higher priority`,
      )
    }
  }

  if (inst.nopreempt && inst.preemptDelay !== undefined) {
    r.error(
      r.field(inst, 'preempt_delay'),
      'cannot go with nopreempt: keepalived refuses the pair ("preempt_delay is incompatible with nopreempt mode", which fails keepalived -t), and under nopreempt a backup never preempts, so there is nothing to delay',
      'remove preempt_delay, or remove nopreempt if the master should take the VIPs back after the delay',
    )
  }
}

/** keepalived already watches an instance's own interface; naming it again is a warning ("since own interface"). */
function ownTrackedInterface(r: Report, inst: VrrpInstance): void {
  for (const [i, t] of inst.trackInterfaces.entries()) {
    if (inst.syncGroup && t.weight) {
      r.error(
        [...inst.origin, 'track_interfaces', i, 'weight'],
        `is ${t.weight}, but ${inst.name} is in sync group ${inst.syncGroup}: keepalived ignores weights there ("ignoring tracked interface weight due to SYNC group", a warning that fails keepalived -t)`,
        `remove weight (a failed ${t.name} then puts the whole group in FAULT), or remove sync_group from vrrp_instances.${inst.name}`,
      )
    }
    const on = inst.members.filter((m) => m.interface === t.name).map((m) => m.director)
    if (on.length === 0) continue
    const raw = r.raw.vrrp_instances[inst.name]?.track_interfaces?.[i]
    r.error(
      typeof raw === 'string' ? [...inst.origin, 'track_interfaces', i] : [...inst.origin, 'track_interfaces', i, 'name'],
      `${t.name} is the interface ${inst.name} itself runs on (${on.join(', ')}): keepalived already goes to FAULT when it fails, and refuses to track it a second time ("Ignoring track_interface ${t.name} since own interface", which fails keepalived -t)`,
      'remove it; track_interfaces is for other links, like an uplink the VIP depends on',
    )
  }
}

/**
 * keepalived refuses a vrrp_sync_group with one instance ("has only 1 virtual router(s)"). A group is rendered per
 * director with the instances that director runs, so each director needs two of them.
 */
function syncGroups(r: Report): void {
  const groups = new Map<string, VrrpInstance[]>()
  for (const inst of r.cluster.instances) if (inst.syncGroup) groups.set(inst.syncGroup, [...(groups.get(inst.syncGroup) ?? []), inst])
  for (const [group, members] of groups) {
    for (const d of r.cluster.directors) {
      const mine = members.filter((i) => i.members.some((m) => m.director === d.name))
      if (mine.length !== 1) continue
      const lone = mine[0]!
      const others = members.filter((i) => i !== lone).map((i) => i.name)
      r.error(
        r.field(lone, 'sync_group'),
        others.length === 0
          ? `${group} has no other instance: keepalived refuses a sync group of one ("has only 1 virtual router(s)", which fails keepalived -t)`
          : `${group} has only ${lone.name} on ${d.name} (${others.join(', ')} ${others.length === 1 ? 'does' : 'do'} not run there): keepalived refuses a sync group of one ("has only 1 virtual router(s)")`,
        others.length === 0 ? 'put a second instance in the group, or remove sync_group' : `run ${others.join(', ')} on ${d.name} too, or remove sync_group`,
      )
    }
  }
  // Settings of a group no instance joins would never reach keepalived.
  for (const g of r.cluster.syncGroups.filter((x) => !groups.has(x.name))) {
    const used = [...groups.keys()]
    r.error(g.origin, `no instance has sync_group: ${g.name}, so keepalived would never see these settings`, used.length ? `use one of the groups the instances join (${used.join(', ')}), or add sync_group: ${g.name} to the instances that move together` : `add sync_group: ${g.name} to the instances that move together, or remove it`, {key: true})
  }
}

/** Where the intended master was named, mirroring the order resolve.ts uses (master, role, explicit state). */
function masterDesignation(r: Report, inst: VrrpInstance): Path | undefined {
  if (r.raw.vrrp_instances[inst.name]?.master !== undefined) return r.field(inst, 'master')
  const byRole = inst.members.find((m) => r.raw.directors[m.director]?.role === 'master')
  if (byRole) return ['directors', byRole.director, 'role']
  const byState = inst.members.find((m) => m.state === 'MASTER' && r.stateOrigin(inst, m.director))
  return byState ? r.stateOrigin(inst, byState.director) : undefined
}

function priorityField(inst: VrrpInstance, m: VrrpMember): string {
  return m.origin[m.origin.length - 1] === 'priority' ? formatPath(m.origin) : `vrrp_instances.${inst.name}.directors.${m.director}.priority`
}

/**
 * VRRP elects the highest priority; on a tie the higher primary address wins (RFC 5798 §6.4.3), which is an accident
 * of addressing rather than anything the operator wrote. So the master must strictly outrank every other member.
 */
function election(r: Report, inst: VrrpInstance): void {
  const master = inst.members.find((m) => m.director === inst.master)
  if (!master) return // an undefined master is reported by resolve.ts
  const others = inst.members.filter((m) => m !== master)

  const roleMasters = inst.members.filter((m) => r.raw.directors[m.director]?.role === 'master')
  if (r.raw.vrrp_instances[inst.name]?.master === undefined) {
    for (const m of roleMasters.slice(1)) {
      r.error(
        ['directors', m.director, 'role'],
        `${m.director} has role: master, and so does ${roleMasters[0].director}: an instance has one master, so lbctl would use ${roleMasters[0].director} and ignore this`,
        'set role: master on one director only, or name each instance\'s master with vrrp_instances.NAME.master',
      )
    }
  }

  const designation = masterDesignation(r, inst)
  if (designation) {
    const rival = others.filter((o) => o.priority >= master.priority).sort((a, b) => b.priority - a.priority)[0]
    if (!rival) return
    const path = master.origin[master.origin.length - 1] === 'priority' ? master.origin : designation
    const why =
      rival.priority > master.priority
        ? `${rival.director} outranks it: priority ${rival.priority} vs ${master.priority}, ${rival.priority - master.priority} higher, and VRRP elects the highest priority`
        : `${rival.director} has the same priority (${master.priority}): VRRP then elects the higher primary address, not the director you named`
    const raise = rival.priority < 254 ? `give ${master.director} a priority above ${rival.priority} (${priorityField(inst, master)}: ${rival.priority + 1}), or ` : ''
    r.error(
      path,
      `${master.director} is meant to be MASTER of ${inst.name} (${formatPath(designation)}), but ${why}`,
      `${raise}lower ${rival.director}'s priority below ${master.priority} (${priorityField(inst, rival)})`,
    )
    return
  }

  const tied = others.filter((o) => o.priority === master.priority)
  for (const t of tied) {
    r.error(
      t.origin,
      `${t.director} and ${master.director} tie at priority ${master.priority} in ${inst.name} and no master is named: VRRP then elects the higher primary address, so the master is an accident of addressing`,
      `give the intended master a higher priority, or name it with vrrp_instances.${inst.name}.master`,
    )
  }
}

function authentication(r: Report, inst: VrrpInstance): void {
  const raw = r.raw.vrrp_instances[inst.name]
  if (!raw) return
  const written = raw.auth_pass !== undefined ? 'auth_pass' : raw.auth_type !== undefined ? 'auth_type' : undefined
  if (inst.version === 3 && written) {
    r.error(
      r.field(inst, written),
      'VRRP version 3 has no authentication (RFC 5798 defines none): keepalived ignores it ("VRRP version 3 does not support authentication")',
      'remove auth_pass and auth_type, or use version: 2',
    )
    return
  }
  if (raw.auth_type !== undefined && raw.auth_pass === undefined) {
    r.error(
      r.field(inst, 'auth_type'),
      'is set without auth_pass: keepalived ignores the authentication ("Authentication specified but no password given")',
      'add auth_pass (at most 8 characters, e.g. "${env:VRRP_PASS}"), or remove auth_type',
    )
  }
  // An unresolved ${env:…}/${file:…} is already reported by secrets.ts; its length means nothing.
  const pass = inst.authPass
  if (pass === undefined || /\$\{(env|file):/.test(pass)) return
  const bytes = Buffer.byteLength(pass)
  if (bytes > 8) {
    r.error(
      r.field(inst, 'auth_pass'),
      `is ${bytes} ${bytes === pass.length ? 'characters' : 'bytes'} long, but VRRP carries 8: keepalived keeps only the first 8 ("Truncating auth_pass to 8 characters"), so any password sharing them would be accepted`,
      'use a password of at most 8 characters',
    )
  }
}

function advertInterval(r: Report, inst: VrrpInstance): void {
  if (r.raw.vrrp_instances[inst.name]?.advert_int === undefined) return
  const a = inst.advertInt
  const path = r.field(inst, 'advert_int')
  if (inst.version === 2 && !Number.isInteger(a)) {
    r.error(
      path,
      `${a} is not a whole number of seconds: VRRP version 2 carries the interval in whole seconds, so keepalived would round it`,
      'use a whole number like 1, or set version: 3 for intervals in hundredths of a second',
    )
  } else if (inst.version === 3 && a > 40.95) {
    r.error(path, `${a} is above 40.95, the longest interval VRRP version 3 can carry (12 bits of hundredths of a second)`, 'use at most 40.95, or version: 2')
  } else if (inst.version === 3 && Math.abs(a * 100 - Math.round(a * 100)) > 1e-6) {
    r.error(path, `${a} has more than two decimals: VRRP version 3 counts the interval in hundredths of a second (RFC 5798), so keepalived would round it`, 'use at most two decimals, like 0.25')
  }
}

/**
 * Routers on one L2 segment are told apart only by VRID, so two instances there with the same VRID take each other's
 * adverts as their own. Members share a segment when they use the same interface of the same director, or the same
 * interface name on directors whose addresses are on one subnet. With unicast on both sides adverts only reach the
 * listed peers, so (as keepalived.conf(5) allows) only a shared director interface clashes.
 */
function vridPerSegment(r: Report): void {
  const instances = r.cluster.instances
  const address = (d: string) => r.cluster.directors.find((x) => x.name === d)?.address ?? '0.0.0.0'
  const used = new Set(instances.map((i) => i.vrid))
  for (const [j, b] of instances.entries()) {
    for (const a of instances.slice(0, j)) {
      if (a.vrid !== b.vrid) continue
      const prefix = Math.min(instanceSegment(a, r.cluster.directors).prefix, instanceSegment(b, r.cluster.directors).prefix)
      const clash = a.members.flatMap((m) =>
        b.members
          .filter((n) => n.interface === m.interface)
          .filter((n) => m.director === n.director || (!(a.unicast && b.unicast) && sameNet(address(m.director), address(n.director), prefix)))
          .map((n) => ({m, n})),
      )[0]
      if (!clash) continue
      const where =
        clash.m.director === clash.n.director
          ? `both run on ${clash.m.director}'s ${clash.m.interface}`
          : `both run on ${clash.m.interface} of directors on one subnet (${clash.m.director} for ${a.name}, ${clash.n.director} for ${b.name})`
      const free = [...Array(255).keys()].map((k) => ((b.vrid + k) % 255) + 1).find((v) => !used.has(v))
      r.error(
        r.field(b, 'virtual_router_id'),
        `${b.vrid} is also the VRID of vrrp_instances.${a.name}, and ${where}: VRRP tells routers on a segment apart only by VRID, so each would take the other's adverts as its own`,
        free ? `use a VRID no other instance on that segment uses, e.g. ${free}` : 'use a VRID no other instance on that segment uses',
      )
    }
  }
}
