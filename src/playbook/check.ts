import {z} from 'zod'
import type {Cluster} from '../inventory/model.js'
import type {Path, Problem} from '../inventory/problems.js'
import {closest, schemaProblems} from '../inventory/schema-errors.js'
import type {Source} from '../inventory/source.js'
import {MODULES} from '../modules/index.js'
import {RESULT_NAMES, WHEN_NAMES} from './execute.js'
import type {Playbook, Task} from './schema.js'
import {groupMembers} from './targets.js'
import {namesIn, parseWhen} from './when.js'

type Step = Partial<Task> & Pick<Task, 'name' | 'module'>

/**
 * A playbook checked whole, before any host is contacted: every module exists, its args are what the module takes,
 * every expression reads and names only what it can read, every notify names a handler, and (with the inventory)
 * every `hosts` pattern is a group or host. Problems come at the field's file:line:col, like an inventory's.
 */
export function playbookProblems(pb: Playbook, source: Source, cluster?: Cluster): Problem[] {
  const out: Problem[] = []
  pb.plays.forEach((play, i) => {
    const at = (...rest: Path): Path => ['plays', i, ...rest]
    if (cluster) {
      const patterns = Array.isArray(play.hosts) ? play.hosts : [play.hosts]
      patterns.forEach((p, k) => {
        if (groupMembers(cluster, p)) return
        const names = ['all', 'directors', 'real_servers', 'managed_real_servers', 'backup_directors', 'master_directors', ...Object.keys(cluster.groups), ...[...cluster.directors, ...cluster.realServers].map((h) => h.name)]
        const guess = closest(p, names)
        out.push(source.problem(Array.isArray(play.hosts) ? at('hosts', k) : at('hosts'), `"${p}" is neither a group nor a host of inventory ${cluster.name}`, guess ? `did you mean "${guess}"?` : `use one of: ${names.join(', ')}`))
      })
    }
    const handlers = Object.keys(play.handlers ?? {})
    const check = (step: Step, path: Path) => out.push(...stepProblems(step, path, source, handlers))
    play.tasks.forEach((t, j) => check(t, at('tasks', j)))
    ;(play.post_tasks ?? []).forEach((t, j) => check(t, at('post_tasks', j)))
    for (const [name, h] of Object.entries(play.handlers ?? {})) check(h, at('handlers', name))
  })
  return out
}

function stepProblems(step: Step, path: Path, source: Source, handlers: string[]): Problem[] {
  const out: Problem[] = []
  const mod = MODULES[step.module]
  if (!mod) {
    const guess = closest(step.module, Object.keys(MODULES))
    out.push(source.problem([...path, 'module'], `unknown module "${step.module}"`, guess ? `did you mean "${guess}"?` : `use one of: ${Object.keys(MODULES).sort().join(', ')}`))
  } else {
    const parsed = mod.args.safeParse(step.args ?? {})
    if (!parsed.success) {
      // The issues are relative to args: give schemaProblems a root that leads from the top of the file to them.
      const argsPath = [...path, 'args']
      const issues = parsed.error.issues.map((i) => ({...i, path: [...argsPath, ...i.path]}))
      out.push(...schemaProblems(issues as never, nest(argsPath, mod.args), source, source.plain()).map((p) => ({...p, message: `${step.module}: ${p.message}`})))
    }
  }
  const expression = (field: 'when' | 'changed_when' | 'failed_when', names: string[]) => {
    if (step[field] === undefined) return
    const src = String(step[field])
    if (field !== 'when' && step.module !== 'command') {
      out.push(source.problem([...path, field], `${field} applies to the command module only (this task uses ${step.module})`, `remove ${field}, or run the check with a command task`))
      return
    }
    try {
      for (const n of namesIn(parseWhen(src))) {
        if (names.includes(n)) continue
        const guess = closest(n, names)
        out.push(source.problem([...path, field], `unknown name "${n}" in "${src}"`, guess ? `did you mean "${guess}"?` : `names: ${names.join(', ')}`))
      }
    } catch (error) {
      out.push(source.problem([...path, field], (error as Error).message.replace(/^when: /, ''), 'write names, \'text\', numbers, ==, !=, in, not, and, or, ( )'))
    }
  }
  expression('when', WHEN_NAMES)
  expression('changed_when', [...WHEN_NAMES, ...RESULT_NAMES])
  expression('failed_when', [...WHEN_NAMES, ...RESULT_NAMES])
  if (Array.isArray(step.notify)) {
    step.notify.forEach((n, k) => {
      if (handlers.includes(n)) return
      const guess = closest(n, handlers)
      out.push(source.problem([...path, 'notify', k], `no handler "${n}" in this play`, guess ? `did you mean "${guess}"?` : handlers.length ? `handlers: ${handlers.join(', ')}` : 'add it under the play\'s handlers:'))
    })
  }
  return out
}

/** A schema whose only path is `path`, ending in `leaf`: what knownKeys() walks to suggest an argument's name. */
function nest(path: Path, leaf: z.ZodType): z.ZodType {
  return [...path].reverse().reduce<z.ZodType>((inner, part) => (typeof part === 'number' ? z.array(inner) : z.object({[part]: inner})), leaf)
}
