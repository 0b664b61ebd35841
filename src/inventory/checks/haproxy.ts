import {peerPort} from '../peers.js'
import type {Path} from '../problems.js'
import type {RawHaproxy} from '../schema/index.js'
import {optionPlacementError, OPTIONS, type SectionKind} from '../grammar/haproxy-options.js'
import {closest} from '../schema-errors.js'
import {aclChecks} from './acl.js'
import type {Report} from './report.js'

type Section = 'frontends' | 'backends' | 'listens'
type Mode = 'http' | 'tcp'

export interface Bind {
  /** undefined = every address. */
  address?: string
  port: number
  path: Path
}

/** Every address:port HAProxy listens on: frontends, listens and the stats page. */
export function haproxyBinds(h: RawHaproxy): Bind[] {
  const out: Bind[] = []
  const add = (b: unknown, path: Path) => {
    if (typeof b === 'string') {
      const i = b.lastIndexOf(':')
      const address = b.slice(0, i)
      out.push({address: address === '' || address === '*' ? undefined : address, port: Number(b.slice(i + 1)), path})
    } else if (b && typeof b === 'object') {
      const o = b as {address?: string; port: number}
      out.push({address: o.address === '*' ? undefined : o.address, port: o.port, path})
    }
  }
  for (const section of ['frontends', 'listens'] as const) {
    for (const [name, s] of Object.entries(h[section] ?? {})) {
      const path: Path = ['haproxy', section, name, 'bind']
      const bind: unknown = s.bind
      if (Array.isArray(bind)) bind.forEach((b: unknown, i) => add(b, [...path, i]))
      else add(bind, path)
    }
  }
  // The stats page is a listen of its own, on :8404 unless told otherwise (see schema: stats.bind).
  if (h.stats) add(h.stats.bind ?? ':8404', h.stats.bind ? ['haproxy', 'stats', 'bind'] : ['haproxy', 'stats'])
  return out
}

/** "haproxy.frontends.web" or "the stats page". */
export function bindOwner(b: Bind): string {
  return b.path[1] === 'stats' ? 'the stats page (haproxy.stats)' : b.path.slice(0, 3).join('.')
}

export function showBind(b: Bind): string {
  return `${b.address ?? ''}:${b.port}`
}

/** The peers port is HAProxy's too, on every director: no bind may take it. */
function peersChecks(r: Report): void {
  const port = peerPort(r.cluster)
  const h = r.raw.haproxy
  if (port === undefined || !h) return
  const portOf = (b: string | {port: number}) => (typeof b === 'string' ? Number(b.slice(b.lastIndexOf(':') + 1)) : b.port)
  const binds = [...Object.entries(h.frontends ?? {}).map(([n, f]) => ['frontends', n, f.bind] as const), ...Object.entries(h.listens ?? {}).map(([n, l]) => ['listens', n, l.bind] as const)]
  for (const [kind, n, bind] of binds) {
    for (const b of Array.isArray(bind) ? bind : [bind]) if (portOf(b) === port) r.error(['haproxy', 'peers'], `port ${port} is also bound by ${kind.slice(0, -1)} ${n}: the peers would not get it`, 'give peers another port: peers: {port: 10001}')
  }
  if (h.stats && portOf(h.stats.bind ?? ':8404') === port) r.error(['haproxy', 'peers'], `port ${port} is also the stats page's`, 'give peers another port: peers: {port: 10001}')
}

export function haproxyChecks(r: Report): void {
  peersChecks(r)
  const h = r.raw.haproxy
  if (!h) return
  const mode = (s: {mode?: Mode}): Mode => s.mode ?? h.defaults?.mode ?? 'http'
  const backends = Object.keys(h.backends ?? {})
  const listens = Object.keys(h.listens ?? {})

  for (const name of listens) {
    const clash = (['frontends', 'backends'] as const).find((s) => h[s]?.[name] !== undefined)
    if (clash) r.error(['haproxy', 'listens', name], `has the same name as haproxy.${clash}.${name}: HAProxy refuses two proxies with one name unless one is a frontend and the other a backend`, 'rename the listen section', {key: true})
  }

  for (const [name, fe] of Object.entries(h.frontends ?? {})) {
    const base: Path = ['haproxy', 'frontends', name]
    if (fe.default_backend === undefined && (fe.use_backends ?? []).length === 0) {
      r.error(base, 'routes nowhere: it has neither default_backend nor use_backends, so HAProxy would answer every request with 503', 'add default_backend: NAME (a backend under haproxy.backends)', {key: true})
    }
    const targets: Array<{backend: string; path: Path}> = [
      ...(fe.default_backend !== undefined ? [{backend: fe.default_backend, path: [...base, 'default_backend']}] : []),
      ...(fe.use_backends ?? []).map((u, i) => ({backend: u.backend, path: [...base, 'use_backends', i, 'backend']})),
    ]
    for (const t of targets) {
      const be = h.backends?.[t.backend]
      if (!be) {
        const guess = closest(t.backend, backends)
        const defined = backends.length ? ` (defined: ${backends.join(', ')})` : ''
        r.error(
          t.path,
          listens.includes(t.backend)
            ? `"${t.backend}" is a listen section, not a backend: a listen takes its own traffic, so lbctl routes frontends only to backends`
            : `backend "${t.backend}" is not defined`,
          listens.includes(t.backend)
            ? `route to a backend${defined}, or split the listen into a frontend and a backend`
            : guess
              ? `did you mean "${guess}"?${defined}`
              : `define it under haproxy.backends${defined}`,
        )
      } else if (mode(fe) === 'http' && mode(be) === 'tcp') {
        r.error(
          t.path,
          `backend "${t.backend}" is in tcp mode but frontend "${name}" is in http mode: HAProxy refuses to send an HTTP stream to a tcp backend`,
          `set mode: http on haproxy.backends.${t.backend}, or mode: tcp on this frontend`,
        )
      }
    }
    aclChecks(r, fe, base)
  }
  for (const [name, li] of Object.entries(h.listens ?? {})) aclChecks(r, li, ['haproxy', 'listens', name])

  for (const section of ['frontends', 'backends', 'listens'] as Section[]) {
    for (const [name, s] of Object.entries(h[section] ?? {})) {
      const base: Path = ['haproxy', section, name]
      if (mode(s) === 'tcp') httpOnlyInTcp(r, s, base)
      if ('servers' in s) servers(r, s, base)
      options(r, s.options ?? [], base, KIND[section], mode(s), 'httpchk' in s && s.httpchk !== undefined)
    }
  }
  defaultsOptions(r, h, mode)
  pidfile(r, h)

  const binds = haproxyBinds(h)
  for (const [i, b] of binds.entries()) {
    const twin = binds.slice(0, i).find((o) => o.port === b.port && o.address === b.address)
    if (twin) {
      r.error(
        b.path,
        `${showBind(b)} is also bound by ${bindOwner(twin)}: HAProxy binds with SO_REUSEPORT, so both would start and the kernel would split connections between them at random`,
        'give each frontend, listen and the stats page its own port (or address)',
      )
    }
  }
}

const KIND: Record<Section, SectionKind> = {frontends: 'frontend', backends: 'backend', listens: 'listen'}

// Health-check kinds: a section has one, and HAProxy silently keeps the last one written (lbctl writes httpchk last).
const CHECK_OPTIONS = new Set(['tcp-check', 'ssl-hello-chk'])

function options(r: Report, list: string[], base: Path, kind: SectionKind, mode: Mode, httpchk: boolean): void {
  for (const [i, o] of list.entries()) {
    const e = optionPlacementError(o, kind, mode)
    if (e) r.error([...base, 'options', i], e.message, e.hint)
    else if (httpchk && CHECK_OPTIONS.has(o.split(' ')[0]!)) {
      r.error([...base, 'options', i], `is another kind of health check than this section's httpchk: HAProxy keeps only the last one written (httpchk) and ignores option ${o} without a word`, `remove httpchk, or remove option ${o}`)
    }
  }
  const logs = list.map((o, i) => ({name: o.split(' ')[0], i})).filter((o) => o.name === 'httplog' || o.name === 'tcplog')
  if (logs.length > 1) r.error([...base, 'options', logs[1]!.i], `is a second log format (after option ${logs[0]!.name}): HAProxy keeps one and warns about the other`, 'keep one of httplog and tcplog')
}

/**
 * Options in defaults reach every section. One that needs http mode makes HAProxy warn in each tcp-mode section —
 * except httplog, for which lbctl writes `option tcplog` into tcp frontends and listens itself.
 */
function defaultsOptions(r: Report, h: RawHaproxy, mode: (s: {mode?: Mode}) => Mode): void {
  const list = h.defaults?.options ?? []
  const defaultsMode = h.defaults?.mode ?? 'http'
  const tcp = (['frontends', 'backends', 'listens'] as const).flatMap((section) => Object.entries(h[section] ?? {}).filter(([, s]) => mode(s) === 'tcp').map(([n]) => `haproxy.${section}.${n}`))
  for (const [i, o] of list.entries()) {
    const name = o.split(' ')[0]!
    const e = optionPlacementError(o, 'defaults', defaultsMode)
    if (e) r.error(['haproxy', 'defaults', 'options', i], e.message, e.hint)
    else if (OPTIONS[name]?.http && name !== 'httplog' && tcp.length > 0) {
      r.error(['haproxy', 'defaults', 'options', i], `needs http mode, but ${tcp.join(', ')} ${tcp.length === 1 ? 'runs' : 'run'} in tcp mode and would inherit it: HAProxy warns and ignores it there`, `set option ${name} on the http sections that need it instead`)
    }
  }
}

/** Features HAProxy ignores outside http mode (it only warns, and the config silently does less than written). */
function httpOnlyInTcp(r: Report, s: Record<string, unknown>, base: Path): void {
  const ignored: Array<[string, boolean]> = [
    ['cookie', s.cookie !== undefined],
    ['http_request', Array.isArray(s.http_request) && s.http_request.length > 0],
    ['https_redirect', s.https_redirect === true],
    ['forwardfor', s.forwardfor === true],
  ]
  for (const [field, used] of ignored) {
    if (used) r.error([...base, field], 'needs http mode, but this section is in tcp mode: HAProxy ignores it (and only logs a warning)', 'remove it, or set mode: http', {key: true})
  }
  if (typeof s.balance === 'string' && /^(uri|url_param |hdr\()/.test(s.balance)) {
    r.error([...base, 'balance'], `${s.balance} hashes HTTP data, but this section is in tcp mode: HAProxy falls back to roundrobin`, 'use balance source (or roundrobin/leastconn) in tcp mode, or set mode: http')
  }
}

type ServerRef = string | {name: string; cookie?: string; check?: boolean; inter?: unknown; rise?: unknown; fall?: unknown; check_port?: unknown}

function servers(r: Report, s: {servers: ServerRef[]; cookie?: unknown}, base: Path): void {
  for (const [i, x] of s.servers.entries()) {
    if (typeof x === 'string' || x.check !== false) continue
    for (const field of (['inter', 'rise', 'fall', 'check_port'] as const).filter((f) => x[f] !== undefined)) {
      r.error([...base, 'servers', i, field], `is set, but check: false: HAProxy does not check ${x.name}, and ignores its check settings without a word`, `remove ${field}, or the check: false`, {key: true})
    }
  }
  const refs = s.servers.map((x, i) => (typeof x === 'string' ? {name: x, i} : {name: x.name, cookie: x.cookie, i}))
  for (const ref of refs) {
    const first = refs.find((o) => o.name === ref.name)!
    if (first !== ref) {
      const address = r.cluster.realServers.find((x) => x.name === ref.name)?.address ?? '…'
      r.error([...base, 'servers', ref.i], `${ref.name} is listed twice: HAProxy refuses two servers with one name in a backend`, `remove one; for another port of the same host, define a real server of its own with the same address and that port (e.g. ${ref.name}_2: {address: ${address}, port: 8081})`)
    }
  }
  if (s.cookie === undefined) return
  // Insert stickiness sends the client back to the server whose value it carries: two servers with one value would
  // share (and steal) each other's sessions. The value defaults to the server name.
  const value = (ref: (typeof refs)[number]) => ref.cookie ?? ref.name
  for (const ref of refs) {
    const first = refs.find((o) => value(o) === value(ref))!
    if (first !== ref && first.name !== ref.name) {
      const path: Path = ref.cookie !== undefined ? [...base, 'servers', ref.i, 'cookie'] : [...base, 'servers', ref.i]
      r.error(path, `cookie value "${value(ref)}" is also ${first.name}'s: sticky clients of one would be sent to either`, 'give every server of the backend its own cookie value')
    }
  }
}

/**
 * In direct mode lbctl runs HAProxy itself with -p /run/haproxy.pid and signals that pid to reload and stop: the
 * pidfile is lbctl's. Under systemd it is the operator's, and lbctl hands it to haproxy.service. `auto` decides per
 * host at deploy time, so it cannot promise either.
 */
function pidfile(r: Report, h: RawHaproxy): void {
  if (h.global?.pidfile === undefined) return
  const manager = r.raw.deploy?.service_manager ?? 'auto'
  if (manager === 'systemd') return
  r.error(
    ['haproxy', 'global', 'pidfile'],
    manager === 'direct'
      ? `is lbctl's in direct mode: it starts HAProxy with -p /run/haproxy.pid and signals that pid to reload and stop it`
      : `is only yours under systemd, and deploy.service_manager is auto: on a host without systemd lbctl runs HAProxy itself, with its own -p /run/haproxy.pid`,
    manager === 'direct' ? 'remove pidfile' : 'set deploy.service_manager: systemd, or remove pidfile',
  )
}
