import {maskSecrets} from '../inventory/secrets.js'

/**
 * Masks the values of secret-bearing directives whatever their value is. Value-based masking only knows this
 * inventory's secrets; a file already on a host may hold an older password, and a diff shows both sides.
 */
const RULES: [RegExp, string][] = [
  // keepalived: auth_pass "secret" (quoted or not)
  [/^(\s*auth_pass\s+)("[^"]*"|\S+)/gm, '$1"********"'],
  // HAProxy: stats auth user:password / userlist user password|insecure-password
  [/^(\s*stats\s+auth\s+[^:\s]+:)\S+/gm, '$1********'],
  [/^(\s*user\s+\S+\s+(?:insecure-)?password\s+)\S+/gm, '$1********'],
]

export function maskSecretLines(text: string): string {
  return RULES.reduce((t, [re, to]) => t.replace(re, to), text)
}

/** Everything printed, logged or returned as JSON goes through this: known secret values, then secret lines. */
export function redact(text: string, secrets: Iterable<string>): string {
  return maskSecretLines(maskSecrets(text, secrets))
}
