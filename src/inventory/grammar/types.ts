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
