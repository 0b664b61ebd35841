import {durationMs, HAPROXY_MAX_MS} from '../schema/common.js'
import {closest} from '../schema-errors.js'
import {type GrammarError, words} from './types.js'

/**
 * Keyword lines (`KEYWORD ARG…`) checked against a table: each keyword lbctl vouches for, with the arguments its
 * daemon accepts, and each keyword it refuses, with the reason. The property test generates lines from the same
 * tables, so every line validate accepts is one keepalived -t or haproxy -c has been seen to accept.
 */
export type Arg =
  | {kind: 'int'; min: number; max: number}
  | {kind: 'decimal'; min: number; max: number; places: number}
  | {kind: 'enum'; values: readonly string[]}
  | {kind: 'word'; re: RegExp; what: string; example: string}
  /** An HAProxy time: milliseconds, or a number with a unit; at most HAProxy's longest timer. */
  | {kind: 'duration'; positive?: boolean}

export interface Keyword {
  args: readonly Arg[]
  /** How many of the trailing args may be left out. */
  optional?: number
  /** The last arg may repeat (at least once unless optional). */
  repeat?: boolean
}

export type Table = Readonly<Record<string, Keyword>>
/** Keywords refused on purpose, with why (a sentence fragment) and what to do instead. */
export type Refusals = Readonly<Record<string, GrammarError>>

/** An IPv4 address or network (10.0.0.0/8). */
export const NETWORK = /^\d{1,3}(\.\d{1,3}){3}(\/(\d|[12]\d|3[0-2]))?$/

export const int = (min: number, max: number): Arg => ({kind: 'int', min, max})
export const decimal = (min: number, max: number, places = 3): Arg => ({kind: 'decimal', min, max, places})
export const oneOf = (...values: string[]): Arg => ({kind: 'enum', values})
export const word = (re: RegExp, what: string, example: string): Arg => ({kind: 'word', re, what, example})
export const time: Arg = {kind: 'duration'}
export const positiveTime: Arg = {kind: 'duration', positive: true}

export function argError(arg: Arg, value: string): string | undefined {
  switch (arg.kind) {
    case 'int':
      return /^-?\d+$/.test(value) && Number(value) >= arg.min && Number(value) <= arg.max ? undefined : `a whole number from ${arg.min} to ${arg.max}`
    case 'decimal': {
      const ok = new RegExp(`^\\d+(\\.\\d{1,${arg.places}})?$`).test(value) && Number(value) >= arg.min && Number(value) <= arg.max
      return ok ? undefined : `a number from ${arg.min} to ${arg.max} (at most ${arg.places} decimals)`
    }
    case 'enum':
      return arg.values.includes(value) ? undefined : `one of ${arg.values.join(', ')}`
    case 'word':
      return arg.re.test(value) ? undefined : `${arg.what} (like ${arg.example})`
    case 'duration': {
      const ms = /^\d+$/.test(value) ? Number(value) : durationMs(value)
      return ms >= (arg.positive ? 1 : 0) && ms <= HAPROXY_MAX_MS ? undefined : `a time like 30s, 500ms or 2m, ${arg.positive ? 'above 0 and ' : ''}at most 24d`
    }
  }
}

/** The usage line of a keyword, for messages: `vrrp_garp_master_delay <0-4294>`. */
export function usage(name: string, k: Keyword): string {
  const shown = k.args.map((a, i) => {
    const text = a.kind === 'int' || a.kind === 'decimal' ? `<${a.min}-${a.max}>` : a.kind === 'enum' ? a.values.join('|') : a.kind === 'duration' ? '<time>' : `<${a.what}>`
    const optional = k.optional !== undefined && i >= k.args.length - k.optional
    return `${optional ? '[' : ''}${text}${k.repeat && i === k.args.length - 1 ? '…' : ''}${optional ? ']' : ''}`
  })
  return [name, ...shown].join(' ')
}

/** Checks the words after a known keyword; `name` is what messages call it. */
export function checkArgs(name: string, k: Keyword, args: string[]): GrammarError | undefined {
  const required = k.args.length - (k.optional ?? 0)
  const max = k.repeat ? Infinity : k.args.length
  if (args.length < required || args.length > max) {
    const n = args.length < required ? 'too few' : 'too many'
    return {message: `has ${n} arguments for ${name}: the daemon refuses the line`, hint: `write it as: ${usage(name, k)}`}
  }
  for (const [i, value] of args.entries()) {
    const arg = k.args[Math.min(i, k.args.length - 1)]!
    const wanted = argError(arg, value)
    if (wanted) return {message: `has "${value}" where ${name} takes ${wanted}`, hint: `write it as: ${usage(name, k)}`}
  }
  return undefined
}

/** A whole keyword line against a table and its refusals. A table key may be two words (`stats timeout`). */
export function checkLine(line: string, table: Table, refusals: Refusals, what: string): GrammarError | undefined {
  const w = words(line)
  const two = w.length > 1 && table[`${w[0]} ${w[1]}`] ? 2 : 1
  const name = w.slice(0, two).join(' ')
  const args = w.slice(two)
  const refused = refusals[name]
  if (refused) return refused
  const k = table[name]
  if (!k) {
    const guess = closest(name, Object.keys(table))
    return {
      message: `starts with "${name}", which is not ${what} lbctl knows: it can vouch only for lines the daemon is known to accept`,
      hint: `${guess ? `did you mean "${guess}"? ` : ''}known: ${Object.keys(table).join(', ')}`,
    }
  }
  return checkArgs(name, k, args)
}
