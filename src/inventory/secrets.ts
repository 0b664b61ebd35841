import {readFileSync} from 'node:fs'
import {dirname, isAbsolute, resolve} from 'node:path'
import {formatPath, type Path, type Problem} from './problems.js'
import type {Source} from './source.js'

const PLACEHOLDER = /\$\{(env|file):([^}]*)\}/g

// Every value ends up inside one directive of a daemon config or one shell word: a control character there either
// starts a new directive (a line break) or cuts the value short (NUL). Free text that is never rendered may hold them.
const CONTROL = /[\u0000-\u001f\u007f]/
const FREE_TEXT = (path: Path) => path[0] === 'description' || path.includes('vars')
const MAX_LENGTH = 255

export interface SecretContext {
  env: NodeJS.ProcessEnv
  source: Source
  /**
   * Lint without secrets (`validate --no-secrets`, for CI): every ${env:…} and ${file:…} stands for NO_SECRET,
   * nothing is read from the environment or the disk.
   */
  placeholders?: boolean
}

/** What a ${…} stands for under --no-secrets: 8 letters, a value every password and name field accepts. */
export const NO_SECRET = 'NoSecret'

/** Secrets shorter than this are masked only where they stand on their own (see maskSecrets), and warned about. */
export const SECRET_MIN = 8

/**
 * Replaces `${env:NAME}` and `${file:PATH}` in every string of the parsed inventory. Each resolved value is
 * remembered so output can mask it: whatever came from outside the file is treated as a secret. A missing variable
 * or file is a problem at that field — never an empty string, which keepalived would take as "no password". So is a
 * control character anywhere (named, never shown: the value may be a secret). `badPaths` are the fields reported
 * here, so the schema does not report them a second time.
 */
export function interpolateSecrets(value: unknown, ctx: SecretContext): {value: unknown; secrets: Set<string>; problems: Problem[]; badPaths: Set<string>; short: Path[]} {
  const secrets = new Set<string>()
  const problems: Problem[] = []
  const badPaths = new Set<string>()
  const short: Path[] = []
  const baseDir = dirname(ctx.source.file)

  const report = (path: Path, message: string, hint: string) => {
    const p = ctx.source.problem(path, message, hint)
    problems.push(p)
    badPaths.add(p.path)
  }

  const walk = (v: unknown, path: Path): unknown => {
    // A certificate's `pem` names a file to deliver whole, not a value to paste into a directive: ${file:P} is P.
    if (typeof v === 'string' && path.at(-1) === 'pem' && path.at(-2) === 'ssl') return /^\$\{file:([^}]+)\}$/.exec(v)?.[1] ?? v
    if (typeof v === 'string') {
      const out = v.includes('${') ? replace(v, path) : v
      if (!FREE_TEXT(path) && !badPaths.has(formatPath(path))) {
        const c = CONTROL.exec(v)?.[0]
        if (c !== undefined) report(path, `contains ${controlName(c)}: a value must be one line of printable text (the daemons cut a line at a NUL and start a new directive at a line break)`, 'write it on one line, without control characters')
        else if ([...out].length > MAX_LENGTH) {
          report(path, `is ${[...out].length} characters long; lbctl takes at most ${MAX_LENGTH} in a value: keepalived reads a config line into a 1024-byte buffer and would start a new line with the rest`, `shorten it to ${MAX_LENGTH} characters or fewer`)
        }
      }
      return out
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]))
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, item]) => [k, walk(item, [...path, k])]))
    }
    return v
  }

  const replace = (text: string, path: Path): string =>
    text.replace(PLACEHOLDER, (whole, kind: string, ref: string) => {
      const resolved = ctx.placeholders ? NO_SECRET : kind === 'env' ? fromEnv(ref, path) : fromFile(ref, path)
      if (resolved === undefined) return whole
      secrets.add(resolved)
      if ([...resolved].length < SECRET_MIN) short.push(path)
      const c = CONTROL.exec(resolved)?.[0]
      if (c !== undefined && !FREE_TEXT(path)) {
        report(
          path,
          `the value of ${whole} contains ${controlName(c)}: a secret must be one line of printable text (it is written inside one directive, which a line break would end)`,
          kind === 'env' ? `set ${ref} without it` : 'keep the secret on the file\'s first line, followed by at most one newline',
        )
      }
      return resolved
    })

  const fromEnv = (name: string, path: Path): string | undefined => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      problems.push(ctx.source.problem(path, `\${env:${name}} is not a valid environment variable name`, 'use letters, digits and "_"'))
      return undefined
    }
    const v = ctx.env[name]
    if (v === undefined || v === '') {
      problems.push(
        ctx.source.problem(path, `secret \${env:${name}} is not set`, `export ${name}=… before running lbctl, or use \${file:PATH}`),
      )
      return undefined
    }
    return v
  }

  const fromFile = (ref: string, path: Path): string | undefined => {
    const file = isAbsolute(ref) ? ref : resolve(baseDir, ref)
    try {
      // One trailing newline is how editors save a one-line file; it is not part of the secret.
      const v = readFileSync(file, 'utf8').replace(/\r?\n$/, '')
      if (v === '') {
        problems.push(ctx.source.problem(path, `secret file ${file} is empty`, 'write the secret into the file'))
        return undefined
      }
      return v
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      problems.push(
        ctx.source.problem(path, `secret file ${file} cannot be read (${code ?? 'error'})`, 'create the file (mode 0600) or fix the path'),
      )
      return undefined
    }
  }

  return {value: walk(value, []), secrets, problems, badPaths, short}
}

function controlName(c: string): string {
  const names: Record<string, string> = {'\n': 'a line break', '\r': 'a carriage return', '\t': 'a tab', '\0': 'a NUL byte'}
  return names[c] ?? `the control character U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
}

/**
 * Passwords written into the file itself (not through ${…}) are secrets too; collected from the parsed file even
 * when it failed the schema, so error text can mask them.
 */
export function literalSecrets(value: unknown): string[] {
  const v = value as {vrrp_instances?: Record<string, {auth_pass?: unknown}>; haproxy?: {stats?: {auth?: {password?: unknown}}}} | null
  const found = [
    ...Object.values(v?.vrrp_instances && typeof v.vrrp_instances === 'object' ? v.vrrp_instances : {}).map((i) => (i && typeof i === 'object' ? i.auth_pass : undefined)),
    v?.haproxy?.stats?.auth?.password,
  ]
  return found.filter((s): s is string | number => typeof s === 'string' || typeof s === 'number').map(String).filter((s) => s !== '' && !/\$\{(env|file):/.test(s))
}

export const MASK = '********'

/**
 * Replaces every secret in `text` with a fixed mask, as written and as JSON writes it inside a string (messages quote
 * values with JSON.stringify). Longest first, so a secret containing another is masked whole. `forms` adds the other
 * spellings a caller's output may hold (src/render adds the quoted forms of the config files).
 */
export function maskSecrets(text: string, secrets: Iterable<string>, forms: (s: string) => string[] = () => []): string {
  const all = new Set<string>()
  for (const s of secrets) {
    if (s.length === 0) continue
    for (const f of [s, ...forms(s)]) {
      all.add(f)
      all.add(JSON.stringify(f).slice(1, -1))
    }
  }
  let out = text
  for (const f of [...all].sort((a, b) => b.length - a.length)) {
    // A short secret also occurs inside ordinary words ("chk_hapro********y", "noc@e********ample.com"): starring those
    // garbles the output and shows where the secret's letters are. It is masked where it stands on its own, which is
    // how lbctl writes a value (the directives that hold passwords are masked whole, in secret-lines.ts).
    out = f.length >= SECRET_MIN ? out.split(f).join(MASK) : out.replace(new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(f)}(?![A-Za-z0-9])`, 'g'), MASK)
  }
  return out
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Problems as they may be printed: every text field with the secrets masked. */
export function maskProblems(problems: Problem[], secrets: Iterable<string>): Problem[] {
  const list = [...secrets]
  const m = (t: string | undefined) => (t === undefined ? t : maskSecrets(t, list))
  return problems.map((p) => ({...p, message: m(p.message)!, hint: m(p.hint), source: m(p.source)}))
}
