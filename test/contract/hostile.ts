/**
 * Hostile strings, put into every string field (and every name) of an inventory that sets them all, one at a time.
 * Each must be refused with a problem at that field's line, or render inert: parsed back the way keepalived, HAProxy
 * and sh read them, the files have the same directives, sections and commands as before (each line's first word
 * and word count), and wherever the value appears it reads back whole, in one word — and the daemons accept them.
 */
import fc from 'fast-check'
import {isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node} from 'yaml'
import type {RenderedFile} from '../../src/render/index.js'
import {spellings} from '../helpers/canary.js'
import {checkFile, checkInventory} from './check.js'
import {skeleton, tokensOf} from './parse-back.js'
import {FIXTURE_HOSTS} from '../helpers/names.js'

export const HOSTILE: readonly string[] = [
  'x\n}\nvrrp_instance EVIL {\n    priority 200\n',
  'x } vrrp_instance EVIL { priority 200 }',
  'x"\n    notify_master "/tmp/pwn',
  'x" notify_master "/tmp/pwn',
  'x # cut here',
  'x ! cut here',
  "x'; touch /tmp/pwn; '",
  '$(touch /tmp/pwn)',
  '`touch /tmp/pwn`',
  'a\\" b \\',
  'listen evil\n    bind :6666\n    server s 127.0.0.1:22',
  'bind :6666',
  'x\u0000y',
  '${HOME} $HOME',
  'include /etc/passwd',
  '@lb1 vrrp_strict',
  'é ü 中 \u2028',
  ' leading and trailing ',
  '-rf',
  '',
  'A'.repeat(5000),
]

/** More of them: short strings over an alphabet of every character that means something to one of the languages. */
export const randomHostile = fc.string({unit: fc.constantFrom('a', ' ', '\n', '\t', '"', "'", '\\', '#', '!', '{', '}', '$', '`', ';', '|', '&', '<', '\0', '%', '[', 'é'), minLength: 1, maxLength: 10})

export type Path = (string | number)[]
export interface Field {
  path: Path
  /** A name (a mapping key) rather than a value. */
  key: boolean
}

// Mappings whose keys are names the inventory chooses (hosts, instances, sections…), not field names.
const NAMED = new Set(['groups', 'directors', 'real_servers', 'clients', 'vrrp_scripts', 'vrrp_instances', 'vrrp_sync_groups', 'virtual_servers', 'frontends', 'backends', 'listens', 'acls', 'sysctls', 'vars'])

export function stringFields(doc: unknown, path: Path = []): Field[] {
  if (typeof doc === 'string') return [{path, key: false}]
  if (Array.isArray(doc)) return doc.flatMap((v, i) => stringFields(v, [...path, i]))
  if (doc && typeof doc === 'object') {
    const named = NAMED.has(String(path[path.length - 1])) || (path[0] === 'vrrp_instances' && path[2] === 'directors' && path.length === 3)
    return Object.entries(doc).flatMap(([k, v]) => [...(named ? [{path: [...path, k], key: true}] : []), ...stringFields(v, [...path, k])])
  }
  return []
}

export function withValue(doc: unknown, field: Field, value: string): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>
  const parent = field.path.slice(0, -1).reduce<Record<string | number, unknown>>((v, k) => v[k] as Record<string | number, unknown>, copy)
  const last = field.path[field.path.length - 1]!
  if (!field.key) parent[last] = value
  else {
    // Rename the key in place, keeping the order of the mapping.
    const entries = Object.entries(parent).map(([k, v]) => [k === String(last) ? value : k, v] as const)
    for (const k of Object.keys(parent)) delete parent[k]
    for (const [k, v] of entries) parent[k] = v
  }
  return copy
}

/** The line the field (its key, for a name) is on in `text`. */
export function lineOf(text: string, field: Field, value: string): number {
  const counter = new LineCounter()
  const doc = parseDocument(text, {lineCounter: counter})
  const path = field.key ? [...field.path.slice(0, -1), value] : field.path
  let node: unknown = doc.contents
  let offset = 0
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part))
      offset = (pair?.key as Node | undefined)?.range?.[0] ?? offset
      node = pair?.value
    } else if (isSeq(node)) node = node.items[part as number]
    if (!field.key || part !== path[path.length - 1]) offset = (node as Node | undefined)?.range?.[0] ?? offset
  }
  return counter.linePos(offset).line
}

export interface HostileResult {
  verdict: 'rejected' | 'rendered'
  /** Each broken promise, empty when the value was refused at its line or rendered inert. */
  failures: string[]
}

/** One hostile value in one field of `base` (whose own render is `baseFiles`). */
export async function tryHostile(base: unknown, baseFiles: RenderedFile[], env: NodeJS.ProcessEnv, field: Field, value: string): Promise<HostileResult> {
  const text = stringify(withValue(base, field, value))
  const at = `${field.key ? 'name' : 'field'} ${field.path.join('.')} = ${JSON.stringify(value.slice(0, 60))}`
  const o = await checkInventory(text, env, {daemons: false, hosts: FIXTURE_HOSTS})
  if (o.verdict === 'rejected') {
    const line = lineOf(text, field, value)
    // Renaming a host or section to another valid name leaves its references pointing nowhere: those are the problems
    // (and what follows from them, e.g. an instance that no longer runs on the renamed director).
    const here = o.problems.some((p) => p.line === line) || (field.key && o.problems.some((p) => p.message.includes('is not defined')))
    return {verdict: 'rejected', failures: [...o.failures.map((f) => `${at}: ${f}`), ...(here || o.failures.length ? [] : [`${at}: refused, but no problem at its line ${line}: ${o.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`).join('; ')}`])]}
  }
  const failures = o.failures.map((f) => `${at}: ${f}`)
  const byPath = new Map(baseFiles.map((f) => [f.path, f]))
  if (o.files.length !== baseFiles.length) failures.push(`${at}: renders ${o.files.length} files instead of ${baseFiles.length}`)
  for (const f of o.files) {
    const was = byPath.get(f.path)
    const tokens = tokensOf(f.path, f.kind, f.content)
    if (was && skeleton(tokens).join('\n') !== skeleton(tokensOf(was.path, was.kind, was.content)).join('\n')) failures.push(`${at}: changes the directives of ${f.path}:\n${f.content}`)
    // Only where the value put it: a "$" or "`" that the file's own text already holds says nothing about the value.
    const shown = value.length > 0 && spellings(value).some((s) => f.content.includes(s) && !was?.content.includes(s))
    if (shown && value.trim() !== '' && !tokens.flat().some((t) => t.includes(value.trim()))) failures.push(`${at}: does not read back whole from ${f.path}:\n${f.content}`)
    const daemon = await checkFile(f, o.files)
    if (daemon) failures.push(`${at}: ${daemon}`)
  }
  return {verdict: 'rendered', failures}
}
