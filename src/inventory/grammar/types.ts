import {z} from 'zod'

/** Why a raw value is refused, in the words validate prints: what is wrong, and how to write it instead. */
export interface GrammarError {
  message: string
  hint: string
}

/**
 * A string field checked by a hand-written grammar. The hint travels in the issue's params so schema-errors.ts can
 * print it as the `fix:` line.
 */
export function grammar(check: (value: string) => GrammarError | undefined) {
  return z.string().superRefine((value, ctx) => {
    const e = check(value)
    if (e) ctx.addIssue({code: 'custom', message: e.message, params: {hint: e.hint}})
  })
}

/** One line split into words at runs of spaces. */
export function words(line: string): string[] {
  return line.trim().split(/ +/).filter((w) => w !== '')
}

/**
 * A list of keyword lines where each keyword may appear once: HAProxy refuses a repeated global setting ("already
 * specified"), and keepalived would keep only one of two.
 */
export function keywordLines(line: z.ZodType<string>) {
  return z.array(line).superRefine((lines, ctx) => {
    const seen = new Map<string, number>()
    for (const [i, l] of lines.entries()) {
      const w = words(l)
      const key = w[0] === 'stats' ? w.slice(0, 2).join(' ') : (w[0] ?? '')
      const first = seen.get(key)
      if (first === undefined) seen.set(key, i)
      else ctx.addIssue({code: 'custom', path: [i], message: `sets ${key} again (line ${first + 1} of this list already does): the daemon refuses or ignores one of them`, params: {hint: 'keep one line per keyword'}})
    }
  })
}
