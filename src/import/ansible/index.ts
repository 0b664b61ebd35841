/**
 * `lbctl import ansible`: an operator's Ansible inventory (INI, YAML, or `ansible-inventory --list` JSON) →
 * a commented lbctl inventory. Pure: the caller reads the file and says how names resolve (for the VIP guess only).
 */
import {basename} from 'node:path'
import {NAME_RE} from '../../inventory/schema/common.js'
import type {Resolver} from '../../inventory/names.js'
import {isIPv4} from 'node:net'
import {sortProblems, type Problem} from '../../inventory/problems.js'
import {maskProblems} from '../../inventory/secrets.js'
import {isSecretVar} from './connection.js'
import {parseIni} from './ini.js'
import type {AnsibleInventory} from './model.js'
import {planImport, type Choice, type Plan} from './map.js'
import {parseYaml} from './yaml.js'
import {writeInventory} from './write.js'

export interface ImportOptions extends Choice {
  /** The cluster name (default: from the file name). */
  name?: string
  /** The command line, quoted in the file's header. */
  command: string
  resolver: Resolver
}

export type ImportResult = {ok: true; text: string; plan: Plan} | {ok: false; problems: Problem[]}

/** INI unless the file says YAML or JSON: by its extension, or by a first line that is not a section or host line. */
export function looksLikeYaml(text: string, file: string): boolean {
  if (/\.(ya?ml|json)$/i.test(file)) return true
  if (/\.ini$/i.test(file)) return false
  const first = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'))
  return first !== undefined && (first.startsWith('{') || /^[^\s=\[]+:(\s|$)/.test(first))
}

export function importAnsible(text: string, file: string, opts: ImportOptions): ImportResult {
  const inv = looksLikeYaml(text, file) ? parseYaml(text, file) : parseIni(text, file)
  // A problem quotes its line: a password on it is masked, like every secret lbctl prints.
  const refuse = (problems: Problem[]): ImportResult => ({ok: false, problems: maskProblems(sortProblems(problems), secretsOf(inv))})
  if (inv.problems.length) return refuse(inv.problems)
  const plan = planImport(inv, opts)
  if (Array.isArray(plan)) return refuse(plan)
  if (plan.problems.length) return refuse(plan.problems)
  const name = opts.name ?? clusterName(file)
  const resolved = (h: {address: string}) => (isIPv4(h.address) ? h.address : opts.resolver(h.address))
  return {ok: true, plan, text: writeInventory(plan, {command: opts.command, name}, resolved)}
}

function secretsOf(inv: AnsibleInventory): string[] {
  const all = [...inv.groups.values(), ...inv.hosts.values()].flatMap((x) => Object.entries(x.vars))
  return all.filter(([name, v]) => isSecretVar(name) && typeof v.value === 'string' && v.value !== '').map(([, v]) => String(v.value))
}

/** hosts.ini → "hosts"; a name lbctl would refuse becomes one it accepts. */
function clusterName(file: string): string {
  const base = basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '-')
  return NAME_RE.test(base) ? base : `imported-${base}`.slice(0, 63).replace(/[^A-Za-z0-9_.-]/g, '-')
}
