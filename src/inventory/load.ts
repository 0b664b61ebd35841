import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {basename, join, relative, resolve} from 'node:path'
import {pruneInvalid, runClusterChecks} from './checks/index.js'
import type {Cluster} from './model.js'
import {InventoryError, type Problem} from './problems.js'
import {systemResolver, type Resolver} from './names.js'
import {resolveCluster} from './resolve.js'
import {inventory as inventorySchema, type RawInventory} from './schema/index.js'
import {schemaProblems} from './schema-errors.js'
import {SECRET_MIN, interpolateSecrets, literalSecrets, maskProblems} from './secrets.js'
import type {Path} from './problems.js'
import {Source} from './source.js'

export interface LoadOptions {
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** How host names lbctl needs the address of are resolved (default: the system's resolver; see names.ts). */
  resolver?: Resolver
  /** `validate --no-secrets`: every ${env:…}/${file:…} stands for a placeholder; nothing is read. */
  noSecrets?: boolean
}

/**
 * `prod` → inventories/prod.yaml (or .yml); anything with a slash or a YAML extension is a path. A name that does
 * not exist is an error that lists the inventories there are.
 */
export function resolveInventoryPath(ref: string, cwd = process.cwd()): string {
  const looksLikePath = ref.includes('/') || /\.ya?ml$/.test(ref)
  // inventories/labs/ holds what `lbctl lab up` writes (git ignores it): `lbctl deploy lab` finds it by name too.
  const dirs = [join(cwd, 'inventories'), join(cwd, 'inventories', 'labs')]
  const candidates = looksLikePath ? [resolve(cwd, ref)] : dirs.flatMap((d) => [join(d, `${ref}.yaml`), join(d, `${ref}.yml`)])
  const found = candidates.find((c) => existsSync(c))
  if (found) return found
  const known = [...new Set(dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((f) => /\.ya?ml$/.test(f)).map((f) => f.replace(/\.ya?ml$/, '')) : [])))]
  throw new InventoryError([
    {
      file: looksLikePath ? ref : join('inventories', `${ref}.yaml`),
      line: 0,
      column: 0,
      path: '(file)',
      message: 'inventory not found',
      hint: known.length ? `use one of: ${known.join(', ')} — or a path to a .yaml file` : 'create inventories/NAME.yaml (see README, "Inventory")',
    },
  ])
}

export interface Loaded {
  cluster: Cluster
  /** Problems that did not stop loading: settings keepalived or HAProxy would silently ignore. */
  warnings: Problem[]
  /** Host names lbctl resolved, at the line where each is written: `message` says to which address. */
  resolved: Problem[]
}

/** Reads, validates and resolves an inventory. Throws InventoryError with every problem found; touches no host. */
export function loadInventory(ref: string, opts: LoadOptions = {}): Loaded {
  const cwd = opts.cwd ?? process.cwd()
  const file = resolveInventoryPath(ref, cwd)
  const bytes = readFileSync(file)
  const shown = relative(cwd, file).startsWith('..') ? file : relative(cwd, file) || basename(file)
  return loadInventoryText(bytes.toString('utf8'), shown, {...opts, hash: createHash('sha256').update(bytes).digest('hex')})
}

export function loadInventoryText(text: string, file: string, opts: LoadOptions & {hash?: string} = {}): Loaded {
  const source = new Source(file, text)
  const syntax = source.syntaxProblems()
  if (syntax.length > 0) throw new InventoryError(maskProblems(syntax, literalSecretsIn(text)))

  const plain = source.plain()
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
    throw new InventoryError([source.problem([], 'the inventory must be a YAML mapping', 'start with `name: CLUSTER` (see README, "Inventory")')])
  }

  const {value, secrets, problems: secretProblems, badPaths, short} = interpolateSecrets(plain, {env: opts.env ?? process.env, source, placeholders: opts.noSecrets})
  // Every text an error can carry is masked: resolved ${…} values and passwords written into the file alike.
  const fail = (problems: Problem[]): never => {
    throw new InventoryError(maskProblems(problems, [...secrets, ...literalSecrets(value)]))
  }
  const parsed = inventorySchema.safeParse(value, {reportInput: true})
  const problems = [...secretProblems]
  const hash = opts.hash ?? createHash('sha256').update(text).digest('hex')
  const resolver = opts.resolver ?? systemResolver()
  if (!parsed.success) {
    problems.push(...schemaProblems(parsed.error.issues, inventorySchema, source, value).filter((p) => !badPaths.has(p.path)))
    // Still check references and the cluster as a whole when the broken entries can be set aside safely, so one
    // run reports everything (see checks/prune.ts for which entries qualify).
    const partial = pruneInvalid(value, parsed.error.issues)
    const rest = partial && inventorySchema.safeParse(partial.value)
    if (partial && rest?.success) {
      const {cluster, problems: refProblems} = resolveCluster(rest.data, source, {hash, secrets, resolver})
      problems.push(...partial.keep([...refProblems, ...runClusterChecks(cluster, rest.data, source).errors]))
    }
    return fail(problems)
  }

  const raw: RawInventory = parsed.data
  const {cluster, problems: refProblems, resolved} = resolveCluster(raw, source, {hash, secrets, resolver})
  const checks = runClusterChecks(cluster, raw, source)
  problems.push(...refProblems, ...checks.errors)
  if (problems.length > 0) return fail(problems)
  const notes = resolved.map((r) => source.problem(r.path, `${r.name} resolves to ${r.address} here: lbctl uses that address`))
  const weak = [...short, ...literalPasswords(plain as RawInventory)].map((p) => source.problem(p, `this secret is shorter than ${SECRET_MIN} characters: easy to guess, and lbctl can mask it only where it stands on its own`, `use at least ${SECRET_MIN} characters (keepalived's auth_pass takes at most 8)`))
  return {cluster, warnings: maskProblems([...checks.warnings, ...weak], cluster.secrets), resolved: maskProblems(notes, cluster.secrets)}
}

/** Passwords written into the file itself (as written, before ${…}) that are too short to be a secret worth the name. */
function literalPasswords(raw: RawInventory): Path[] {
  const short = (v: unknown) => (typeof v === 'string' || typeof v === 'number') && !String(v).includes('${') && [...String(v)].length < SECRET_MIN
  const out: Path[] = Object.entries(raw.vrrp_instances ?? {}).filter(([, i]) => short(i.auth_pass)).map(([name]) => ['vrrp_instances', name, 'auth_pass'])
  if (short(raw.haproxy?.stats?.auth?.password)) out.push(['haproxy', 'stats', 'auth', 'password'])
  return out
}

/** Literal passwords of a file that could not be parsed as a whole: whatever the lines that hold them say. */
function literalSecretsIn(text: string): string[] {
  return [...text.matchAll(/^\s*(?:auth_pass|password)\s*:\s*(.*?)\s*$/gm)].map((m) => m[1]!.replace(/^(["'])(.*)\1$/, '$2')).filter((s) => s !== '' && !s.startsWith('${'))
}
