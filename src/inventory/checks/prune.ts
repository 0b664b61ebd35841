import type {z} from 'zod'
import type {Path, Problem} from '../problems.js'

/**
 * Entries whose removal can only take problems away from the reference and cluster checks (besides references to
 * the entry itself, which `keep` drops): removing a director, an instance, a group, notifications or HAProxy
 * defaults would change priorities, memberships, inherited settings or modes, and the checks would then report
 * problems the operator does not have. Schema errors anywhere else stop at the schema step, as before.
 */
const NAMED = new Set(['real_servers', 'clients', 'vrrp_scripts', 'virtual_servers', 'vrrp_sync_groups'])
const HAPROXY_NAMED = new Set(['frontends', 'backends', 'listens'])
const HAPROXY_SECTIONS = new Set(['global', 'stats'])
const SECTIONS = new Set(['description', 'keepalived', 'deploy'])

// How resolve.ts and the checks name each kind of entry in their "KIND "NAME" is not defined" messages.
const REFERRED_AS: Record<string, string[]> = {
  real_servers: ['real server', 'host'],
  clients: ['host'],
  vrrp_scripts: ['vrrp_script'],
  backends: ['backend'],
  listens: ['backend'],
}

const TOP = new Set(['name', 'directors', 'vrrp_instances', 'groups', 'notifications', 'haproxy', ...NAMED, ...SECTIONS])

// Lists of raw lines (grammar/*.ts): a refused line is replaced by one that changes nothing any check looks at, so the
// rest of its section is still checked and every other line keeps its index (and so its position in messages).
const RAW_LINES: Record<string, string> = {options: 'tcpka', http_request: 'allow', extra: 'noepoll', extra_global_defs: 'vrrp_no_swap'}

/**
 * Leaves no cluster check reads (they only end up in rendered files): a broken one is replaced by a neutral valid
 * value, so a typo in a mail address does not hide every cluster problem.
 */
function neutralValue(path: Path): unknown {
  const [head, second, third, fourth] = path
  if (head === 'notifications' && second === 'email') {
    if (third === 'to' && typeof fourth === 'number') return 'placeholder@invalid'
    if (third === 'from') return 'placeholder@invalid'
    if (third === 'smtp_server') return '127.0.0.1'
  }
  if (head === 'vrrp_instances' && third === 'notify' && typeof fourth === 'string' && path.length === 4) return '/bin/true'
  if (head === 'vrrp_instances' && third === 'auth_pass' && path.length === 3) return 'x'
  return undefined
}

/** The part of the inventory to drop for an issue at `path`, or undefined when dropping would mislead. */
function unitFor(path: Path): Path | undefined {
  const [head, second, third] = path
  if (typeof head !== 'string') return undefined
  if (!TOP.has(head)) return [head] // an unknown top-level field did nothing anyway
  if (NAMED.has(head)) return second === undefined ? [head] : [head, second]
  if (SECTIONS.has(head)) return [head]
  if (head === 'haproxy' && typeof second === 'string') {
    if (HAPROXY_NAMED.has(second) && third !== undefined) return [head, second, third]
    if (HAPROXY_SECTIONS.has(second)) return [head, second]
  }
  return undefined
}

/**
 * A copy of the inventory without the entries that failed the schema, so references and cluster checks can still
 * run on the rest; `keep` drops "… is not defined" problems about the removed entries. Undefined when any failing
 * part cannot be dropped safely (see above).
 */
export function pruneInvalid(value: unknown, issues: readonly z.core.$ZodIssue[]): {value: unknown; keep: (p: Problem[]) => Problem[]} | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined
  const copy = structuredClone(value) as Record<string, unknown>
  const removed: Array<{kind: string; name?: string}> = []
  const paths = issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => [...(i.path as Path), k]) : [i.path as Path]))
  for (const path of paths) {
    if (path.length === 1 && path[0] === 'name') {
      copy.name = 'unnamed'
      continue
    }
    const [last, list] = [path[path.length - 1], path[path.length - 2]]
    if (typeof last === 'number' && typeof list === 'string' && RAW_LINES[list] !== undefined) {
      const entries = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], copy)
      if (Array.isArray(entries)) {
        entries[last] = RAW_LINES[list]
        continue
      }
    }
    const neutral = neutralValue(path)
    if (neutral !== undefined) {
      const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], copy)
      if (parent && typeof parent === 'object') (parent as Record<string | number, unknown>)[path[path.length - 1]!] = neutral
      continue
    }
    const unit = unitFor(path)
    if (!unit) return undefined
    const parent = unit.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], copy)
    if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[String(unit[unit.length - 1])]
    // A whole section dropped (real_servers: "x") hides every name in it; an entry hides its own name.
    const [section, name] = unit.length === 1 ? [String(unit[0]), undefined] : [String(unit[unit.length - 2]), String(unit[unit.length - 1])]
    for (const kind of REFERRED_AS[section] ?? []) removed.push({kind, name})
  }
  const hides = (message: string) =>
    message.includes('" is not defined') && removed.some((r) => message.startsWith(r.name === undefined ? `${r.kind} "` : `${r.kind} "${r.name}" `))
  const keep = (problems: Problem[]) => problems.filter((p) => !hides(p.message))
  return {value: copy, keep}
}

