/**
 * An Ansible inventory as its three formats (INI, YAML, `ansible-inventory --list` JSON) all describe it: hosts,
 * groups with child groups, and variables — each remembering the line it was written on, so whatever lbctl cannot
 * map is refused where the operator wrote it.
 */
import type {Problem} from '../../inventory/problems.js'

export interface Written {
  line: number
  column: number
  /** Where it was written, as an Ansible user says it: `[web:vars]`, `host lb1`, `all.vars`. */
  where: string
}

/** A value encrypted with ansible-vault: lbctl cannot read it. */
export const VAULTED = Object.freeze({vaulted: true})

export interface AnsibleVar extends Written {
  value: unknown
}

export type Vars = Record<string, AnsibleVar>

export interface AnsibleHost {
  name: string
  vars: Vars
  /** Where the host is first listed. */
  at: Written
}

export interface AnsibleGroup {
  name: string
  hosts: string[]
  children: string[]
  vars: Vars
  at: Written
}

export interface AnsibleInventory {
  file: string
  /** The file's lines, for the excerpt under a problem. */
  lines: string[]
  groups: Map<string, AnsibleGroup>
  hosts: Map<string, AnsibleHost>
  problems: Problem[]
}

export function emptyInventory(file: string, text: string): AnsibleInventory {
  return {file, lines: text.split(/\r?\n/), groups: new Map(), hosts: new Map(), problems: []}
}

/** The group, created (empty, at `at`) when first named: Ansible lets `[web:vars]` come before `[web]`. */
export function groupOf(inv: AnsibleInventory, name: string, at: Written): AnsibleGroup {
  let g = inv.groups.get(name)
  if (!g) inv.groups.set(name, (g = {name, hosts: [], children: [], vars: {}, at}))
  return g
}

export function hostOf(inv: AnsibleInventory, name: string, at: Written): AnsibleHost {
  let h = inv.hosts.get(name)
  if (!h) inv.hosts.set(name, (h = {name, vars: {}, at}))
  return h
}

export function problemAt(inv: AnsibleInventory, at: {line: number; column: number}, path: string, message: string, hint: string): Problem {
  return {file: inv.file, line: at.line, column: at.column, path, message, hint, source: inv.lines[at.line - 1]}
}

/**
 * Ansible's host patterns: `web[01:04].example.com` is web01 … web04 (leading zeros kept), `db-[a:c]` is db-a … db-c,
 * `[1:9:2]` steps by 2. Undefined when the range is malformed.
 */
export function expandHostPattern(pattern: string): string[] | undefined {
  const m = /^(.*?)\[([0-9a-z]+):([0-9a-z]+)(?::([0-9]+))?\](.*)$/i.exec(pattern)
  if (!m) return [pattern]
  const [, head, from, to, stepText, tail] = m
  const step = stepText === undefined ? 1 : Number(stepText)
  const rest = expandHostPattern(tail!)
  if (!rest || step < 1) return undefined
  const out: string[] = []
  if (/^[0-9]+$/.test(from!) && /^[0-9]+$/.test(to!)) {
    const width = from!.length === to!.length && from!.startsWith('0') ? from!.length : 0
    for (let n = Number(from); n <= Number(to); n += step) for (const r of rest) out.push(`${head}${String(n).padStart(width, '0')}${r}`)
  } else if (/^[a-z]$/.test(from!) && /^[a-z]$/.test(to!)) {
    for (let c = from!.charCodeAt(0); c <= to!.charCodeAt(0); c += step) for (const r of rest) out.push(`${head}${String.fromCharCode(c)}${r}`)
  } else return undefined
  return out.length > 0 && out.length <= 10_000 ? out : undefined
}
