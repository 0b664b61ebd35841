/**
 * The one place where remote shell command text is built.
 *
 * Every command lbctl sends to a host is a `ShellCommand`, and the only ways to
 * make one are the `cmd` tagged template (every interpolated value goes through
 * `quote()`), `raw` (a constant literal written in the code) and the combinators
 * below. Plain strings are never accepted where a command is expected, so a
 * value from an inventory cannot reach a shell unquoted.
 *
 * Target: POSIX sh (dash, bash, busybox ash). Pure, no I/O.
 */

// Characters that no POSIX shell treats specially anywhere in a word. `=` and
// `:` are fine for sh; `~` is not listed because a leading `~` expands, and
// `%`/`@` are harmless in sh. ASCII only: non-ASCII bytes get quoted, which is
// always correct, whatever the remote locale.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/

/** Quote one string so that POSIX sh reads it back as exactly one word. */
export function quote(s: string): string {
  if (typeof s !== 'string') throw new TypeError(`quote() expects a string, got ${typeof s}`)
  // A NUL cannot travel in a shell word: exec() args are C strings, so sh
  // would silently cut the value there. Refuse instead of truncating.
  if (s.includes('\0')) throw new Error('quote(): string contains a NUL byte, which no shell word can hold')
  if (s === '') return "''"
  if (SAFE_WORD.test(s)) return s
  // Inside '...' nothing is special except ' itself, which cannot be escaped
  // there: close the quote, add an escaped quote, reopen.
  return "'" + s.replace(/'/g, "'\\''") + "'"
}

const TOKEN = Symbol('ShellCommand')
type Op = '&&' | ';' | '|'

/** A piece of shell text that is safe to send: built only by this module. */
export class ShellCommand {
  readonly text: string
  /** The list operator at the top level, if this command is a list/pipeline. */
  readonly op: Op | undefined
  /** For a script(): the same program as lines to run inside a shell that is already sh (its argv set first). */
  readonly inline: string | undefined

  /** @internal use cmd`...`, raw`...` or the combinators. */
  constructor(token: typeof TOKEN, text: string, op?: Op, inline?: string) {
    if (token !== TOKEN) throw new Error('ShellCommand is built with cmd`...` or raw`...`, not new')
    this.text = text
    this.op = op
    this.inline = inline
  }

  toString(): string {
    return this.text
  }
}

export function isShellCommand(x: unknown): x is ShellCommand {
  return x instanceof ShellCommand
}

/** A value that may be interpolated into cmd`...`. */
export type Interpolable = string | number | ShellCommand | ReadonlyArray<string | number | ShellCommand>

// A list interpolated into a larger command is grouped, so that a redirect or
// `|| true` after it applies to the whole list, and a prefix such as `sudo`
// fails loudly on `{` instead of silently covering only the first command.
function interpolate(v: unknown, index: number): string {
  if (v instanceof ShellCommand) return v.op === undefined ? v.text : `{ ${v.text}; }`
  if (typeof v === 'string') return quote(v)
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`cmd: interpolated value #${index} is ${v}`)
    return quote(String(v))
  }
  if (Array.isArray(v)) return v.map((e) => interpolate(e, index)).join(' ')
  throw new TypeError(`cmd: interpolated value #${index} is ${v === null ? 'null' : typeof v}, expected string, number, array or ShellCommand`)
}

/**
 * Tagged template for a command: literal parts are shell code written by us,
 * interpolated values are data and are quoted.
 *
 * Literal text is taken as written (String.raw), so `\n` in the template reaches
 * the shell as backslash-n, just as it would in a script file.
 *
 *   cmd`keepalived -t -f ${path}`
 *   cmd`rm -f -- ${files}`          // array → one quoted word each
 */
export function cmd(strings: TemplateStringsArray, ...values: Interpolable[]): ShellCommand {
  let text = literal(strings.raw[0]!)
  for (let i = 0; i < values.length; i++) text += interpolate(values[i], i) + literal(strings.raw[i + 1]!)
  return new ShellCommand(TOKEN, text)
}

// `\${` in a template is the shell's own `${` (a parameter expansion such as `\${p%/*}` costs no process, where
// `$(dirname "$p")` costs two). A literal backslash-dollar-brace is never wanted in our scripts.
const literal = (s: string) => s.replaceAll('\\${', '${')

/**
 * A constant shell fragment written as a literal in the code, e.g.
 * raw`2>/dev/null || true`. The signature admits no interpolation, and the
 * runtime check refuses a call that is not a tagged template, so a variable can
 * never get in through here.
 */
export function raw(text: TemplateStringsArray, ...none: never[]): ShellCommand {
  if (!Array.isArray(text) || !Array.isArray((text as TemplateStringsArray).raw) || !Object.isFrozen(text)) {
    throw new TypeError('raw must be used as a tagged template: raw`...`')
  }
  if (none.length > 0 || text.length !== 1) throw new TypeError('raw`...` takes no ${} interpolations; use cmd`...`')
  return new ShellCommand(TOKEN, literal(text.raw[0]!))
}

/**
 * `sh -c '<body>' lbctl ARGS…`: a script of ours with its own argv. Sent alone, that is its text. Inside a batch that
 * already runs under sh (prefetch.ts framedBatch) it runs as `set -- ARGS…` and the body in the step's subshell
 * instead: no sh to start for each step, which every host pays at once on a busy controller's lab or fleet.
 * The body must be a whole program for sh: it may `exit`, set options and traps, and end with a comment.
 */
export function script(body: ShellCommand, ...args: Interpolable[]): ShellCommand {
  if (!(body instanceof ShellCommand)) throw new TypeError('script() takes a ShellCommand body')
  const argv = args.map((a, i) => interpolate(a, i)).filter((w) => w !== '').join(' ')
  const text = `sh -c ${quote(body.text)} lbctl${argv ? ` ${argv}` : ''}`
  return new ShellCommand(TOKEN, text, undefined, `set --${argv ? ` ${argv}` : ''}\n${body.text}\n`)
}

/** c as lines for a subshell of a shell that is already sh: a script()'s body inlined, anything else as written. */
export function subshell(c: ShellCommand): ShellCommand {
  return new ShellCommand(TOKEN, c.inline !== undefined ? `(\n${c.inline})` : `( ${c.text} )`)
}

/** `sh -c '<text>'`: run c in a fresh shell, e.g. under sudo or a different user. */
export function sh(c: ShellCommand): ShellCommand {
  return cmd`sh -c ${c.text}`
}

/** c under a single sh: a list of script()s costs one sh, not one per script (as a list's text would). */
export function oneShell(c: ShellCommand): ShellCommand {
  return c.inline === undefined ? c : cmd`sh -c ${c.inline}`
}

// sh precedence: `|` binds tighter than `&&`/`||`, which bind tighter than `;`.
// An operand that is itself a list with a different operator is grouped with
// `{ ...; }` (no subshell), so and(seq(a, b), c) means "(a; b) && c".
function join(op: Op, cs: ShellCommand[]): ShellCommand {
  if (cs.length === 0) throw new Error(`cannot join zero commands with ${op}`)
  for (const c of cs) if (!(c instanceof ShellCommand)) throw new TypeError('combinators take ShellCommand values only')
  if (cs.length === 1) return cs[0]!
  const sep = op === ';' ? '; ' : ` ${op} `
  const group = (c: ShellCommand) => (c.op === undefined || c.op === op ? c.text : `{ ${c.text}; }`)
  // A list holding a script() can run under one sh: each script's body in its own subshell (see script()).
  const inline = cs.some((c) => c.inline !== undefined) ? `${cs.map((c) => (c.inline !== undefined ? subshell(c).text : group(c))).join(op === ';' ? '\n' : ` ${op}\n`)}\n` : undefined
  return new ShellCommand(TOKEN, cs.map(group).join(sep), op, inline)
}

/** c1 && c2 && ... */
export function and(...cs: ShellCommand[]): ShellCommand {
  return join('&&', cs)
}

/** c1; c2; ... */
export function seq(...cs: ShellCommand[]): ShellCommand {
  return join(';', cs)
}

/** c1 | c2 | ... (exit status is the last command's, as in sh without pipefail) */
export function pipe(...cs: ShellCommand[]): ShellCommand {
  return join('|', cs)
}
