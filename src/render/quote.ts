/**
 * Quoting for the three languages lbctl writes values into. Shell words come from src/shell's quote(), the one
 * shell quoting rule of the project; keepalived and HAProxy have their own.
 */
export {quote as shellWord} from '../shell/index.js'

/**
 * Thrown when an inventory value cannot be written into a daemon's config at all; names the field and why, never the
 * value (it may be a secret). validate refuses every such value first, at its line: this is the last line of defence.
 */
export class RenderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RenderError'
  }
}

/**
 * A keepalived config string in double quotes. Unquoted, keepalived cuts a value at `#` or `!` (comment starters,
 * even inside a word: `auth_pass ab#cd` silently becomes "ab") — quoted, they are kept. keepalived has no escape for
 * a double quote inside a quoted string, so such a value cannot be written at all.
 */
export function keepalivedString(value: string, what: string): string {
  if (value.includes('"')) throw new RenderError(`${what} contains a double quote, which keepalived's config syntax cannot hold; use single quotes inside the command`)
  if (/[\n\r\0]/.test(value)) throw new RenderError(`${what} must be a single line`)
  return `"${value}"`
}

const HAPROXY_SAFE = /^[A-Za-z0-9_.:\/@%+=,?&~-]+$/

/**
 * One HAProxy config word. HAProxy 2.x splits lines on spaces, treats `#` as a comment and expands `$VAR` inside
 * double quotes; inside single quotes nothing is special, so that is the default quoting.
 */
export function haproxyWord(value: string): string {
  if (HAPROXY_SAFE.test(value)) return value
  if (/[\n\r\0]/.test(value)) throw new RenderError('an HAProxy value must be a single line')
  if (!value.includes("'")) return `'${value}'`
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`
}
