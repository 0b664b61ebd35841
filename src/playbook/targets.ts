import type {Cluster, Host} from '../inventory/model.js'
import type {Playbook} from './schema.js'

/**
 * Host groups a play can target. The ordering ones exist for HA safety: backup_directors are the directors that
 * are intended MASTER of no VRRP instance, master_directors the others (in an active-active cluster both).
 */
export function groupMembers(cluster: Cluster, group: string): Host[] | undefined {
  const masters = new Set(cluster.instances.map((i) => i.master))
  switch (group) {
    case 'all':
      return [...cluster.directors, ...cluster.realServers]
    case 'directors':
      return cluster.directors
    case 'real_servers':
      return cluster.realServers
    case 'managed_real_servers':
      return cluster.realServers.filter((r) => r.manage)
    case 'backup_directors':
      return cluster.directors.filter((d) => !masters.has(d.name))
    case 'master_directors':
      return cluster.directors.filter((d) => masters.has(d.name))
    default: {
      const custom = cluster.groups[group]
      if (custom) return [...cluster.directors, ...cluster.realServers].filter((h) => custom.includes(h.name))
      const host = [...cluster.directors, ...cluster.realServers].find((h) => h.name === group)
      return host ? [host] : undefined
    }
  }
}

/** Hosts of a play's `hosts:` patterns, in inventory order, without duplicates. Unknown names are an error. */
export function playHosts(cluster: Cluster, patterns: string | string[]): Host[] {
  const wanted = new Set<string>()
  for (const p of Array.isArray(patterns) ? patterns : [patterns]) {
    const members = groupMembers(cluster, p)
    if (!members) throw new Error(`play targets "${p}", which is neither a group nor a host of inventory ${cluster.name}`)
    for (const h of members) wanted.add(h.name)
  }
  return [...cluster.directors, ...cluster.realServers].filter((h) => wanted.has(h.name))
}

/**
 * `--limit` like Ansible: comma-separated host names or group names; `!name` excludes. An unknown name is an error
 * rather than silently matching nothing.
 */
export function limitFilter(cluster: Cluster, limit: string | undefined): (h: Host) => boolean {
  if (!limit) return () => true
  const include = new Set<string>()
  const exclude = new Set<string>()
  let sawInclude = false
  for (const raw of limit.split(',').map((s) => s.trim()).filter(Boolean)) {
    const neg = raw.startsWith('!')
    const name = neg ? raw.slice(1) : raw
    const members = groupMembers(cluster, name)
    if (!members) throw new Error(`--limit: "${name}" is neither a host nor a group of inventory ${cluster.name}`)
    for (const h of members) (neg ? exclude : include).add(h.name)
    if (!neg) sawInclude = true
  }
  return (h) => (!sawInclude || include.has(h.name)) && !exclude.has(h.name)
}

/**
 * `--start-at-task NAME`, like Ansible: the plays before the first task of that name are left out, and in its play
 * the steps before it (handlers stay, notified or not as usual). Undefined when no task or post-task has that name.
 */
export function startAtTask(pb: Playbook, name: string): Playbook | undefined {
  const p = pb.plays.findIndex((play) => [...play.tasks, ...(play.post_tasks ?? [])].some((t) => t.name === name))
  if (p < 0) return undefined
  const play = pb.plays[p]
  const t = play.tasks.findIndex((task) => task.name === name)
  const first = t >= 0 ? {...play, tasks: play.tasks.slice(t)} : {...play, tasks: [], post_tasks: (play.post_tasks ?? []).slice((play.post_tasks ?? []).findIndex((task) => task.name === name))}
  return {...pb, plays: [first, ...pb.plays.slice(p + 1)]}
}

/** Each play's hosts once --limit is applied: what --list-hosts prints and what the run connects to. */
export function playTargets(cluster: Cluster, pb: Playbook, limit: string | undefined): {name: string; hosts: Host[]; cluster?: 'new' | 'serving'}[] {
  const inLimit = limitFilter(cluster, limit)
  return pb.plays.map((p) => ({name: p.name, hosts: playHosts(cluster, p.hosts).filter(inLimit), cluster: p.cluster}))
}
