import type {z} from 'zod'
import type {Path, Problem} from './problems.js'
import type {Source} from './source.js'

type Issue = z.core.$ZodIssue

/** Turns zod issues into problems with positions, plain words and a "did you mean" for misspelt fields. */
export function schemaProblems(issues: readonly Issue[], root: z.ZodType, source: Source, input: unknown): Problem[] {
  const out: Problem[] = []
  const add = (issue: Issue, base: Path) => {
    const path = [...base, ...(issue.path as Path)]
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeys(root, path)
        for (const key of issue.keys) {
          const guess = closest(key, known)
          out.push(
            source.problem([...path, key], `unknown field "${key}"`, guess ? `did you mean "${guess}"?` : known.length ? `allowed here: ${known.join(', ')}` : 'remove it', {key: true}),
          )
        }
        return
      }
      case 'invalid_union': {
        const branch = pickBranch(issue.errors, path, input)
        if (branch) for (const sub of branch) add(sub, path)
        else out.push(source.problem(path, describeUnion(issue, valueAt(input, path)), 'see the inventory reference in README.md'))
        return
      }
      case 'invalid_type': {
        const value = valueAt(input, path)
        if (value === undefined) {
          out.push(source.problem(path, 'is required', `add ${String(path[path.length - 1])}: …`))
        } else {
          out.push(source.problem(path, `must be ${article(issue.expected)}, not ${kind(value)}`, `write ${String(path[path.length - 1])} as ${article(issue.expected)}`))
        }
        return
      }
      case 'invalid_value': {
        const allowed = issue.values.map((v) => String(v)).join(', ')
        out.push(source.problem(path, `must be one of ${allowed} (got ${JSON.stringify(valueAt(input, path))})`, `use one of ${allowed}`))
        return
      }
      default: {
        const value = valueAt(input, path)
        const shown = value === undefined || typeof value === 'object' ? '' : ` (got ${JSON.stringify(value)})`
        out.push(source.problem(path, `${cleanMessage(issue.message)}${shown}`, hintFor(issue)))
      }
    }
  }
  for (const issue of issues) add(issue, [])
  return out
}

function cleanMessage(m: string): string {
  return m.replace(/^Invalid input: /, '').replace(/^Too small: expected (\w+) to have >=?(\d+) items?$/, 'needs at least $2 item(s)')
}

function hintFor(issue: Issue): string | undefined {
  if (issue.code === 'too_small' || issue.code === 'too_big') return 'change the value to lie within the allowed range'
  if (issue.code === 'invalid_format') return 'fix the value\'s format'
  return undefined
}

/**
 * For `a | b` unions pick the branch the user evidently meant: the one whose issues do not start with "wrong type
 * at the union itself". `"10.0.0.1/24"` vs `{address: …}` is thus reported against the shape actually written.
 */
function pickBranch(branches: Issue[][], path: Path, input: unknown): Issue[] | undefined {
  const value = valueAt(input, path)
  const typed = branches.filter((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === 0))
  if (typed.length === 1) return typed[0]
  // A discriminated union with an unknown tag: report against the tag field.
  if (typed.length === 0 && value && typeof value === 'object') return undefined
  if (typed.length > 1) return typed.reduce((a, b) => (b.length < a.length ? b : a))
  return undefined
}

function describeUnion(issue: Issue, value: unknown): string {
  if ('note' in issue && issue.note === 'No matching discriminator') {
    return `has an unknown type (got ${JSON.stringify((issue as {discriminator?: string}).discriminator ?? value)})`
  }
  return `has the wrong shape (got ${kind(value)})`
}

function valueAt(input: unknown, path: Path): unknown {
  let v = input
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string | number, unknown>)[p]
  }
  return v
}

function kind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  return `${typeof v === 'string' ? 'the text' : `the ${typeof v}`} ${JSON.stringify(v)}`
}

function article(t: string): string {
  const words: Record<string, string> = {object: 'a mapping', array: 'a list', string: 'text', number: 'a number', boolean: 'true or false'}
  return words[t] ?? t
}

/** The field names allowed at `path`, by walking the zod schema (zod 4 internals: `def.type`). */
export function knownKeys(root: z.ZodType, path: Path): string[] {
  const candidates = schemasAt(root, path)
  const keys = new Set<string>()
  for (const s of candidates) {
    const def = (s as unknown as {def: {type: string; shape?: Record<string, unknown>}}).def
    if (def.type === 'object' && def.shape) for (const k of Object.keys(def.shape)) keys.add(k)
  }
  return [...keys]
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

/** Damerau-free Levenshtein; good enough to catch "prioirty", "virtual_route_id". */
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
