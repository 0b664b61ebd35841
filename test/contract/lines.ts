/**
 * Raw lines drawn from the grammar tables validate checks them against (src/inventory/grammar/): every keyword,
 * each argument anywhere in its range, the edges included. Whatever these produce, validate accepts, so the daemons
 * must too — that is what the contract test checks.
 */
import fc from 'fast-check'
import type {Arg, Keyword, Table} from '../../src/inventory/grammar/args.js'
import {GLOBAL_DEFS} from '../../src/inventory/grammar/global-defs.js'
import {FACILITIES, GLOBAL_KEYWORDS, LEVELS} from '../../src/inventory/grammar/haproxy-global.js'
import {OPTIONS, type SectionKind} from '../../src/inventory/grammar/haproxy-options.js'
import {FETCHES} from '../../src/inventory/grammar/haproxy-rules.js'

/** Edges first: the bounds of a range are where an off-by-one between lbctl and a daemon shows. */
function argValue(arg: Arg): fc.Arbitrary<string> {
  switch (arg.kind) {
    case 'int':
      return fc.oneof(fc.constantFrom(arg.min, arg.max), fc.integer({min: arg.min, max: arg.max})).map(String)
    case 'decimal': {
      const scale = 10 ** arg.places
      return fc.oneof(fc.constantFrom(arg.min, arg.max), fc.integer({min: Math.ceil(arg.min * scale), max: Math.floor(arg.max * scale)}).map((n) => n / scale)).map((n) => String(Number(n.toFixed(arg.places))))
    }
    case 'enum':
      return fc.constantFrom(...arg.values)
    case 'word':
      return fc.stringMatching(arg.re).filter((s) => s.length > 0 && s.length <= 40 && !/\s/.test(s))
    case 'duration':
      return fc.constantFrom(...(arg.positive ? [] : ['0']), '1', '2147483647', '1us', '500ms', '30s', '5m', '2h', '24d')
  }
}

function keywordLine(name: string, k: Keyword): fc.Arbitrary<string> {
  const required = k.args.length - (k.optional ?? 0)
  const count = k.repeat ? fc.integer({min: Math.max(1, required), max: k.args.length + 2}) : fc.integer({min: required, max: k.args.length})
  return count.chain((n) => fc.tuple(...Array.from({length: n}, (_, i) => argValue(k.args[Math.min(i, k.args.length - 1)]!))).map((args) => [name, ...args].join(' ')))
}

export const tableLine = (table: Table) => fc.oneof(...Object.entries(table).map(([name, k]) => keywordLine(name, k)))

export const globalDefsLine = tableLine(GLOBAL_DEFS)

const SSL_OPTION_LINES = ['ssl-default-bind-options ssl-min-ver TLSv1.2', 'ssl-default-bind-options no-tls-tickets prefer-client-ciphers ssl-min-ver TLSv1.3', 'ssl-default-server-options ssl-min-ver TLSv1.2 no-tls-tickets']
export const haproxyGlobalLine = fc.oneof(tableLine(GLOBAL_KEYWORDS), fc.constantFrom(...SSL_OPTION_LINES))

export const logLine = fc.tuple(
  fc.oneof(fc.constantFrom('/dev/log', 'stdout', 'stderr', '127.0.0.1', '127.0.0.1:514', '10.255.255.254:65535'), fc.stringMatching(/^\/[a-z]{1,8}(\/[a-z0-9_.-]{1,8}){0,2}$/)),
  fc.constantFrom(...FACILITIES),
  fc.option(fc.constantFrom(...LEVELS), {nil: undefined}),
).map(([t, f, l]) => [t, f, l].filter(Boolean).join(' '))

/** An option that belongs in this section kind and mode (placement is validated too; see the property test). */
export function optionLine(kind: SectionKind, mode: 'http' | 'tcp'): fc.Arbitrary<string> {
  const fits = Object.entries(OPTIONS).filter(([name, o]) => (mode === 'http' || !o.http) && (kind === 'defaults' || kind === 'listen' || o.side === 'both' || o.side === kind) && !(name === 'forwardfor' && kind !== 'backend'))
  return fc.oneof(
    ...fits.map(([name, o]) => {
      if (name === 'forwardfor' || name === 'originalto') {
        return fc.tuple(fc.option(fc.constantFrom('except 127.0.0.0/8', 'except 10.0.0.1', 'except 0.0.0.0/0')), fc.option(fc.constantFrom('header X-Client', 'header x-real-ip')), fc.boolean())
          .map(([e, h, none]) => [`option ${name}`, e, h, none && name === 'forwardfor' ? 'if-none' : null].filter(Boolean).join(' ').replace(/^option /, ''))
      }
      return keywordLine(name, o)
    }),
  )
}

const PARAM = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/)
// A value starting with "-" is refused (HAProxy takes it for an ACL option): now and then, so refusals happen too.
const STR = fc.oneof({arbitrary: fc.stringMatching(/^[A-Za-z0-9_.,:\/%~@+=?&*][A-Za-z0-9_.,:\/%~@+=?&*-]{0,15}$/), weight: 99}, {arbitrary: fc.stringMatching(/^-[A-Za-z0-9]{1,4}$/), weight: 1})
const NET = fc.tuple(fc.integer({min: 0, max: 255}), fc.integer({min: 0, max: 255}), fc.integer({min: 0, max: 32})).map(([a, b, p]) => `10.${a}.${b}.0/${p}`)

/** An ACL criterion from the fetch table; `tcp` leaves out the HTTP-only fetches. */
export function aclCriterion(tcp: boolean): fc.Arbitrary<string> {
  const fetches = Object.entries(FETCHES).filter(([, f]) => !(tcp && f.http))
  return fc.oneof(
    ...fetches.map(([name, f]) => {
      const token = f.param ? PARAM.map((p) => `${name}(${p})`) : fc.constant(name)
      const values =
        f.value === 'bool' ? fc.constant([] as string[])
          : f.value === 'ip' ? fc.array(NET, {minLength: 1, maxLength: 3})
            : f.value === 'int' ? fc.oneof(fc.array(fc.oneof(fc.integer({min: 0, max: 65535}).map(String), fc.constant('1024:65535')), {minLength: 1, maxLength: 3}), fc.tuple(fc.constantFrom('eq', 'ge', 'gt', 'le', 'lt'), fc.integer({min: 0, max: 100000})).map(([o, n]) => [o, String(n)]))
              : fc.tuple(fc.boolean(), fc.array(STR, {minLength: 1, maxLength: 3})).map(([ci, v]) => (ci ? ['-i', ...v] : v))
      return fc.tuple(token, values).map(([t, v]) => [t, ...v].join(' '))
    }),
  )
}

/** A condition over `names` (defined ACLs), with anonymous ACLs, negation and `||`. */
export function condition(names: string[], tcp: boolean): fc.Arbitrary<string> {
  const term = fc.tuple(fc.boolean(), names.length ? fc.oneof(fc.constantFrom(...names), aclCriterion(tcp).map((c) => `{ ${c} }`)) : aclCriterion(tcp).map((c) => `{ ${c} }`)).map(([neg, t]) => `${neg ? '!' : ''}${t}`)
  return fc.array(fc.tuple(term, fc.constantFrom(' ', ' || ', ' or ')), {minLength: 1, maxLength: 3}).map((parts) => parts.map(([t, sep], i) => (i === 0 ? t : `${sep}${t}`)).join('').replace(/ +/g, ' '))
}

const SAMPLES = Object.entries(FETCHES).filter(([, f]) => f.sample).map(([n, f]) => (f.param ? `%[${n}(host)]` : `%[${n}]`))
const FORMAT = fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.,:\/=@+-]{1,8}$/), fc.constantFrom(...SAMPLES, '%%')), {minLength: 1, maxLength: 3}).map((p) => p.join(''))
const HEADER = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/)
const STATUS = fc.constantFrom('200', '400', '401', '403', '404', '405', '407', '408', '410', '413', '425', '429', '500', '501', '502', '503', '504')

/** An http-request rule from the action table, with or without a condition. */
export function httpRequestRule(names: string[]): fc.Arbitrary<string> {
  const action = fc.oneof(
    fc.constant('allow'),
    fc.option(STATUS).map((s) => `deny${s ? ` deny_status ${s}` : ''}`),
    fc.option(STATUS).map((s) => `tarpit${s ? ` deny_status ${s}` : ''}`),
    fc.option(fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)).map((r) => `auth${r ? ` realm ${r}` : ''}`),
    fc.tuple(fc.oneof(fc.constantFrom('scheme https', 'scheme http'), fc.stringMatching(/^\/[A-Za-z0-9_.\/-]{0,12}$/).map((u) => `location ${u}`), fc.constant('prefix https://www.example.com')), fc.option(fc.constantFrom('301', '302', '303', '307', '308'))).map(([t, c]) => `redirect ${t}${c ? ` code ${c}` : ''}`),
    fc.tuple(fc.constantFrom('set-header', 'add-header'), HEADER, FORMAT).map((p) => p.join(' ')),
    HEADER.map((h) => `del-header ${h}`),
    FORMAT.map((f) => `set-path /${f}`),
    fc.constantFrom('silent', ...LEVELS).map((l) => `set-log-level ${l}`),
  )
  return fc.tuple(action, fc.option(fc.tuple(fc.constantFrom('if', 'unless'), condition(names, false)))).map(([a, c]) => (c ? `${a} ${c[0]} ${c[1]}` : a))
}

/** A command keepalived runs: a program that exists on a Debian director, arguments with single-quoted words. */
export const command = fc.tuple(
  fc.constantFrom('/usr/bin/test -e', '/bin/true', '/usr/bin/killall -0', '/bin/sh -c'),
  fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.\/:=@,+%-]{1,12}$/), fc.stringMatching(/^[A-Za-z0-9 _.\/#!$&|;<>()*?{}\[\]~`^=-]{1,16}$/).map((w) => `'${w}'`)), {minLength: 1, maxLength: 3}),
).map(([p, args]) => [p, ...args].join(' '))

export const hook = fc.tuple(fc.stringMatching(/^\/[a-z]{1,8}(\/[a-z0-9_.-]{1,8}){0,2}$/), fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.=-]{1,8}$/), fc.stringMatching(/^[A-Za-z0-9 #!$]{1,8}$/).map((w) => `'${w}'`)), {maxLength: 2})).map(([p, a]) => [p, ...a].join(' '))
