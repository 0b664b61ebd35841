import {checkLine, int, oneOf, positiveTime, type Refusals, type Table, time, word} from './args.js'
import type {GrammarError} from './types.js'

/**
 * haproxy.global.extra and haproxy.global.log: lines in HAProxy's `global` section. The keywords are those with
 * plain arguments whose ranges HAProxy 2.6 was seen to accept without a warning; nothing that opens a section, a
 * socket, runs code or changes what lbctl writes itself.
 */
const TIME = time
const PATH = word(/^\/[A-Za-z0-9_.\/-]*$/, 'an absolute path', '/etc/haproxy/certs')
const NAME = word(/^[A-Za-z0-9_.-]{1,64}$/, 'a name', 'lb1')

export const GLOBAL_KEYWORDS: Table = {
  'tune.bufsize': {args: [int(1024, 1048576)]},
  'tune.http.maxhdr': {args: [int(64, 32767)]},
  'tune.http.cookielen': {args: [int(1, 4095)]},
  'tune.http.logurilen': {args: [int(1, 65535)]},
  'tune.h2.max-concurrent-streams': {args: [int(1, 1000)]},
  'tune.ssl.default-dh-param': {args: [oneOf('1024', '2048', '4096')]},
  'tune.ssl.cachesize': {args: [int(0, 10_000_000)]},
  'tune.ssl.lifetime': {args: [TIME]},
  'tune.maxaccept': {args: [int(-1, 1_000_000)]},
  'spread-checks': {args: [int(0, 50)]},
  'max-spread-checks': {args: [TIME]},
  'hard-stop-after': {args: [TIME]},
  maxconnrate: {args: [int(1, 10_000_000)]},
  maxsessrate: {args: [int(1, 10_000_000)]},
  maxsslconn: {args: [int(1, 10_000_000)]},
  maxsslrate: {args: [int(1, 10_000_000)]},
  maxpipes: {args: [int(1, 10_000_000)]},
  'log-send-hostname': {args: [NAME], optional: 1},
  'log-tag': {args: [NAME]},
  node: {args: [NAME]},
  description: {args: [word(/^[A-Za-z0-9_.,:\/@+-]+$/, 'plain words', 'web tier')], repeat: true},
  'ca-base': {args: [PATH]},
  'crt-base': {args: [PATH]},
  noepoll: {args: []},
  nosplice: {args: []},
  'busy-polling': {args: []},
  'set-dumpable': {args: []},
  'strict-limits': {args: []},
  'stats timeout': {args: [positiveTime]},
  'stats maxconn': {args: [int(1, 100_000)]},
}

const SECTIONS = ['global', 'defaults', 'frontend', 'backend', 'listen', 'userlist', 'peers', 'resolvers', 'mailers', 'program', 'http-errors', 'ring', 'cache', 'fcgi-app', 'log-forward', 'crt-store', 'traces']
const section = (name: string): GrammarError => ({
  message: `starts a "${name}" section: every line after it in haproxy.cfg would belong to that section — listeners and servers no cluster check sees`,
  hint: 'define frontends, backends and listen sections under haproxy.frontends/backends/listens',
})
const owned = (field: string): GrammarError => ({message: `sets what lbctl writes itself (${field}): HAProxy would see it twice`, hint: `use ${field} instead`})
const runsHaproxy: GrammarError = {message: 'changes how HAProxy runs, which lbctl decides itself (master-worker, pid file, daemon mode: see docs/render.md)', hint: 'leave it out'}

export const GLOBAL_REFUSED: Refusals = {
  ...Object.fromEntries(SECTIONS.map((s) => [s, section(s)])),
  log: owned('haproxy.global.log'),
  maxconn: owned('haproxy.global.maxconn'),
  nbthread: owned('haproxy.global.nbthread'),
  user: owned('haproxy.global.user'),
  uid: owned('haproxy.global.user'),
  group: owned('haproxy.global.group'),
  gid: owned('haproxy.global.group'),
  chroot: owned('the chroot /var/lib/haproxy'),
  daemon: runsHaproxy,
  'master-worker': runsHaproxy,
  pidfile: runsHaproxy,
  nbproc: runsHaproxy,
  quiet: {message: 'silences HAProxy\'s warnings, which the deploy\'s haproxy -c check relies on', hint: 'leave it out'},
  'lua-load': {message: 'loads Lua code, which can register services, actions and listeners that no cluster check sees', hint: 'leave it out'},
  'lua-load-per-thread': {message: 'loads Lua code, which can register services, actions and listeners that no cluster check sees', hint: 'leave it out'},
  'lua-prepend-path': {message: 'points HAProxy at Lua code, which can register listeners that no cluster check sees', hint: 'leave it out'},
  'external-check': {message: 'lets HAProxy run programs as health checks', hint: 'use httpchk (or TCP checks) on the backend'},
  'insecure-fork-wanted': {message: 'lets HAProxy fork programs', hint: 'leave it out'},
  'insecure-setuid-wanted': {message: 'lets HAProxy run setuid programs', hint: 'leave it out'},
  setenv: {message: 'changes the environment that "$VAR" in HAProxy\'s config expands from', hint: 'leave it out'},
  presetenv: {message: 'changes the environment that "$VAR" in HAProxy\'s config expands from', hint: 'leave it out'},
  resetenv: {message: 'changes the environment that "$VAR" in HAProxy\'s config expands from', hint: 'leave it out'},
  unsetenv: {message: 'changes the environment that "$VAR" in HAProxy\'s config expands from', hint: 'leave it out'},
}

export function globalLineError(line: string): GrammarError | undefined {
  const [first, second] = line.trim().split(/ +/)
  if (first === 'stats' && second !== 'timeout' && second !== 'maxconn') {
    return second === 'socket'
      ? {message: 'opens another control socket: lbctl already has /run/haproxy/admin.sock, and one on an address would be an admin interface on the network', hint: 'leave it out; lbctl\'s socket is level admin for local tools'}
      : {message: `has "stats ${second ?? ''}", which is not a global stats setting lbctl knows`, hint: 'use stats timeout TIME or stats maxconn N; the stats page is haproxy.stats'}
  }
  if (first === 'ssl-default-bind-options' || first === 'ssl-default-server-options') return sslOptionsError(first, line.trim().split(/ +/).slice(1))
  if (/["'\\#$]/.test(line)) return {message: 'contains a quote, "\\", "#" or "$", which no keyword lbctl allows here takes (HAProxy reads them as quoting, comments or variables)', hint: 'write the keyword and plain arguments, like tune.bufsize 32768'}
  return checkLine(line, GLOBAL_KEYWORDS, GLOBAL_REFUSED, 'a global keyword')
}

/** `[ssl-min-ver TLSv1.2|TLSv1.3] [no-tls-tickets] [prefer-client-ciphers]`, each at most once (the last only for binds). */
export function sslOptionsError(keyword: string, args: string[]): GrammarError | undefined {
  const usage = `write it as: ${keyword} [ssl-min-ver TLSv1.2|TLSv1.3] [no-tls-tickets]${keyword === 'ssl-default-bind-options' ? ' [prefer-client-ciphers]' : ''}`
  const flags = keyword === 'ssl-default-bind-options' ? ['no-tls-tickets', 'prefer-client-ciphers'] : ['no-tls-tickets']
  const seen = new Set<string>()
  if (args.length === 0) return {message: `gives ${keyword} nothing`, hint: usage}
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (seen.has(a)) return {message: `has "${a}" twice`, hint: usage}
    seen.add(a)
    if (a === 'ssl-min-ver' && ['TLSv1.2', 'TLSv1.3'].includes(args[i + 1] ?? '')) i++
    else if (!flags.includes(a)) return {message: `has "${a}", which ${keyword} in lbctl does not take`, hint: usage}
  }
  return undefined
}

export const FACILITIES = ['kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'auth2', 'ftp', 'ntp', 'audit', 'alert', 'cron2', ...[0, 1, 2, 3, 4, 5, 6, 7].map((n) => `local${n}`)]
export const LEVELS = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug']

/** `log TARGET FACILITY [LEVEL [MINLEVEL]]`; TARGET a unix socket path, an IPv4 address with an optional port, stdout or stderr. */
export function logLineError(line: string): GrammarError | undefined {
  const usage = 'write it like /dev/log local0 info, or 10.0.0.5:514 local1 notice'
  if (/["'\\#$]/.test(line)) return {message: 'contains a quote, "\\", "#" or "$", which HAProxy reads as quoting, a comment or a variable', hint: usage}
  const w = line.trim().split(/ +/)
  const [target = '', facility, level, min] = w
  const ipPort = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(:(\d{1,5}))?$/.exec(target)
  const targetOk = /^\/[A-Za-z0-9_.\/-]+$/.test(target) || target === 'stdout' || target === 'stderr' ||
    (ipPort !== null && ipPort.slice(1, 5).every((o) => Number(o) <= 255) && (ipPort[6] === undefined || (Number(ipPort[6]) >= 1 && Number(ipPort[6]) <= 65535)))
  if (!targetOk) return {message: `sends logs to "${target}", which is not a socket path, an IPv4 address[:port], stdout or stderr`, hint: usage}
  if (w.length < 2 || w.length > 4) return {message: 'needs a target, a facility and at most two levels', hint: usage}
  if (!FACILITIES.includes(facility!)) return {message: `has "${facility}", which is not a syslog facility`, hint: `use one of ${FACILITIES.join(', ')}`}
  for (const l of [level, min]) if (l !== undefined && !LEVELS.includes(l)) return {message: `has "${l}", which is not a syslog level`, hint: `use one of ${LEVELS.join(', ')}`}
  return undefined
}

/** A proxy's `log`: `global` (inherit the global section's targets) or a target of its own. */
export function defaultsLogLineError(line: string): GrammarError | undefined {
  if (line.trim() === 'global') return undefined
  const e = logLineError(line)
  return e && {...e, hint: `${e.hint}; or global, for the global section's targets`}
}
