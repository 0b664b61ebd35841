/**
 * The failover scenarios file (playbooks/failover-test.yaml): each scenario names its target, what it expects, which
 * timer bounds it, and its fault and restore steps as ordinary module tasks. Problems are reported like inventory
 * problems, file:line:column.
 */
import {existsSync, readFileSync} from 'node:fs'
import {z} from 'zod'
import {InventoryError, type Problem} from '../inventory/problems.js'
import {schemaProblems} from '../inventory/schema-errors.js'
import {Source} from '../inventory/source.js'
import {MODULES} from '../modules/index.js'
import {resolvePlaybookPath} from '../playbook/load.js'
import {task} from '../playbook/schema.js'

const step = task.omit({notify: true, ignore_errors: true})

export const EXPECTATIONS = ['vip_moves', 'vip_stays', 'no_failed_probes'] as const
export const TARGETS = ['vip_holder', 'vip_backup', 'real_server'] as const

export const scenario = z
  .strictObject({
    description: z.string().min(1).describe('What the scenario does, shown in reports.'),
    default: z.boolean().optional().describe('Part of the set run when no --scenario is given (safe on real machines).'),
    requires: z.enum(['haproxy', 'lvs']).optional().describe('Skip the scenario on clusters without this.'),
    target: z
      .union([z.enum(TARGETS), z.string().regex(/^[A-Za-z0-9_.-]+$/)])
      .describe('vip_holder (the director holding the instance\'s VIPs), vip_backup, real_server (the first one behind a service), or a host name.'),
    track: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .optional()
      .describe('The vrrp_script the fault trips: haproxy, down_file, or a script name. Skipped when the instance tracks none.'),
    expect: z.union([z.enum(EXPECTATIONS), z.array(z.enum(EXPECTATIONS)).min(1)]).describe('vip_moves, vip_stays, no_failed_probes (one or a list).'),
    bound: z
      .enum(['track_script', 'master_down', 'skew', 'haproxy_check'])
      .describe('The timer that bounds the failover: a failing track script, the master-down timer (kill), skew (graceful stop), HAProxy\'s server checks.'),
    observe: z.number().positive().max(600).optional().describe('Seconds to watch after the fault (default: the bound plus tolerance and 2 s).'),
    fault: z.array(step).min(1).describe('Module tasks that cause the fault, run on the target.'),
    restore: z.array(step).min(1).describe('Module tasks that undo it, run on the target (also after an error or Ctrl-C).'),
  })
  .describe('One failover scenario.')

export const scenarioFile = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    description: z.string().optional(),
    scenarios: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, {message: 'is not a scenario name (lowercase letters, digits, "-" and "_")'}), scenario),
  })
  .describe('lbctl failover-test scenarios.')

export type Scenario = z.infer<typeof scenario> & {name: string}
export type Step = z.infer<typeof step>

export function expectations(s: Pick<Scenario, 'expect'>): string[] {
  return Array.isArray(s.expect) ? s.expect : [s.expect]
}

/** Reads and checks a scenarios file: the schema, then each step's module and args, each problem at its line. */
export function loadScenarios(ref = 'failover-test', cwd = process.cwd()): {file: string; scenarios: Scenario[]} {
  const file = resolvePlaybookPath(ref, cwd)
  if (!existsSync(file)) throw new InventoryError([{file, line: 0, column: 0, path: '(file)', message: 'scenarios file not found', hint: 'give a path, or a name from playbooks/'}])
  const source = new Source(file, readFileSync(file, 'utf8'))
  const syntax = source.syntaxProblems()
  if (syntax.length) throw new InventoryError(syntax)
  const value = source.doc.toJS()
  const parsed = scenarioFile.safeParse(value, {reportInput: true})
  if (!parsed.success) throw new InventoryError(schemaProblems(parsed.error.issues, scenarioFile, source, value))
  const problems: Problem[] = []
  for (const [name, s] of Object.entries(parsed.data.scenarios)) {
    for (const phase of ['fault', 'restore'] as const) {
      s[phase].forEach((t, i) => {
        const mod = MODULES[t.module]
        if (!mod) {
          problems.push(source.problem(['scenarios', name, phase, i, 'module'], `unknown module "${t.module}"`, `use one of: ${Object.keys(MODULES).sort().join(', ')}`))
          return
        }
        const args = mod.args.safeParse(t.args ?? {})
        if (!args.success) {
          for (const issue of args.error.issues) {
            problems.push(source.problem(['scenarios', name, phase, i, 'args', ...(issue.path as (string | number)[])], issue.message, `see the ${t.module} module's arguments in the README`))
          }
        }
      })
    }
  }
  if (problems.length) throw new InventoryError(problems)
  return {file, scenarios: Object.entries(parsed.data.scenarios).map(([name, s]) => ({...s, name}))}
}

/** --scenario names (in the order given), or the default set; an unknown name is an error naming the known ones. */
export function selectScenarios(all: Scenario[], names: string[] | undefined): Scenario[] {
  if (!names?.length) return all.filter((s) => s.default)
  return names.map((n) => {
    const s = all.find((x) => x.name === n)
    if (!s) throw new Error(`unknown scenario "${n}" (scenarios: ${all.map((x) => x.name).join(', ')})`)
    return s
  })
}
