import type {z} from 'zod'
import {formatPath, type Path, type Problem} from './problems.js'
import {BALANCE, DURATIONS, EXAMPLES, HINTS, SHAPES} from './schema-hints.js'
import type {Source} from './source.js'

type Issue = z.core.$ZodIssue

/**
 * Turns zod issues into problems with positions, plain words, the expected format and a "did you mean" for misspelt
 * fields and values. `input` is the inventory after secret interpolation (what was validated); values are shown as
 * written in the file, so a secret pulled in from ${env:…} never appears in a message.
 */
export function schemaProblems(issues: readonly Issue[], root: z.ZodType, source: Source, input: unknown): Problem[] {
  const written = source.plain()
  const out: Problem[] = []
  const misspelt: Array<{object: string; meant: string}> = []
  const push = (path: Path, message: string, hint: string | undefined, opts: {key?: boolean} = {}) => {
    out.push({...source.problem(path, message, hint, opts), path: showPath(path)})
  }
  const got = (path: Path) => shown(valueAt(written, path))

  const add = (issue: Issue, base: Path): void => {
    const path = [...base, ...(issue.path as Path)]
    const field = lastField(path)
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(root, path, input)
        for (const key of issue.keys) {
          const guess = closest(key, known)
          if (guess) misspelt.push({object: showPath(path), meant: guess})
          push([...path, key], `unknown field "${key}"`, guess ? `did you mean "${guess}"?` : known.length ? `allowed here: ${known.join(', ')}` : 'remove it', {key: true})
        }
        return
      }
      case 'invalid_union': {
        if ('note' in issue && issue.note === 'No matching discriminator') {
          const options = ((issue as {options?: unknown[]}).options ?? []).map(String)
          const value = valueAt(input, path)
          if (value === undefined) return push(path, 'is required', `add ${field}: one of ${options.join(', ')}`)
          return push(path, `must be one of ${options.join(', ')}${got(path)}`, oneOfHint(value, options))
        }
        const literals = allLiterals(issue.errors)
        if (literals) return push(path, `must be ${literals.join(' or ')}${got(path)}`, `use ${literals.join(' or ')}`)
        const branch = pickBranch(issue.errors, path, input)
        if (branch) for (const sub of branch) add(sub, path)
        else push(path, `must be ${either(alternatives(root, path))}, not ${kind(valueAt(written, path))}`, shapeHint(root, path))
        return
      }
      case 'invalid_type': {
        const value = valueAt(input, path)
        if (value === undefined) return push(path, 'is required', `add ${field}: ${example(field, issue.expected)}`)
        return push(path, `must be ${article(issue.expected)}, not ${kind(valueAt(written, path))}`, typeHint(root, path, issue.expected, value, valueAt(written, path)))
      }
      case 'invalid_value': {
        const allowed = issue.values.map((v) => String(v))
        return push(path, `must be one of ${allowed.join(', ')}${got(path)}`, oneOfHint(valueAt(input, path), allowed))
      }
      case 'invalid_key': {
        const key = String(path[path.length - 1])
        const sub = issue.issues[0]
        const what = sub ? messageFor(sub) : {message: 'is not allowed', hint: undefined}
        return push(path, `the name "${key}" ${what.message}`, what.hint ?? 'rename it', {key: true})
      }
      default: {
        const {message, hint} = messageFor(issue, valueAt(input, path))
        // A grammar's message already names the offending word, and the excerpt shows the line.
        const grammar = issue.code === 'custom' && (issue.params as {hint?: string} | undefined)?.hint !== undefined
        return push(path, grammar ? message : `${message}${got(path)}`, hint)
      }
    }
  }
  for (const issue of issues) add(issue, [])
  // "unknown field prioirty" already says what is missing: do not also report "priority is required".
  return out.filter((p) => !(p.message === 'is required' && misspelt.some((m) => p.path === `${m.object === '(top level)' ? '' : `${m.object}.`}${m.meant}`)))
}

function typeHint(root: z.ZodType, path: Path, expected: string, value: unknown, written: unknown): string {
  const field = lastField(path)
  // YAML reads 1234, 0.5 and yes as numbers and booleans: a password or a name like that needs quotes.
  if (expected === 'string' && (typeof value === 'number' || typeof value === 'boolean')) return `quote it, so YAML reads text: ${field}: "${String(written)}"`
  const e = exampleOf(field, expected)
  if (['array', 'object', 'record'].includes(expected) || typeof path[path.length - 1] === 'number') {
    return e ? `write it like ${field}: ${e}` : (shapeHint(root, path) ?? `write ${field} as ${article(expected)}`)
  }
  return `write it as ${article(expected)}${e ? `, like ${field}: ${e}` : ''}`
}

/** Messages for checks that carry their own words (regex, refine, ranges): the schema's words, with a concrete fix. */
function messageFor(issue: Issue, value?: unknown): {message: string; hint?: string} {
  if (issue.code === 'too_small' || issue.code === 'too_big') return rangeMessage(issue)
  // The grammars of raw lines (grammar/*.ts) say themselves how to write the value.
  const own = issue.code === 'custom' ? (issue.params as {hint?: string} | undefined)?.hint : undefined
  if (own !== undefined) return {message: issue.message, hint: own}
  let message = issue.message.replace(/^Invalid input: /, '')
  if (issue.code === 'invalid_format' && issue.format === 'email') message = 'is not an email address'
  if (issue.code === 'invalid_format' && message.startsWith('Invalid string: must match pattern')) message = `does not match the pattern ${(issue as {pattern?: string}).pattern}`
  // "(write it like 10.0.0.11)" and "(like eth0:1)" in a schema message are the fix: move them to the hint.
  const example = /\s*\((?:write it )?like ([^)]*)\)$/.exec(message)
  if (example) return {message: message.slice(0, example.index), hint: `write it like ${example[1]}`}
  if (message.startsWith('is not a balance algorithm') && typeof value === 'string') {
    const guess = closest(value, BALANCE)
    return {message, hint: `${guess ? `did you mean "${guess}"? ` : ''}use one of ${BALANCE.join(', ')}, url_param NAME, hdr(NAME), rdp-cookie(NAME)`}
  }
  const hint = HINTS.find(([start]) => message.startsWith(start))?.[1]
  return {message, hint: hint ?? (issue.code === 'invalid_format' ? 'see the field\'s description in schema/inventory.schema.json' : undefined)}
}

function rangeMessage(issue: Issue & {code: 'too_small' | 'too_big'}): {message: string; hint: string} {
  const custom = !/^Too (small|big)/.test(issue.message)
  const from = /from (-?\d+) to (-?\d+)/.exec(issue.message)
  const bound = String(issue.code === 'too_small' ? issue.minimum : issue.maximum)
  if (custom) return {message: issue.message, hint: from ? `use a whole number from ${from[1]} to ${from[2]}` : HINTS.find(([s]) => issue.message.startsWith(s))?.[1] ?? 'change the value'}
  if (issue.origin === 'array') return {message: issue.code === 'too_small' ? `needs at least ${bound} item${bound === '1' ? '' : 's'}` : `has more than ${bound} items`, hint: issue.code === 'too_small' ? 'add items' : 'remove items'}
  if (issue.origin === 'string') return {message: issue.code === 'too_small' ? (bound === '1' ? 'must not be empty' : `must be at least ${bound} characters`) : `must be at most ${bound} characters`, hint: issue.code === 'too_small' ? 'write a value' : 'shorten it'}
  const inclusive = issue.inclusive !== false
  const word = issue.code === 'too_small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than'
  return {message: `must be ${word} ${bound}`, hint: `use a value ${word} ${bound}`}
}

function oneOfHint(value: unknown, allowed: string[]): string {
  const text = typeof value === 'string' ? value : String(value)
  const exact = allowed.find((a) => a.toLowerCase() === text.toLowerCase())
  const guess = exact ?? closest(text, allowed)
  return guess ? `did you mean ${guess}?` : `use one of ${allowed.join(', ')}`
}

/** A union of literals only (`version: 2 | 3`) fails every branch with "expected 2", "expected 3": merge them. */
function allLiterals(branches: Issue[][]): string[] | undefined {
  const values: string[] = []
  for (const b of branches) {
    if (b.length !== 1 || b[0].code !== 'invalid_value' || b[0].path.length !== 0) return undefined
    values.push(...b[0].values.map(String))
  }
  return values.length ? values : undefined
}

/** "This value is not even the right kind of thing" — directly, or for every branch of a nested union. */
function wrongTypeHere(i: Issue): boolean {
  if (i.path.length !== 0) return false
  if (i.code === 'invalid_type') return true
  return i.code === 'invalid_union' && i.errors.length > 0 && i.errors.every((b) => b.some(wrongTypeHere))
}

/**
 * For `a | b` unions pick the branch the user evidently meant: the one whose issues do not start with "wrong type
 * at the union itself". `"10.0.0.1/24"` vs `{address: …}` is thus reported against the shape actually written.
 */
function pickBranch(branches: Issue[][], path: Path, input: unknown): Issue[] | undefined {
  const value = valueAt(input, path)
  const typed = branches.filter((b) => !b.some(wrongTypeHere))
  if (typed.length === 1) return typed[0]
  if (typed.length === 0 && value && typeof value === 'object') return undefined
  if (typed.length > 1) return typed.reduce((a, b) => (b.length < a.length ? b : a))
  return undefined
}

function shapeHint(root: z.ZodType, path: Path): string | undefined {
  const field = lastField(path)
  // The list-entry shapes describe an element (vips[0]); a whole field of the wrong kind gets the generic words.
  const element = typeof path[path.length - 1] === 'number' || ['bind', 'version', 'to'].includes(field)
  if (SHAPES[field] && element) return SHAPES[field]
  if (DURATIONS.has(field) && alternatives(root, path).includes('a number')) return 'write milliseconds as a number (5000), or a duration with a unit like 5s, 1m or 500ms'
  return undefined
}

function either(words: string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`
}

function alternatives(root: z.ZodType, path: Path): string[] {
  const words = new Set<string>()
  for (const s of schemasAt(root, path)) {
    const def = (s as {def: {type: string; values?: unknown[]}}).def
    if (def.type === 'literal') for (const v of def.values ?? []) words.add(JSON.stringify(v))
    else words.add(article(def.type))
  }
  return words.size ? [...words] : ['something else']
}

/** An example of the expected shape: `real_servers` is a mapping at the top and a list in a virtual service. */
function exampleOf(field: string, expected: string): string | undefined {
  const e = EXAMPLES[field]
  if (e === undefined) return undefined
  const shape = e.startsWith('[') ? 'array' : e.startsWith('{') ? 'object' : 'scalar'
  const wanted = expected === 'array' ? 'array' : expected === 'object' || expected === 'record' ? 'object' : 'scalar'
  return shape === wanted ? e : undefined
}

function example(field: string, expected: string): string {
  return exampleOf(field, expected) ?? `<${article(expected)}>`
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[p]
  }
  return v
}

function shown(v: unknown): string {
  return v === undefined || (v !== null && typeof v === 'object') ? '' : ` (got ${JSON.stringify(v)})`
}

function kind(v: unknown): string {
  if (v === null || v === undefined) return 'empty'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v === 'string' ? 'the text' : `the ${typeof v}`} ${JSON.stringify(v)}`
}

function article(t: string): string {
  const words: Record<string, string> = {object: 'a mapping', record: 'a mapping', array: 'a list', string: 'text', number: 'a number', int: 'a whole number', boolean: 'true or false'}
  return words[t] ?? t
}

function lastField(path: Path): string {
  return String([...path].reverse().find((p) => typeof p === 'string') ?? '')
}

/** Like formatPath, but a key that is not a plain word (a name with a space, say) is shown quoted. */
export function showPath(path: Path): string {
  return formatPath(path.map((p) => (typeof p === 'string' && !/^[A-Za-z0-9_.-]+$/.test(p) ? JSON.stringify(p) : p)))
}

/**
 * The field names allowed at `path`, by walking the zod schema (zod 4 internals: `def.type`). In a union of objects
 * (health_check variants) only the variants whose literal fields match what was written count.
 */
export function knownKeys(root: z.ZodType, path: Path, input?: unknown): string[] {
  const value = valueAt(input, path)
  const keys = new Set<string>()
  for (const s of schemasAt(root, path)) {
    const def = (s as unknown as {def: {type: string; shape?: Record<string, unknown>}}).def
    if (def.type !== 'object' || !def.shape) continue
    if (value && typeof value === 'object' && !matchesLiterals(def.shape, value as Record<string, unknown>)) continue
    for (const k of Object.keys(def.shape)) keys.add(k)
  }
  return [...keys]
}

function matchesLiterals(shape: Record<string, unknown>, value: Record<string, unknown>): boolean {
  return Object.entries(shape).every(([k, s]) => {
    const def = (s as {def: {type: string; values?: unknown[]; entries?: Record<string, unknown>}}).def
    if (!(k in value)) return true
    if (def.type === 'literal') return (def.values ?? []).includes(value[k])
    if (def.type === 'enum') return Object.values(def.entries ?? {}).includes(value[k])
    return true
  })
}

function schemasAt(schema: unknown, path: Path): unknown[] {
  const unwrapped = unwrap(schema)
  if (path.length === 0) return unwrapped
  const [head, ...rest] = path
  const next: unknown[] = []
  for (const s of unwrapped) {
    const def = (s as {def: Record<string, unknown>}).def
    if (def.type === 'object') {
      const child = (def.shape as Record<string, unknown>)[String(head)]
      if (child) next.push(child)
    } else if (def.type === 'record') next.push(def.valueType)
    else if (def.type === 'array') next.push(def.element)
  }
  return next.flatMap((n) => schemasAt(n, rest))
}

function unwrap(schema: unknown): unknown[] {
  const def = (schema as {def?: Record<string, unknown>})?.def
  if (!def) return []
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return unwrap(def.innerType)
    case 'pipe':
      return unwrap(def.in)
    case 'union':
      return (def.options as unknown[]).flatMap(unwrap)
    default:
      return [schema]
  }
}

/** Levenshtein distance; good enough to catch "prioirty", "virtual_route_id". */
export function closest(word: string, choices: string[]): string | undefined {
  let best: string | undefined
  let bestScore = Infinity
  for (const c of choices) {
    const d = distance(word.toLowerCase(), c.toLowerCase())
    if (d < bestScore) {
      bestScore = d
      best = c
    }
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]
}
