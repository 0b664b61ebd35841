import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {Cluster} from '../inventory/model.js'
import {InventoryError} from '../inventory/problems.js'
import {schemaProblems} from '../inventory/schema-errors.js'
import {Source} from '../inventory/source.js'
import {playbookProblems} from './check.js'
import {playbook as playbookSchema, type Playbook} from './schema.js'

/** The playbooks shipped with lbctl (deploy, rollback, failover-test) live next to src/ and dist/. */
export const BUILTIN_PLAYBOOKS = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'playbooks')

/** `deploy` → ./playbooks/deploy.yaml if the project has one, else lbctl's own; anything with a slash is a path. */
export function resolvePlaybookPath(ref: string, cwd = process.cwd()): string {
  if (ref.includes('/') || /\.ya?ml$/.test(ref)) return resolve(cwd, ref)
  for (const dir of [join(cwd, 'playbooks'), BUILTIN_PLAYBOOKS]) {
    for (const ext of ['yaml', 'yml']) {
      const p = join(dir, `${ref}.${ext}`)
      if (existsSync(p)) return p
    }
  }
  return join(BUILTIN_PLAYBOOKS, `${ref}.yaml`)
}

/**
 * Parses and checks a whole playbook (schema, modules and their args, expressions, notify; with the inventory, the
 * hosts patterns); every problem comes with file:line:col like inventory problems, before any host is contacted.
 */
export function loadPlaybook(ref: string, cluster?: Cluster, cwd = process.cwd()): {playbook: Playbook; file: string} {
  const file = resolvePlaybookPath(ref, cwd)
  if (!existsSync(file)) {
    throw new InventoryError([{file, line: 0, column: 0, path: '(file)', message: 'playbook not found', hint: 'give a path, or a name from playbooks/'}])
  }
  const source = new Source(file, readFileSync(file, 'utf8'))
  const syntax = source.syntaxProblems()
  if (syntax.length) throw new InventoryError(syntax)
  const value = source.doc.toJS()
  const parsed = playbookSchema.safeParse(value, {reportInput: true})
  if (!parsed.success) throw new InventoryError(schemaProblems(parsed.error.issues, playbookSchema, source, value))
  const problems = playbookProblems(parsed.data, source, cluster)
  if (problems.length) throw new InventoryError(problems)
  return {playbook: parsed.data, file}
}
