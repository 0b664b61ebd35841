import {isIPv4} from 'node:net'
import {closest} from '../schema-errors.js'
import {checkArgs, int, NETWORK, oneOf, type Keyword} from './args.js'
import type {GrammarError} from './types.js'

/**
 * `option …` lines of a defaults, frontend, backend or listen section. Each is one line of a section, so none can
 * open a section; the table keeps each to what HAProxy 2.6 accepts without a warning (haproxy -c is the deploy's
 * gate), and optionPlacementError says where HAProxy would ignore it (a warning) instead.
 */

export type SectionKind = 'defaults' | 'frontend' | 'backend' | 'listen'

export interface OptionRule extends Keyword {
  /** Where HAProxy applies it; elsewhere it warns "ignored because … has no frontend/backend capability". */
  side: 'frontend' | 'backend' | 'both'
  /** HAProxy warns and ignores it in a tcp-mode proxy, also when inherited from defaults. */
  http: boolean
}

// Scopes and http-only flags as HAProxy 2.6 reports them (every entry was run through haproxy -c in each section
// kind and mode; see test/unit/contract.test.ts, which keeps checking it).
const F = 'frontend' as const
const B = 'backend' as const
const BOTH = 'both' as const
export const OPTIONS: Readonly<Record<string, OptionRule>> = {
  abortonclose: {args: [], side: B, http: false},
  allbackups: {args: [], side: B, http: false},
  checkcache: {args: [], side: B, http: true},
  clitcpka: {args: [], side: F, http: false},
  contstats: {args: [], side: F, http: false},
  'dontlog-normal': {args: [], side: F, http: false},
  dontlognull: {args: [], side: F, http: false},
  'http-buffer-request': {args: [], side: BOTH, http: true},
  'http-ignore-probes': {args: [], side: F, http: true},
  'http-keep-alive': {args: [], side: BOTH, http: false},
  'http-no-delay': {args: [], side: BOTH, http: true},
  'http-pretend-keepalive': {args: [], side: B, http: true},
  'http-server-close': {args: [], side: BOTH, http: false},
  httpclose: {args: [], side: BOTH, http: false},
  'http-restrict-req-hdr-names': {args: [oneOf('preserve', 'delete', 'reject')], side: BOTH, http: false},
  httplog: {args: [oneOf('clf')], optional: 1, side: F, http: true},
  'independent-streams': {args: [], side: BOTH, http: false},
  'log-health-checks': {args: [], side: B, http: false},
  'log-separate-errors': {args: [], side: F, http: false},
  logasap: {args: [], side: F, http: false},
  nolinger: {args: [], side: BOTH, http: false},
  persist: {args: [], side: B, http: false},
  'prefer-last-server': {args: [], side: B, http: true},
  redispatch: {args: [int(-100, 100)], optional: 1, side: B, http: false},
  'socket-stats': {args: [], side: F, http: false},
  'splice-auto': {args: [], side: BOTH, http: false},
  'splice-request': {args: [], side: BOTH, http: false},
  'splice-response': {args: [], side: BOTH, http: false},
  srvtcpka: {args: [], side: B, http: false},
  'tcp-smart-accept': {args: [], side: F, http: false},
  'tcp-smart-connect': {args: [], side: B, http: false},
  tcpka: {args: [], side: BOTH, http: false},
  tcplog: {args: [], side: F, http: false},
  'ssl-hello-chk': {args: [], side: B, http: false},
  'tcp-check': {args: [], side: B, http: false},
  // Keyword arguments in any order: [except NET] [header NAME] [if-none]; checked by forwardArgsError.
  forwardfor: {args: [], side: BOTH, http: true},
  originalto: {args: [], side: BOTH, http: true},
}

const OWNED: Record<string, GrammarError> = {
  httpchk: {message: 'is what lbctl writes from the backend\'s httpchk field (with its http-check lines)', hint: 'use httpchk: {path: /health}'},
}

/** One `option` with its arguments, on its own; where it may be used is optionPlacementError's business. */
export function optionError(text: string): GrammarError | undefined {
  if (/["'\\#$]/.test(text)) return {message: 'contains a quote, "\\", "#" or "$", which no option takes', hint: 'write the option name and its plain arguments, like redispatch'}
  const [name = '', ...args] = text.trim().split(/ +/)
  if (OWNED[name]) return OWNED[name]
  const rule = OPTIONS[name]
  if (!rule) {
    const guess = closest(name.replace(/^no /, ''), Object.keys(OPTIONS))
    return {message: `"${name}" is not an option lbctl knows: it can vouch only for options HAProxy is known to accept`, hint: `${guess ? `did you mean "${guess}"? ` : ''}known: ${Object.keys(OPTIONS).join(', ')}`}
  }
  if (name === 'forwardfor' || name === 'originalto') return forwardArgsError(name, args)
  return checkArgs(`option ${name}`, rule, args)
}

/**
 * Whether an option (already grammatical) belongs in a section of this kind and mode. `inherited`: it comes from
 * defaults into this section.
 */
export function optionPlacementError(text: string, kind: SectionKind, mode: 'http' | 'tcp'): GrammarError | undefined {
  const name = text.trim().split(/ +/)[0]!
  const rule = OPTIONS[name]
  if (!rule) return undefined
  if (name === 'forwardfor' && (kind === 'frontend' || kind === 'listen')) {
    return {message: 'is what lbctl writes itself from the forwardfor field (option forwardfor except 127.0.0.0/8, in http mode): HAProxy would see it twice', hint: 'use forwardfor: true or false on this section'}
  }
  if (rule.http && mode === 'tcp') {
    return {message: `needs http mode, but this section is in tcp mode: HAProxy ignores option ${name} here (and only logs a warning)`, hint: 'remove it, or set mode: http'}
  }
  if (kind !== 'defaults' && kind !== 'listen' && rule.side !== 'both' && rule.side !== kind) {
    return {message: `applies to ${rule.side}s only: HAProxy ignores option ${name} in a ${kind} ("no ${rule.side} capability", a warning)`, hint: `move it to the ${rule.side}${rule.side === 'backend' ? ' this frontend routes to' : ' that routes here'}, or use a listen section`}
  }
  return undefined
}

function forwardArgsError(name: string, args: string[]): GrammarError | undefined {
  const usage = `write it as: option ${name} [except 10.0.0.0/8] [header X-Name]${name === 'forwardfor' ? ' [if-none]' : ''}`
  const seen = new Set<string>()
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (seen.has(a)) return {message: `has "${a}" twice`, hint: usage}
    seen.add(a)
    if (a === 'except' && NETWORK.test(args[i + 1] ?? '') && isIPv4(args[i + 1]!.split('/')[0]!)) i++
    else if (a === 'header' && /^[A-Za-z0-9-]{1,64}$/.test(args[i + 1] ?? '')) i++
    else if (a === 'if-none' && name === 'forwardfor') continue
    else return {message: `has "${a}" where option ${name} takes except NETWORK, header NAME${name === 'forwardfor' ? ' or if-none' : ''}`, hint: usage}
  }
  return undefined
}
