/**
 * An Ansible inventory → the hosts, SSH settings and groups of an lbctl inventory. Each host's settings are what
 * Ansible itself would use (all < parent groups < child groups, alphabetical at one depth < the host); they are
 * then written once where they are shared — groups.all, groups.directors, groups.real_servers — and on the host
 * otherwise, so lbctl's layering gives every host exactly what Ansible gave it.
 */
import {isIPv4} from 'node:net'
import {NAME_RE} from '../../inventory/schema/common.js'
import {isAddressOrName} from '../../inventory/names.js'
import type {Problem} from '../../inventory/problems.js'
import {meaningOf, type SshFields} from './connection.js'
import {problemAt, type AnsibleInventory, type AnsibleVar} from './model.js'

const DIRECTOR_GROUPS = ['lb', 'lbs', 'loadbalancer', 'loadbalancers', 'load_balancers', 'haproxy', 'keepalived', 'directors', 'lvs']
const REAL_SERVER_GROUPS = ['web', 'webs', 'webservers', 'web_servers', 'www', 'app', 'apps', 'appservers', 'backend', 'backends', 'real_servers']

/** A value and the Ansible variable it came from (for the comment that says so). */
export interface Sourced {
  value: unknown
  from: AnsibleVar & {name: string}
}

export type Settings = Record<string, Sourced>

export interface ImportedHost {
  name: string
  /** The Ansible inventory name, when lbctl had to rename the host. */
  ansibleName: string
  address: string
  addressFrom?: Sourced['from']
  own: {ssh: Settings; vars: Settings}
}

export interface Plan {
  directorGroup: string
  realServerGroup: string
  shared: Record<'all' | 'directors' | 'real_servers', {ssh: Settings; vars: Settings}>
  directors: ImportedHost[]
  realServers: ImportedHost[]
  /** Other Ansible groups of imported hosts, kept as lbctl groups (membership: playbooks and --limit use them). */
  custom: Array<{name: string; hosts: string[]}>
  /** Hosts left out (neither directors nor real servers), with a group they are in. */
  skipped: string[]
  /** Ansible settings that mean nothing to lbctl, and why: said in the file's header. */
  ignored: string[]
  problems: Problem[]
}

export interface Choice {
  directors?: string
  realServers?: string
}

export function planImport(inv: AnsibleInventory, choice: Choice): Plan | Problem[] {
  const tree = new GroupTree(inv)
  const pick = (flag: string, given: string | undefined, candidates: string[], what: string): string | Problem => {
    const groups = [...inv.groups.keys()].filter((g) => g !== 'all' && g !== 'ungrouped')
    const found = given ?? candidates.find((c) => tree.members(c).length > 0)
    if (found !== undefined && tree.members(found).length > 0) return found
    const message = given === undefined ? `has no group lbctl recognises as the ${what}` : `has no group "${given}" with hosts in it`
    return {file: inv.file, line: 0, column: 0, path: flag, message, hint: `name the group of ${what} with ${flag} GROUP (groups: ${groups.join(', ') || 'none'})`}
  }
  const dg = pick('--directors', choice.directors, DIRECTOR_GROUPS, 'directors (load balancers)')
  const rg = pick('--real-servers', choice.realServers, REAL_SERVER_GROUPS, 'real servers (web or app servers)')
  if (typeof dg !== 'string' || typeof rg !== 'string') return [dg, rg].filter((x): x is Problem => typeof x !== 'string')

  const problems: Problem[] = []
  const ignored = new Set<string>()
  const names = new Map<string, string>()
  const taken = new Set<string>()
  const both = tree.members(dg).filter((h) => tree.members(rg).includes(h))
  for (const h of both) problems.push(problemAt(inv, inv.hosts.get(h)!.at, h, `is in both ${dg} and ${rg}: lbctl configures a host either as a director or as a real server`, `import it in one role: take it out of one group, or name other groups with --directors/--real-servers`))

  const imported = (group: string) =>
    tree.members(group).filter((h) => !both.includes(h)).map((h) => importHost(inv, tree, h, {names, taken, problems, ignored}))
  const directors = imported(dg)
  const realServers = imported(rg)
  const all = [...directors, ...realServers]
  const shared = {
    all: share(all),
    directors: {ssh: {}, vars: {}},
    real_servers: {ssh: {}, vars: {}},
  }
  shared.directors = share(directors, shared.all)
  shared.real_servers = share(realServers, shared.all)
  for (const h of directors) trim(h, shared.all, shared.directors)
  for (const h of realServers) trim(h, shared.all, shared.real_servers)

  const importedNames = new Set(all.map((h) => h.ansibleName))
  const custom = [...inv.groups.keys()]
    .filter((g) => !['all', 'ungrouped', dg, rg].includes(g) && NAME_RE.test(g) && !['directors', 'real_servers', 'clients'].includes(g))
    .map((g) => ({name: g, hosts: tree.members(g).filter((h) => importedNames.has(h) && !both.includes(h)).map((h) => names.get(h)!)}))
    .filter((g) => g.hosts.length > 0)
  const skipped = [...inv.hosts.keys()].filter((h) => !importedNames.has(h) && !both.includes(h)).map((h) => `${h} (${tree.direct(h).join(', ') || 'ungrouped'})`)
  return {directorGroup: dg, realServerGroup: rg, shared, directors, realServers, custom, skipped, ignored: [...ignored].sort(), problems: dedupe(problems)}
}

interface Seen {
  names: Map<string, string>
  taken: Set<string>
  problems: Problem[]
  ignored: Set<string>
}

function importHost(inv: AnsibleInventory, tree: GroupTree, ansibleName: string, seen: Seen): ImportedHost {
  const host = inv.hosts.get(ansibleName)!
  const ssh: Settings = {}
  const vars: Settings = {}
  let address: string = ansibleName
  let addressFrom: Sourced['from'] | undefined
  for (const [name, v] of Object.entries(tree.effectiveVars(ansibleName))) {
    const from = {...v, name}
    const meaning = meaningOf(name, v.value)
    if (meaning.kind === 'refused') seen.problems.push(problemAt(inv, v, `${name} (${v.where})`, meaning.message, meaning.hint))
    else if (meaning.kind === 'ignored') seen.ignored.add(`${name}: ${meaning.why}`)
    else if (meaning.kind === 'address') [address, addressFrom] = [meaning.value, from]
    else if (meaning.kind === 'ssh') for (const [k, value] of Object.entries(meaning.fields as SshFields)) ssh[k] = {value, from}
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) vars[name] = {value: v.value, from}
    else seen.problems.push(problemAt(inv, v, `${name} (${v.where})`, 'is not a variable name lbctl can keep', 'use letters, digits and "_"'))
  }
  if (!isAddressOrName(address)) {
    const at = addressFrom ?? host.at
    seen.problems.push(problemAt(inv, at, addressFrom ? `ansible_host (${at.where})` : ansibleName, `"${address}" is neither an IPv4 address nor a host name lbctl can resolve`, addressFrom ? 'write the host\'s address or DNS name' : `give ${ansibleName} an ansible_host with its address or DNS name`))
  }
  const name = lbctlName(ansibleName, address, tree.direct(ansibleName)[0] ?? 'host', seen.taken)
  seen.names.set(ansibleName, name)
  return {name, ansibleName, address, addressFrom, own: {ssh, vars}}
}

/** The Ansible name when lbctl accepts it as a host name; otherwise GROUP-ADDRESS (an inventory of bare IPs). */
function lbctlName(ansibleName: string, address: string, group: string, taken: Set<string>): string {
  let name = NAME_RE.test(ansibleName) ? ansibleName : `${group}-${(isIPv4(address) ? address : ansibleName).replace(/[^A-Za-z0-9_.-]/g, '-')}`.slice(0, 60)
  if (!/^[A-Za-z]/.test(name)) name = `h${name}`.slice(0, 60)
  for (let i = 2; taken.has(name); i++) name = `${name.replace(/_\d+$/, '')}_${i}`
  taken.add(name)
  return name
}

const same = (a: Sourced | undefined, b: Sourced | undefined) => a !== undefined && b !== undefined && JSON.stringify(a.value) === JSON.stringify(b.value)

/** The settings every host of `hosts` has with one value, except what `outer` already gives them all. */
function share(hosts: ImportedHost[], outer?: {ssh: Settings; vars: Settings}): {ssh: Settings; vars: Settings} {
  const out = {ssh: {} as Settings, vars: {} as Settings}
  if (hosts.length === 0) return out
  for (const kind of ['ssh', 'vars'] as const) {
    for (const [k, v] of Object.entries(hosts[0]!.own[kind])) {
      if (same(outer?.[kind][k], v)) continue
      if (hosts.every((h) => same(h.own[kind][k], v))) out[kind][k] = v
    }
  }
  return out
}

/** Drops from a host what its groups already give it. */
function trim(h: ImportedHost, all: {ssh: Settings; vars: Settings}, role: {ssh: Settings; vars: Settings}): void {
  for (const kind of ['ssh', 'vars'] as const) {
    for (const k of Object.keys(h.own[kind])) {
      const inherited = role[kind][k] ?? all[kind][k]
      if (same(inherited, h.own[kind][k])) delete h.own[kind][k]
    }
  }
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const key = `${p.line}:${p.column}:${p.message}`
    return !seen.has(key) && (seen.add(key), true)
  })
}

/** Groups as Ansible relates them: members through children, depth from `all`, and the order variables apply in. */
class GroupTree {
  private readonly parents = new Map<string, string[]>()

  constructor(private readonly inv: AnsibleInventory) {
    for (const g of inv.groups.values()) for (const c of g.children) this.parents.set(c, [...(this.parents.get(c) ?? []), g.name])
  }

  /** Every host of the group, its child groups' included. */
  members(group: string, seen = new Set<string>()): string[] {
    const g = this.inv.groups.get(group)
    if (!g || seen.has(group)) return []
    seen.add(group)
    if (group === 'all') return [...this.inv.hosts.keys()]
    return [...new Set([...g.hosts, ...g.children.flatMap((c) => this.members(c, seen))])]
  }

  /** The groups that list the host itself. */
  direct(host: string): string[] {
    return [...this.inv.groups.values()].filter((g) => g.name !== 'all' && g.hosts.includes(host)).map((g) => g.name)
  }

  private depth(group: string, seen = new Set<string>()): number {
    if (group === 'all' || seen.has(group)) return 0
    seen.add(group)
    return 1 + Math.max(0, ...(this.parents.get(group) ?? []).map((p) => this.depth(p, new Set(seen))))
  }

  private ancestors(group: string, out = new Set<string>()): Set<string> {
    if (out.has(group)) return out
    out.add(group)
    for (const p of this.parents.get(group) ?? []) this.ancestors(p, out)
    return out
  }

  /** The host's variables as Ansible resolves them: all, then groups by depth and name, then the host's own. */
  effectiveVars(host: string): Record<string, AnsibleVar> {
    const groups = new Set<string>(['all'])
    for (const g of this.direct(host)) this.ancestors(g, groups)
    const ordered = [...groups].sort((a, b) => (a === 'all' ? -1 : b === 'all' ? 1 : this.depth(a) - this.depth(b) || a.localeCompare(b)))
    const out: Record<string, AnsibleVar> = {}
    for (const g of ordered) Object.assign(out, this.inv.groups.get(g)?.vars ?? {})
    return Object.assign(out, this.inv.hosts.get(host)?.vars ?? {})
  }
}
