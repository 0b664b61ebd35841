import {maskSecrets} from '../inventory/secrets.js'

/**
 * Masks the values of secret-bearing directives whatever their value is, to the end of the line: value-based
 * masking only knows this inventory's secrets, a file already on a host may hold an older password, and a diff
 * shows both sides. The whole rest of the line goes, so no quoting or escaping can leave a piece of it behind.
 */
const RULES: [RegExp, string][] = [
  // keepalived: auth_pass "secret" (quoted or not)
  [/^(\s*auth_pass\s+).*$/gm, '$1"********"'],
  // HAProxy: stats auth user:password, quoted or not (the user stays readable)
  [/^(\s*stats\s+auth\s+)(['"]?)([^:\s'"]*):.*$/gm, '$1$2$3:********$2'],
  // HAProxy: userlist user NAME password|insecure-password SECRET [groups …]
  [/^(\s*user\s+\S+\s+(?:insecure-)?password\s+)("(?:[^"\\]|\\.)*"|'[^']*'|\S+)/gm, '$1********'],
]

export function maskSecretLines(text: string): string {
  return RULES.reduce((t, [re, to]) => t.replace(re, to), text)
}

/**
 * How a secret can be spelled in what lbctl writes: as is (keepalived's quoted strings have no escapes, nor have
 * HAProxy's single quotes), escaped inside HAProxy's double quotes (\\ \" \$, see quote.ts), and inside a shell
 * single-quoted word ('\'' for a quote). maskSecrets adds the JSON spelling of each.
 */
export function renderedForms(secret: string): string[] {
  return [secret.replace(/[\\"$]/g, (c) => `\\${c}`), secret.replace(/'/g, "'\\''")]
}

/** Everything printed, logged or returned as JSON goes through this: known secret values, then secret lines. */
export function redact(text: string, secrets: Iterable<string>): string {
  return maskSecretLines(maskSecrets(text, secrets, renderedForms))
}

/** Whether `text` holds any secret, in any of its spellings (files that do are mode 0600). */
export function holdsSecret(text: string, secrets: Iterable<string>): boolean {
  return maskSecrets(text, secrets, renderedForms) !== text
}
