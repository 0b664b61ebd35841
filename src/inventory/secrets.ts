import {readFileSync} from 'node:fs'
import {dirname, isAbsolute, resolve} from 'node:path'
import type {Path, Problem} from './problems.js'
import type {Source} from './source.js'

const PLACEHOLDER = /\$\{(env|file):([^}]*)\}/g

export interface SecretContext {
  env: NodeJS.ProcessEnv
  source: Source
}

/**
 * Replaces `${env:NAME}` and `${file:PATH}` in every string of the parsed inventory. Each resolved value is
 * remembered so output can mask it: whatever came from outside the file is treated as a secret. A missing variable
 * or file is a problem at that field — never an empty string, which keepalived would take as "no password".
 */
export function interpolateSecrets(value: unknown, ctx: SecretContext): {value: unknown; secrets: Set<string>; problems: Problem[]} {
  const secrets = new Set<string>()
  const problems: Problem[] = []
  const baseDir = dirname(ctx.source.file)

  const walk = (v: unknown, path: Path): unknown => {
    if (typeof v === 'string') return v.includes('${') ? replace(v, path) : v
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]))
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, item]) => [k, walk(item, [...path, k])]))
    }
    return v
  }

  const replace = (text: string, path: Path): string =>
    text.replace(PLACEHOLDER, (whole, kind: string, ref: string) => {
      const resolved = kind === 'env' ? fromEnv(ref, path) : fromFile(ref, path)
      if (resolved === undefined) return whole
      secrets.add(resolved)
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

  return {value: walk(value, []), secrets, problems}
}

/** Replaces every secret value in `text` with a fixed mask; longest first so a secret containing another is whole. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  let out = text
  for (const s of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) out = out.split(s).join('********')
  return out
}
