import {peerPort} from '../../inventory/peers.js'
import type {Cluster, HaproxyServer} from '../../inventory/model.js'
import type {RawHaproxy} from '../../inventory/schema/index.js'
import {managedHeader} from '../header.js'
import {DIRECT, PATHS} from '../paths.js'
import {haproxyWord} from '../quote.js'

type Mode = 'http' | 'tcp'
type Section = 'frontend' | 'backend' | 'listen'
type Timeouts = NonNullable<NonNullable<RawHaproxy['defaults']>['timeouts']>
type Frontend = NonNullable<RawHaproxy['frontends']>[string]
type Backend = NonNullable<RawHaproxy['backends']>[string]
type Listen = NonNullable<RawHaproxy['listens']>[string]
type Bind = Frontend['bind'] extends infer B ? (B extends unknown[] ? B[number] : B) : never

interface SectionView {
  kind: Section
  name: string
  binds: string[]
  mode: Mode
  maxconn: number | null
  balance: string | null
  cookie: string | null
  options: string[]
  acls: string[]
  httpchk: {option: string; send: string | null; expect: string | null} | null
  defaultServer: string | null
  httpRequests: string[]
  useBackends: string[]
  defaultBackend: string | null
  timeouts: string[]
  servers: string[]
  /** `stick-table …` arguments (then `stick on src`). */
  stickTable: string | null
}

export interface HaproxyView {
  header: string
  global: {logs: string[]; maxconn: number; user: string; group: string; chroot: string; statsSocket: string; nbthread: number | null; pidfile: string | null; localpeer: string | null; extra: string[]}
  defaults: {mode: Mode; logs: string[]; options: string[]; retries: number; maxconn: number | null; timeouts: string[]}
  /** The `peers` section's peers: `NAME ADDRESS:PORT` of every director. */
  peers: string[]
  sections: SectionView[]
  stats: {bind: string; uri: string; realm: string; refresh: string; auth: string | null; admin: boolean; adminWithoutAuth: boolean} | null
}

// The defaults lbctl stands behind; all of them are written into the file, so an operator reads what is in force.
const DEFAULT_TIMEOUTS: Required<Omit<Timeouts, 'tunnel'>> = {
  connect: '5s',
  client: '1m',
  server: '1m',
  http_request: '10s',
  queue: '1m',
  http_keep_alive: '10s',
  check: '10s',
}
const HTTP_OPTIONS = ['httplog', 'dontlognull', 'http-server-close', 'redispatch']
const TCP_OPTIONS = ['tcplog', 'dontlognull', 'redispatch']
// HAProxy's own server check defaults (seed 002: "inter 2000ms rise 2 fall 3 是默认值"), made visible.
const CHECK = {inter: '2s', rise: 2, fall: 3}
// The addresses whose requests are not given an X-Forwarded-For: HAProxy's own health checks and local tools.
const FORWARDFOR = 'forwardfor except 127.0.0.0/8'

// Which timeouts each section can use (HAProxy configuration manual, "timeout" keyword matrix); a timeout a section
// cannot use only earns a warning, and http-* ones mean nothing to a TCP proxy.
const TIMEOUT_SCOPE: Record<keyof Timeouts, {sections: Section[]; httpOnly: boolean}> = {
  connect: {sections: ['backend', 'listen'], httpOnly: false},
  client: {sections: ['frontend', 'listen'], httpOnly: false},
  server: {sections: ['backend', 'listen'], httpOnly: false},
  http_request: {sections: ['frontend', 'backend', 'listen'], httpOnly: true},
  http_keep_alive: {sections: ['frontend', 'backend', 'listen'], httpOnly: true},
  queue: {sections: ['frontend', 'backend', 'listen'], httpOnly: false},
  check: {sections: ['backend', 'listen'], httpOnly: false},
  tunnel: {sections: ['backend', 'listen'], httpOnly: false},
}
const TIMEOUT_ORDER: (keyof Timeouts)[] = ['connect', 'client', 'server', 'http_request', 'queue', 'http_keep_alive', 'check', 'tunnel']

/** Stick tables are replicated between the directors through this `peers` section. */
export const PEERS_SECTION = 'lbctl'

/** `director` names the local peer (HAProxy would take the hostname, which need not be the inventory's name). */
export function haproxyView(cluster: Cluster, director?: string): HaproxyView {
  const h = cluster.haproxy ?? {}
  const g = h.global ?? {}
  const d = h.defaults ?? {}
  const defaultsMode: Mode = d.mode ?? 'http'
  const defaultsOptions = d.options ?? (defaultsMode === 'http' ? HTTP_OPTIONS : TCP_OPTIONS)
  const ctx: Ctx = {cluster, defaultsMode, defaultsHttplog: defaultsOptions.some((o) => /^httplog\b/.test(o))}

  const sections: SectionView[] = [
    ...Object.entries(h.frontends ?? {}).map(([name, f]) => section(ctx, 'frontend', name, f)),
    ...Object.entries(h.backends ?? {}).map(([name, b]) => section(ctx, 'backend', name, b)),
    ...Object.entries(h.listens ?? {}).map(([name, l]) => section(ctx, 'listen', name, l)),
  ]

  const s = h.stats
  return {
    header: managedHeader(cluster),
    global: {
      logs: [g.log ?? '/dev/log local0 info'].flat(),
      maxconn: g.maxconn ?? 4000,
      user: g.user ?? 'haproxy',
      group: g.group ?? 'haproxy',
      chroot: PATHS.haproxyChroot,
      // expose-fd listeners: a reload hands the listening sockets to the new workers instead of re-binding them.
      statsSocket: `${DIRECT.haproxyStatsSock} mode 660 level admin expose-fd listeners`,
      nbthread: g.nbthread ?? null,
      pidfile: g.pidfile ?? null,
      localpeer: peerPort(cluster) !== undefined && director ? director : null,
      extra: g.extra ?? [],
    },
    peers: peerPort(cluster) !== undefined ? cluster.directors.map((d) => `${d.name} ${d.address}:${peerPort(cluster)}`) : [],
    defaults: {
      mode: defaultsMode,
      logs: [d.log ?? 'global'].flat(),
      options: defaultsOptions,
      retries: d.retries ?? 3,
      maxconn: d.maxconn ?? null,
      timeouts: TIMEOUT_ORDER.filter((k) => defaultsMode === 'http' || !TIMEOUT_SCOPE[k].httpOnly)
        .map((k) => [k, d.timeouts?.[k] ?? (k === 'tunnel' ? undefined : DEFAULT_TIMEOUTS[k])] as const)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k.replace(/_/g, '-')} ${v}`),
    },
    sections,
    stats: s
      ? {
          bind: bindLine(s.bind ?? ':8404'),
          uri: haproxyWord(s.uri ?? '/stats'),
          // HAProxy splits its config on spaces; a realm with spaces is written with them escaped.
          realm: (s.realm ?? 'HAProxy').replaceAll(' ', '\\ '),
          refresh: String(s.refresh ?? '10s'),
          auth: s.auth ? haproxyWord(`${s.auth.user}:${s.auth.password}`) : null,
          // The admin page can disable servers: only behind a password.
          admin: Boolean(s.admin && s.auth),
          adminWithoutAuth: Boolean(s.admin && !s.auth),
        }
      : null,
  }
}

interface Ctx {
  cluster: Cluster
  defaultsMode: Mode
  defaultsHttplog: boolean
}

function section(ctx: Ctx, kind: Section, name: string, raw: Frontend | Backend | Listen): SectionView {
  const mode = raw.mode ?? ctx.defaultsMode
  const fe = 'bind' in raw ? (raw as Frontend | Listen) : null
  const be = 'servers' in raw ? (raw as Backend | Listen) : null
  const options: string[] = []
  // `option httplog` from an HTTP defaults section cannot apply to a TCP proxy; say tcplog instead of letting
  // HAProxy warn and fall back on its own. Only where logging happens: in a backend HAProxy ignores (and warns
  // about) any log format.
  const ownLog = (raw.options ?? []).some((o) => /^(tcplog|httplog)\b/.test(o))
  if (mode === 'tcp' && ctx.defaultsHttplog && kind !== 'backend' && !ownLog) options.push('tcplog')
  // X-Forwarded-For lives per proxy, not in defaults: HAProxy cannot negate it ("no option forwardfor" is an
  // error), and a TCP proxy inheriting it earns a warning.
  if (fe && mode === 'http' && (fe as Frontend).forwardfor !== false) options.push(FORWARDFOR)
  options.push(...(raw.options ?? []))

  const httpRequests: string[] = []
  if (fe && (fe as Frontend).https_redirect) httpRequests.push('redirect scheme https unless { ssl_fc }')
  httpRequests.push(...(raw.http_request ?? []))

  const fr = kind === 'frontend' ? (raw as Frontend) : null
  return {
    kind,
    name,
    binds: fe ? (Array.isArray(fe.bind) ? fe.bind : [fe.bind]).map(bindLine) : [],
    mode,
    maxconn: fe?.maxconn ?? null,
    balance: be ? (be.balance ?? 'roundrobin') : null,
    cookie: be?.cookie ? cookieLine(be.cookie) : null,
    options,
    acls: fe ? Object.entries(fe.acls ?? {}).map(([n, c]) => `${n} ${c}`) : [],
    httpchk: be?.httpchk ? httpchk(be.httpchk) : null,
    defaultServer: be ? [`inter ${be.check?.inter ?? CHECK.inter} rise ${be.check?.rise ?? CHECK.rise} fall ${be.check?.fall ?? CHECK.fall}`, be.check?.port && `port ${be.check.port}`].filter(Boolean).join(' ') : null,
    httpRequests,
    useBackends: (fr?.use_backends ?? []).map((u) => `${u.backend} if ${u.if}`),
    defaultBackend: fr?.default_backend ?? null,
    timeouts: TIMEOUT_ORDER.filter((k) => raw.timeouts?.[k] !== undefined && TIMEOUT_SCOPE[k].sections.includes(kind) && (mode === 'http' || !TIMEOUT_SCOPE[k].httpOnly))
      .map((k) => `${k.replace(/_/g, '-')} ${raw.timeouts![k]}`),
    servers: be ? (ctx.cluster.haproxyServers[name] ?? []).map((s) => serverLine(s, Boolean(be.cookie))) : [],
    stickTable: be?.stick_table
      ? [`type ${be.stick_table.type ?? 'ip'}`, `size ${be.stick_table.size ?? '100k'}`, `expire ${be.stick_table.expire ?? '30m'}`, peerPort(ctx.cluster) !== undefined && `peers ${PEERS_SECTION}`].filter(Boolean).join(' ')
      : null,
  }
}

function bindLine(b: Bind): string {
  if (typeof b === 'string') return b
  const addr = `${b.address ?? ''}:${b.port}`
  if (!b.ssl) return addr
  return [addr, 'ssl', 'crt', b.ssl.crt, b.ssl.alpn && `alpn ${b.ssl.alpn}`].filter(Boolean).join(' ')
}

function cookieLine(c: NonNullable<Backend['cookie']>): string {
  const mode = c.mode ?? 'insert'
  // indirect/nocache only mean something for inserted cookies.
  const flags = mode === 'insert' ? [c.indirect !== false && 'indirect', c.nocache !== false && 'nocache'].filter(Boolean) : []
  return [c.name, mode, ...flags].join(' ')
}

function httpchk(c: NonNullable<Backend['httpchk']>): {option: string; send: string | null; expect: string | null} {
  return {
    // Quoted when it needs to be: HAProxy would read "#" in a path as the start of a comment.
    option: `${c.method ?? 'GET'} ${haproxyWord(c.path ?? '/')}`,
    send: c.host ? `hdr Host ${c.host}` : null,
    expect: c.expect_status !== undefined ? `status ${c.expect_status}` : null,
  }
}

function serverLine(s: HaproxyServer, cookie: boolean): string {
  return [
    `${s.name} ${s.address}:${s.port}`,
    `weight ${s.weight}`,
    s.check && 'check',
    // HAProxy takes a server's own timing over default-server's (seed 000: `check inter 3s rise 1 fall 2`).
    s.inter !== undefined && `inter ${s.inter}`,
    s.rise !== undefined && `rise ${s.rise}`,
    s.fall !== undefined && `fall ${s.fall}`,
    s.checkPort !== undefined && `port ${s.checkPort}`,
    cookie && `cookie ${s.cookie ?? s.name}`,
    s.backup && 'backup',
    s.maxconn !== undefined && `maxconn ${s.maxconn}`,
    s.sendProxy && 'send-proxy',
  ]
    .filter(Boolean)
    .join(' ')
}
