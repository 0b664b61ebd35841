/**
 * Secret canaries: values holding every character class that changes how a secret is spelled somewhere (space, $, ",
 * \, #, !, ', non-ASCII), and every spelling lbctl's outputs could give one. Written out here, independently of
 * src/render/secret-lines.ts, so the masking is tested against the forms rather than against itself.
 */
import assert from 'node:assert/strict'

/** A VRRP password keepalived can hold: at most 8 bytes, no double quote. */
export const VRRP_CANARY = '$ \\#!é'
/** A stats password with every class, a double quote included (HAProxy can hold one, escaped). */
export const STATS_CANARY = 'Ab$1 "C\\#!ü\'9'
/** A cluster name from ${env:…} (whatever comes from outside the file is a secret). */
export const NAME_CANARY = 'Cn4ryName'

/** Every way a canary could appear in lbctl's output. */
export function spellings(secret: string): string[] {
  const forms = new Set<string>([
    secret,
    secret.replace(/[\\"$]/g, (c) => `\\${c}`), // inside HAProxy double quotes
    `'${secret}'`, // HAProxy or shell single quotes
    secret.replace(/'/g, "'\\''"), // a shell single-quoted word
    secret.replace(/ /g, '\\ '), // HAProxy backslash-escaped spaces
    Buffer.from(secret).toString('base64'),
    encodeURIComponent(secret),
  ])
  for (const f of [...forms]) forms.add(JSON.stringify(f).slice(1, -1))
  return [...forms]
}

/** Fails naming the canary and the spelling found, and shows where. */
export function assertNoCanary(what: string, output: string, canaries: string[]): void {
  for (const c of canaries) {
    for (const form of spellings(c)) {
      const at = output.indexOf(form)
      assert.ok(at < 0, `${what} printed the secret ${JSON.stringify(c)} as ${JSON.stringify(form)}: …${output.slice(Math.max(0, at - 80), at + form.length + 40)}…`)
    }
  }
}
