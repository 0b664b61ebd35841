import {isIPv4} from 'node:net'
import {closest} from '../schema-errors.js'
import {NETWORK} from './args.js'
import type {GrammarError} from './types.js'

/**
 * The other raw lines of a frontend or listen: ACL criteria, conditions (`use_backends[].if`, and after `if`/`unless`
 * in a rule) and `http-request` rules. Each stays one line of its section; the grammars keep them to fetches,
 * actions and values HAProxy 2.6 takes without a warning, and refuse quoting, comments and variables outright.
 */

export type FetchValue = 'str' | 'ip' | 'int' | 'bool'
export interface Fetch {
  value: FetchValue
  /** Only meaningful on HTTP traffic. */
  http: boolean
  /** Takes a parameter: a header, cookie or URL parameter name. */
  param?: boolean
  /** Also a sample fetch usable in %[…] of a log format (the _beg/_end/… forms are ACL-only). */
  sample?: boolean
}

export const FETCHES: Readonly<Record<string, Fetch>> = {
  path: {value: 'str', http: true, sample: true},
  path_beg: {value: 'str', http: true},
  path_end: {value: 'str', http: true},
  path_sub: {value: 'str', http: true},
  path_dir: {value: 'str', http: true},
  path_len: {value: 'int', http: true},
  url: {value: 'str', http: true, sample: true},
  url_beg: {value: 'str', http: true},
  url_sub: {value: 'str', http: true},
  url_param: {value: 'str', http: true, param: true, sample: true},
  base: {value: 'str', http: true, sample: true},
  base_beg: {value: 'str', http: true},
  method: {value: 'str', http: true, sample: true},
  hdr: {value: 'str', http: true, param: true, sample: true},
  hdr_beg: {value: 'str', http: true, param: true},
  hdr_end: {value: 'str', http: true, param: true},
  hdr_sub: {value: 'str', http: true, param: true},
  hdr_dom: {value: 'str', http: true, param: true},
  'req.hdr': {value: 'str', http: true, param: true, sample: true},
  cook: {value: 'str', http: true, param: true, sample: true},
  src: {value: 'ip', http: false, sample: true},
  dst: {value: 'ip', http: false, sample: true},
  src_port: {value: 'int', http: false, sample: true},
  dst_port: {value: 'int', http: false, sample: true},
  ssl_fc: {value: 'bool', http: false, sample: true},
  ssl_fc_sni: {value: 'str', http: false, sample: true},
  always_true: {value: 'bool', http: false, sample: true},
  always_false: {value: 'bool', http: false, sample: true},
}

export const STR_VALUE = /^[A-Za-z0-9_.,:\/%~@+=?&*-]+$/
const PARAM = /^[A-Za-z0-9_-]{1,64}$/
const INT_VALUE = /^(\d{1,9}(:\d{1,9})?)$/
const INT_OPS = new Set(['eq', 'ge', 'gt', 'le', 'lt'])

function parseFetch(token: string): {name: string; fetch: Fetch} | GrammarError {
  const m = /^([a-z_.]+)(?:\(([^)]*)\))?$/.exec(token)
  const fetch = m ? FETCHES[m[1]!] : undefined
  if (!m || !fetch) {
    const guess = closest(m?.[1] ?? token, Object.keys(FETCHES))
    return {message: `uses "${token}", which is not a fetch lbctl knows`, hint: `${guess ? `did you mean "${guess}"? ` : ''}known: ${Object.keys(FETCHES).join(', ')}`}
  }
  if (fetch.param && !(m[2] !== undefined && PARAM.test(m[2]))) return {message: `uses ${m[1]} without a name in parentheses`, hint: `write it like ${m[1]}(host)`}
  if (!fetch.param && m[2] !== undefined) return {message: `gives ${m[1]} a parameter it does not take`, hint: `write ${m[1]} alone`}
  return {name: m[1]!, fetch}
}

/** `FETCH [-i] VALUE…`: an ACL of a frontend, or the inside of an anonymous `{ … }` ACL. */
export function aclError(text: string): GrammarError | undefined {
  if (/["'\\#${}]/.test(text)) return {message: 'contains a quote, "\\", "#", "$" or a brace: HAProxy would read quoting, a comment, a variable or a block', hint: 'write the fetch and plain values, like path_beg /api'}
  const [token = '', ...rest] = text.trim().split(/ +/)
  const f = parseFetch(token)
  if ('message' in f) return f
  const ci = rest[0] === '-i'
  const values = ci ? rest.slice(1) : rest
  if (ci && f.fetch.value !== 'str') return {message: `uses -i with ${f.name}, which does not match text`, hint: 'remove -i'}
  if (f.fetch.value === 'bool') return values.length === 0 ? undefined : {message: `gives ${f.name} values, but it is true or false by itself`, hint: `write ${f.name} alone`}
  if (values.length === 0) return {message: `gives ${f.name} nothing to match`, hint: `add values, like ${token} ${example(f.fetch.value)}`}
  if (f.fetch.value === 'int') {
    const ok = (values.length === 2 && INT_OPS.has(values[0]!) && /^\d{1,9}$/.test(values[1]!)) || values.every((v) => INT_VALUE.test(v))
    return ok ? undefined : {message: `has values ${f.name} cannot compare`, hint: `write numbers or ranges like 80 or 1024:65535, or an operator: gt 5`}
  }
  const dash = values.find((v) => v.startsWith('-'))
  if (dash !== undefined) return {message: `has "${dash}", which HAProxy reads as an option of the ACL, not a value ("is not a valid ACL option")`, hint: 'write values that do not start with "-"'}
  const bad = values.find((v) => (f.fetch.value === 'ip' ? !(NETWORK.test(v) && isIPv4(v.split('/')[0]!)) : !STR_VALUE.test(v)))
  return bad === undefined ? undefined : {message: `has "${bad}", which is not ${f.fetch.value === 'ip' ? 'an IPv4 address or network' : 'a plain value (letters, digits and _.,:/%~@+=?&*-)'}`, hint: `write it like ${token} ${example(f.fetch.value)}`}
}

const example = (v: FetchValue) => (v === 'ip' ? '10.0.0.0/8' : v === 'int' ? '80' : '/api')

/**
 * A condition after `if`/`unless`: ACL names (`!` negates), anonymous ACLs `{ … }`, `||` or `or` between
 * alternatives. Which names are defined is a cluster check (checks/acl.ts).
 */
export function conditionError(text: string): GrammarError | undefined {
  if (/["'\\#$]/.test(text)) return {message: 'contains a quote, "\\", "#" or "$": HAProxy would read quoting, a comment or a variable', hint: 'write ACL names and { anonymous ACLs }, like is_api !is_admin'}
  const tokens = text.replace(/\{/g, ' { ').replace(/\}/g, ' } ').trim().split(/ +/).filter(Boolean)
  if (tokens.length === 0) return {message: 'is empty', hint: 'name an ACL, like is_api'}
  let expectTerm = true
  for (let i = 0; i < tokens.length; i++) {
    let t = tokens[i]!
    if (t === '||' || t === 'or') {
      if (expectTerm) return {message: `has "${t}" with nothing before it`, hint: 'write it between two ACLs, like is_api || is_static'}
      expectTerm = true
      continue
    }
    if (t === '!') t = tokens[++i] ?? ''
    else if (t.startsWith('!')) t = t.slice(1)
    if (t === '{') {
      const end = tokens.indexOf('}', i)
      if (end < 0) return {message: 'opens "{" without closing it', hint: 'close the anonymous ACL: { ssl_fc }'}
      const inner = aclError(tokens.slice(i + 1, end).join(' '))
      if (inner) return {message: `has an anonymous ACL that ${inner.message}`, hint: inner.hint}
      i = end
    } else if (t === '}' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(t)) {
      return {message: `has "${t}", which is not an ACL name or { anonymous ACL }`, hint: 'write ACL names and { anonymous ACLs }, like is_api !{ ssl_fc }'}
    }
    expectTerm = false
  }
  return expectTerm ? {message: 'ends with an operator', hint: 'add the ACL it should combine with'} : undefined
}

const HEADER = /^[A-Za-z0-9-]{1,64}$/
const STATUS = ['200', '400', '401', '403', '404', '405', '407', '408', '410', '413', '425', '429', '500', '501', '502', '503', '504']
const REDIRECT_CODES = ['301', '302', '303', '307', '308']
const URL = /^[A-Za-z0-9_.,:\/%~@+=?&-]+$/

/** A log-format word: plain text, `%%`, and `%[fetch]` sample fetches. */
export function formatError(value: string): string | undefined {
  let rest = value
  for (const m of value.matchAll(/%\[([^\]]*)\]/g)) {
    const f = /^([a-z_.]+)(?:\(([A-Za-z0-9_-]{1,64})\))?$/.exec(m[1]!)
    const fetch = f ? FETCHES[f[1]!] : undefined
    if (!f || !fetch?.sample || Boolean(fetch.param) !== (f[2] !== undefined)) return `"%[${m[1]}]" is not a sample fetch lbctl knows (like %[src], %[path], %[hdr(host)])`
    rest = rest.replace(m[0], '')
  }
  rest = rest.replace(/%%/g, '')
  if (rest.includes('%')) return 'a "%" that is not %[fetch] or %%'
  return /^[A-Za-z0-9_.,:\/=@+-]*$/.test(rest) ? undefined : 'characters other than letters, digits, _.,:/=@+- and %[fetch]'
}

type Action = (args: string[]) => string | undefined
const none: Action = (a) => (a.length === 0 ? undefined : 'takes no arguments')
const status: Action = (a) => (a.length === 0 || (a.length === 2 && a[0] === 'deny_status' && STATUS.includes(a[1]!)) ? undefined : `takes only deny_status CODE (${STATUS.join(', ')})`)
const ACTIONS: Readonly<Record<string, {usage: string; check: Action}>> = {
  allow: {usage: 'allow', check: none},
  deny: {usage: 'deny [deny_status 403]', check: status},
  tarpit: {usage: 'tarpit [deny_status 403]', check: status},
  auth: {usage: 'auth [realm NAME]', check: (a) => (a.length === 0 || (a.length === 2 && a[0] === 'realm' && /^[A-Za-z0-9_.-]+$/.test(a[1]!)) ? undefined : 'takes only realm NAME')},
  redirect: {
    usage: 'redirect scheme https [code 301] | redirect location URL | redirect prefix URL',
    check: (a) => {
      const [how, target, code, n, ...more] = a
      const ok = ((how === 'scheme' && (target === 'http' || target === 'https')) || ((how === 'location' || how === 'prefix') && URL.test(target ?? ''))) &&
        (code === undefined || (code === 'code' && REDIRECT_CODES.includes(n ?? ''))) && more.length === 0
      return ok ? undefined : `needs scheme http|https, location URL or prefix URL, then optionally code ${REDIRECT_CODES.join('|')}`
    },
  },
  'set-header': {usage: 'set-header NAME VALUE', check: (a) => headerValue(a)},
  'add-header': {usage: 'add-header NAME VALUE', check: (a) => headerValue(a)},
  'del-header': {usage: 'del-header NAME', check: (a) => (a.length === 1 && HEADER.test(a[0]!) ? undefined : 'takes one header name')},
  'set-path': {usage: 'set-path FORMAT', check: (a) => (a.length !== 1 ? 'takes one path' : formatError(a[0]!))},
  'set-log-level': {usage: 'set-log-level silent|LEVEL', check: (a) => (a.length === 1 && ['silent', 'emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'].includes(a[0]!) ? undefined : 'takes silent or a syslog level')},
}

function headerValue(a: string[]): string | undefined {
  if (a.length !== 2 || !HEADER.test(a[0]!)) return 'takes a header name and one value (no spaces)'
  return formatError(a[1]!)
}

export const HTTP_ACTIONS = Object.keys(ACTIONS)

/** `ACTION ARGS [if|unless CONDITION]`. */
export function httpRequestError(text: string): GrammarError | undefined {
  if (/["'\\#$]/.test(text)) return {message: 'contains a quote, "\\", "#" or "$": HAProxy would read quoting, a comment or a variable', hint: 'write the action and plain arguments, like set-header X-Forwarded-Proto https if { ssl_fc }'}
  const w = text.trim().split(/ +/)
  const at = w.findIndex((x) => x === 'if' || x === 'unless')
  const [action = '', ...args] = at < 0 ? w : w.slice(0, at)
  const a = ACTIONS[action]
  if (!a) {
    const guess = closest(action, HTTP_ACTIONS)
    return {message: `"${action}" is not an http-request action lbctl knows`, hint: `${guess ? `did you mean "${guess}"? ` : ''}known: ${HTTP_ACTIONS.join(', ')}`}
  }
  const wrong = a.check(args)
  if (wrong) return {message: `${action} ${wrong}`, hint: `write it as: ${a.usage} [if CONDITION]`}
  if (at >= 0) {
    const c = conditionError(w.slice(at + 1).join(' '))
    if (c) return {message: `has a condition that ${c.message}`, hint: c.hint}
  }
  return undefined
}
