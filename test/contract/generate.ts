/**
 * Inventories drawn from the schema: every section, every field somewhere in its allowed range or grammar, the
 * characters each grammar permits at its edges included. They are coherent enough (one subnet, references to what
 * exists) that validate accepts many of them, and random enough that it refuses many others.
 */
import fc from 'fast-check'
import {aclCriterion, command, condition, globalDefsLine, haproxyGlobalLine, hook, httpRequestRule, logLine, optionLine} from './lines.js'

type G = fc.GeneratorValue
type Obj = Record<string, unknown>

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/
// Interface names: the kernel refuses "all" and "default" (sysctl directories of their own) and names over 15.
const IFNAME = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/

const pick = <T>(g: G, xs: readonly T[]): T => g(() => fc.constantFrom(...xs))
// g() caches an arbitrary by its builder and arguments, and a RegExp argument does not tell one pattern from another.
const match = (g: G, re: RegExp): string => g(() => fc.stringMatching(re))
// The bounds half the time: where an off-by-one between lbctl and a daemon shows.
const int = (g: G, min: number, max: number): number => g(() => fc.oneof(fc.constantFrom(min, max), fc.integer({min, max})))
// fast-check biases numbers towards their bounds, which would make every "30 %" an "often": a weighted choice is not.
const coins = new Map<number, fc.Arbitrary<boolean>>()
const coin = (p: number) => coins.get(p) ?? coins.set(p, fc.oneof({arbitrary: fc.constant(true), weight: Math.round(p * 1000)}, {arbitrary: fc.constant(false), weight: 1000 - Math.round(p * 1000)})).get(p)!
const chance = (g: G, p: number): boolean => g(() => coin(p))
const names = (g: G, n: number, prefix = ''): string[] => {
  const out = new Set<string>()
  while (out.size < n) out.add(prefix + g(fc.stringMatching, NAME).slice(0, 63 - prefix.length))
  return [...out]
}
const ifname = (g: G) => g(() => fc.stringMatching(IFNAME).filter((s) => !['all', 'default', 'lo'].includes(s)))
const maybe = <T>(g: G, p: number, f: () => T): T | undefined => (chance(g, p) ? f() : undefined)
const drop = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
const durations = (g: G) => pick<string | number>(g, ['1ms', '500ms', '5s', '30s', '1m', '2h', '1d', '24d', 100, 2147483647, '2147483647ms'])

export interface Drawn {
  inventory: Obj
  env: Record<string, string>
  /** What the host names of the inventory resolve to where lbctl validates; a name missing here does not resolve. */
  hosts: Record<string, string>
}

/** One inventory, the environment its ${env:…} secrets read, and the names lbctl can resolve. */
export const inventory: fc.Arbitrary<Drawn> = fc.gen().map((g) => draw(g))

function draw(g: G): Drawn {
  const env: Record<string, string> = {}
  const hosts: Record<string, string> = {}
  const net = `10.${int(g, 0, 255)}.${int(g, 0, 255)}`
  // A host written by name: it resolves to `address` (or, now and then, not at all: lbctl must refuse it where it
  // needs the address, and leave it to HAProxy where HAProxy is the one resolving it).
  const named = (p: number, name: string, address: string): string => {
    if (!chance(g, p)) return address
    if (chance(g, 0.9)) hosts[name] = address
    return name
  }
  const iface = ifname(g)
  const haproxy = chance(g, 0.7)
  const lvs = !haproxy || chance(g, 0.3)
  const nDirectors = int(g, 1, 3)
  const directorNames = names(g, nDirectors, 'd')
  const prio = [...new Set(Array.from({length: nDirectors}, () => int(g, 1, 254)))].sort((a, b) => b - a)
  const directors: Obj = {}
  directorNames.forEach((n, i) => {
    directors[n] = drop({
      address: named(0.15, `lb${i}.lb.test`, `${net}.${11 + i}`),
      priority: prio[i] ?? undefined,
      interface: maybe(g, 0.3, () => iface),
      role: i === 0 && chance(g, 0.2) ? 'master' : undefined,
      // Its own address, a free one, or (refused) a VIP.
      mcast_src_ip: maybe(g, 0.15, () => pick(g, [`${net}.${11 + i}`, `${net}.${61 + i}`, `${net}.100`])),
    })
  })

  const rsNames = names(g, int(g, 1, 4), 'r')
  const lvsPort = pick(g, [80, 8080, 1, 65535, 5432])
  // LVS-NAT: the real servers route through a DIP floating with the service VIP (the first instance's second VIP).
  const forwarding = lvs ? pick(g, ['DR', 'DR', 'NAT', 'TUN'] as const) : 'DR'
  const dip = `${net}.101`
  const realServers: Obj = {}
  rsNames.forEach((n, i) => {
    realServers[n] = drop({
      address: named(0.2, `web${i}.web.test`, `${net}.${21 + i}`),
      port: lvs ? lvsPort : int(g, 1, 65535),
      gateway: forwarding === 'NAT' ? dip : undefined,
      weight: maybe(g, 0.5, () => int(g, 0, 256)),
      arp_scope: maybe(g, 0.3, () => g(() => fc.subarray(['lo', 'all', 'interface'] as const, {minLength: 1}))),
      interface: maybe(g, 0.3, () => ifname(g)),
      tuning: maybe(g, 0.2, () => ({sysctls: {'net.core.somaxconn': int(g, 128, 65535), 'net.ipv4.ip_local_port_range': '1024 65000'}})),
    })
  })

  const scripts: Obj = {}
  for (const n of names(g, int(g, 0, 3), 'chk')) {
    const kind = pick(g, ['process', 'down_file', 'restart_haproxy', 'script'] as const)
    scripts[n] = drop({
      [kind]: kind === 'process' ? pick(g, ['haproxy', 'keepalived', 'sshd']) : kind === 'down_file' ? match(g, /^\/[A-Za-z0-9_.-]{1,12}(\/[A-Za-z0-9_.-]{1,12}){0,2}$/) : kind === 'restart_haproxy' ? true : g(() => command),
      // Now and then a fraction, which keepalived refuses (and so must validate).
      interval: maybe(g, 0.6, () => (chance(g, 0.05) ? 1.5 : int(g, 1, 4294))),
      fall: maybe(g, 0.4, () => int(g, 1, 255)),
      rise: maybe(g, 0.4, () => int(g, 1, 255)),
      timeout: maybe(g, 0.2, () => int(g, 1, 3600)),
    })
  }
  const scriptNames = Object.keys(scripts)

  const instances: Obj = {}
  const vipsByInstance: string[][] = []
  const instNames = names(g, int(g, 1, 3), 'VI_')
  const vrids = g(() => fc.uniqueArray(fc.integer({min: 1, max: 255}), {minLength: instNames.length, maxLength: instNames.length}))
  const sync = instNames.length >= 2 && chance(g, 0.3) ? g(fc.stringMatching, NAME) : undefined
  instNames.forEach((n, i) => {
    const version = chance(g, 0.3) ? 3 : 2
    const vips = Array.from({length: forwarding === 'NAT' && i === 0 ? 2 : int(g, 1, 2)}, (_, j) => `${net}.${100 + i * 4 + j}`)
    vipsByInstance.push(vips)
    const withPrefix = chance(g, 0.7)
    const passEnv = `LBCTL_PT_PASS_${i}`
    const pass = version === 2 ? maybe(g, 0.5, () => g(() => fc.stringMatching(/^[A-Za-z0-9 !#$%&'()*+,./:;<=>?@[\\\]^_`{|}~é-]{1,8}$/).filter((s) => Buffer.byteLength(s) <= 8 && s.trim() === s && !s.startsWith('${')))) : undefined
    if (pass !== undefined && chance(g, 0.5)) env[passEnv] = pass
    const nopreempt = chance(g, 0.3)
    const tracked = g(() => fc.subarray(scriptNames))
    instances[n] = drop({
      virtual_router_id: vrids[i],
      vips: vips.map((v, j) =>
        chance(g, 0.5) ? `${v}${withPrefix ? '/24' : ''}` : drop({address: `${v}${withPrefix ? '/24' : ''}`, dev: maybe(g, 0.3, () => iface), label: maybe(g, 0.3, () => `${iface}:${j}`.slice(0, 24))}),
      ),
      interface: maybe(g, 0.2, () => iface),
      advert_int: maybe(g, 0.6, () => (version === 2 ? int(g, 1, 255) : int(g, 1, 4095) / 100)),
      version: version === 3 || chance(g, 0.2) ? version : undefined,
      auth_pass: pass === undefined ? undefined : env[passEnv] !== undefined ? `\${env:${passEnv}}` : pass,
      auth_type: pass !== undefined && chance(g, 0.2) ? 'PASS' : undefined,
      track_scripts: tracked.length ? tracked.map((t) => (chance(g, sync ? 0.05 : 0.2) && !nopreempt ? {name: t, weight: -253 + int(g, 0, 1)} : t)) : undefined,
      track_interfaces: maybe(g, 0.2, () => [ifname(g)].filter((x) => x !== iface).map((t) => (chance(g, sync ? 0.05 : 0.3) ? {name: t, weight: int(g, -253, 253)} : t))),
      nopreempt: nopreempt || undefined,
      preempt_delay: !nopreempt ? maybe(g, 0.3, () => int(g, 0, 1000)) : undefined,
      garp_master_delay: maybe(g, 0.3, () => int(g, 0, 255)),
      unicast: nDirectors > 1 ? maybe(g, 0.3, () => true) : undefined,
      smtp_alert: undefined,
      dont_track_primary: maybe(g, 0.2, () => true),
      sync_group: sync,
      virtual_routes: maybe(g, 0.2, () => [drop({to: pick(g, ['default', '192.0.2.0/24', '198.51.100.7']), via: `${net}.1`, dev: maybe(g, 0.5, () => iface), src: maybe(g, 0.3, () => vips[0])})]),
      notify: maybe(g, 0.3, () => drop({master: maybe(g, 0.5, () => g(() => hook)), backup: maybe(g, 0.5, () => g(() => hook)), any: maybe(g, 0.5, () => g(() => hook))})),
      master: maybe(g, 0.2, () => directorNames[0]),
    })
  })

  const out: Obj = {
    name: g(fc.stringMatching, NAME),
    description: maybe(g, 0.3, () => g(() => fc.string({maxLength: 40})).replace(/[\u0000-\u001f\u007f]/g, ' ')),
    groups: maybe(g, 0.3, () => ({all: {ssh: drop({user: 'root', port: int(g, 1, 65535)})}, directors: {interface: iface}})),
    directors,
    real_servers: realServers,
    keepalived: maybe(g, 0.5, () =>
      drop({
        router_id: maybe(g, 0.3, () => g(fc.stringMatching, NAME)),
        vrrp_mcast_group4: maybe(g, 0.2, () => `224.0.0.${int(g, 1, 255)}`),
        enable_script_security: maybe(g, 0.3, () => chance(g, 0.9)),
        vrrp_garp_master_refresh: maybe(g, 0.2, () => int(g, 0, 4294)),
        extra_global_defs: maybe(g, 0.5, () => g(() => fc.array(globalDefsLine, {minLength: 1, maxLength: 3}))),
      }),
    ),
    vrrp_scripts: scriptNames.length ? scripts : undefined,
    vrrp_instances: instances,
  }

  // A sync group's own settings; now and then of a group no instance joins (refused).
  if (sync && chance(g, 0.5)) {
    out.vrrp_sync_groups = {[chance(g, 0.9) ? sync : `${sync.slice(0, 60)}_x`]: drop({
      notify: maybe(g, 0.7, () => drop({master: maybe(g, 0.5, () => g(() => hook)), fault: maybe(g, 0.5, () => g(() => hook)), stop: maybe(g, 0.2, () => g(() => hook)), any: maybe(g, 0.5, () => g(() => hook))})),
      smtp_alert: maybe(g, 0.4, () => true),
    })}
  }

  if (chance(g, 0.4)) {
    out.notifications = drop({
      // keepalived resolves a relay's name itself: written as it is, never resolved by lbctl.
      email: drop({to: g(() => fc.array(fc.constantFrom('root@localhost', 'ops@example.com', "o'brien@mail.example.org", 'a+b@x-y.example'), {minLength: 1, maxLength: 3})), from: maybe(g, 0.5, () => 'keepalived@example.com'), smtp_server: maybe(g, 0.5, () => (chance(g, 0.4) ? 'smtp.mail.test' : `${net}.25`)), smtp_connect_timeout: maybe(g, 0.3, () => int(g, 1, 3600))}),
      script: maybe(g, 0.5, () => true),
      smtp_alert: maybe(g, 0.3, () => true),
    })
  }

  if (lvs) out.virtual_servers = virtualServers(g, forwarding === 'NAT' ? [vipsByInstance[0]![0]!] : vipsByInstance.flat(), rsNames, lvsPort, forwarding)
  if (chance(g, 0.2)) out.clients = {probe: {address: named(0.3, 'probe.client.test', `${net}.5`)}}
  if (haproxy) out.haproxy = haproxySection(g, rsNames, env)
  // A pidfile is the operator's only under systemd: mostly drawn with it, now and then without (refused).
  const pidfile = Boolean((out.haproxy as Obj | undefined)?.global && ((out.haproxy as Obj).global as Obj).pidfile)
  if (chance(g, 0.2) || (pidfile && chance(g, 0.8))) out.deploy = drop({service_manager: pidfile && chance(g, 0.9) ? 'systemd' : pick(g, ['auto', 'systemd', 'direct']), releases_keep: int(g, 1, 100)})
  return {inventory: drop(out), env, hosts}
}

function virtualServers(g: G, vips: string[], rsNames: string[], port: number, forwarding: 'DR' | 'NAT' | 'TUN'): Obj {
  const out: Obj = {}
  for (const [i, n] of names(g, int(g, 1, 2), 'vs').entries()) {
    const type = pick(g, ['HTTP_GET', 'SSL_GET', 'TCP_CHECK', 'MISC_CHECK'] as const)
    const common = {connect_timeout: maybe(g, 0.5, () => int(g, 1, 3600)), retry: maybe(g, 0.5, () => int(g, 0, 100)), delay_before_retry: maybe(g, 0.5, () => int(g, 0, 3600))}
    out[n] = drop({
      vip: vips[i % vips.length],
      port: i === 0 ? port : port === 65535 ? 1 : port + 1,
      forwarding: forwarding === 'DR' && chance(g, 0.5) ? undefined : forwarding,
      scheduler: maybe(g, 0.6, () => pick(g, ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'])),
      persistence_granularity: maybe(g, 0.1, () => pick(g, ['255.255.255.0', '255.255.0.0', '255.255.255.255'])),
      protocol: maybe(g, 0.1, () => 'TCP'),
      persistence_timeout: maybe(g, 0.3, () => int(g, 1, 2678400)),
      delay_loop: maybe(g, 0.3, () => int(g, 1, 3600)),
      ...quorum(g),
      alpha: maybe(g, 0.2, () => true),
      omega: maybe(g, 0.2, () => true),
      inhibit_on_failure: maybe(g, 0.2, () => true),
      sorry_server: maybe(g, 0.2, () => ({address: '127.0.0.1', port: chance(g, 0.9) ? (i === 0 ? port : port === 65535 ? 1 : port + 1) : 80})),
      real_servers: g(() => fc.subarray(rsNames, {minLength: 1})).map((r) => (i > 0 || chance(g, 0.3) ? drop({name: r, weight: maybe(g, 0.5, () => int(g, 0, 65535)), port: i > 0 ? (port === 65535 ? 1 : port + 1) : undefined}) : r)),
      // Every check gets its own port: on 443 the plain HTTP_GET is refused (issue 11), SSL_GET is what fits.
      health_check: drop(
        type === 'MISC_CHECK'
          ? {type, misc_path: pick(g, ['/usr/lib/nagios/plugins/check_http -I 127.0.0.1', '/bin/true', "/usr/bin/test -e '/run/lbctl up'"]), misc_timeout: maybe(g, 0.5, () => int(g, 1, 3600)), misc_dynamic: maybe(g, 0.3, () => true)}
          : type === 'TCP_CHECK'
            ? {type, ...common, connect_port: maybe(g, 0.3, () => int(g, 1, 65535))}
            : {type, ...common, path: maybe(g, 0.6, () => match(g, /^\/[A-Za-z0-9!#$%&'()*+,.:;=?@_~\/-]{0,20}$/)), status_code: maybe(g, 0.4, () => int(g, 100, 599)), virtualhost: maybe(g, 0.3, () => 'www.example.com'), connect_port: type === 'SSL_GET' ? maybe(g, 0.5, () => 443) : undefined},
      ),
    })
  }
  return out
}

/** Mostly within keepalived's rules (hysteresis below quorum); now and then not, so refusals happen too. */
function quorum(g: G): Obj {
  const q = maybe(g, 0.2, () => int(g, 1, 2))
  return drop({quorum: q, hysteresis: maybe(g, 0.2, () => (chance(g, 0.9) ? (q ?? 1) - 1 : int(g, 0, 3)))})
}

function haproxySection(g: G, rsNames: string[], env: Record<string, string>): Obj {
  const withDefaults = chance(g, 0.7)
  const defaultsMode = withDefaults && chance(g, 0.2) ? 'tcp' : 'http'
  const backendNames = names(g, int(g, 1, 2), 'b')
  const ports = g(() => fc.uniqueArray(fc.integer({min: 1, max: 65535}), {minLength: 6, maxLength: 6}))
  const section = (mode: 'http' | 'tcp', kind: 'frontend' | 'backend' | 'listen') => {
    const acls = kind !== 'backend' ? Object.fromEntries(names(g, int(g, 0, 2), 'a').map((n) => [n, g(() => aclCriterion(mode === 'tcp'))])) : {}
    return drop({
      mode: mode === defaultsMode && chance(g, 0.5) ? undefined : mode,
      options: maybe(g, 0.4, () => {
        const list = g(() => fc.uniqueArray(optionLine(kind, mode), {maxLength: 2, selector: (o: string) => o.split(' ')[0]}))
        const logs = list.filter((o) => /^(httplog|tcplog)/.test(o))
        return list.filter((o) => !logs.slice(1).includes(o))
      }),
      acls: Object.keys(acls).length ? acls : undefined,
      http_request: mode === 'http' && kind !== 'backend' ? maybe(g, 0.4, () => g(() => fc.array(httpRequestRule(Object.keys(acls)), {minLength: 1, maxLength: 2}))) : undefined,
      timeouts: maybe(g, 0.3, () => drop({connect: durations(g), client: durations(g), server: durations(g), http_request: maybe(g, 0.5, () => durations(g)), tunnel: maybe(g, 0.3, () => durations(g))})),
    })
  }
  const servers = () =>
    g(() => fc.subarray(rsNames, {minLength: 1})).map((r) =>
      chance(g, 0.4)
        ? drop({
            name: r,
            port: maybe(g, 0.5, () => int(g, 1, 65535)),
            weight: maybe(g, 0.5, () => int(g, 0, 256)),
            backup: maybe(g, 0.3, () => true),
            // Its own check timing (refused next to check: false, which the draw above makes now and then).
            check: maybe(g, 0.3, () => chance(g, 0.7)),
            inter: maybe(g, 0.3, () => durations(g)),
            rise: maybe(g, 0.3, () => int(g, 1, 100)),
            fall: maybe(g, 0.3, () => int(g, 1, 100)),
            check_port: maybe(g, 0.2, () => int(g, 1, 65535)),
            maxconn: maybe(g, 0.3, () => int(g, 1, 100000)),
            send_proxy: maybe(g, 0.2, () => true),
          })
        : r,
    )
  const backends: Obj = {}
  const modes: Record<string, 'http' | 'tcp'> = {}
  for (const n of backendNames) {
    const mode = chance(g, 0.8) ? defaultsMode : defaultsMode === 'http' ? 'tcp' : 'http'
    modes[n] = mode
    backends[n] = drop({
      ...section(mode, 'backend'),
      balance: maybe(g, 0.5, () => pick(g, mode === 'http' ? ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'uri', 'url_param id', 'hdr(host)', 'rdp-cookie', 'rdp-cookie(mstshash)'] : ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random'])),
      cookie: mode === 'http' ? maybe(g, 0.3, () => drop({name: match(g, /^[A-Za-z0-9_-]{1,16}$/), mode: maybe(g, 0.5, () => pick(g, ['insert', 'rewrite', 'prefix'])), indirect: maybe(g, 0.3, () => chance(g, 0.5)), nocache: maybe(g, 0.3, () => chance(g, 0.5))})) : undefined,
      httpchk: maybe(g, 0.4, () => drop({method: maybe(g, 0.5, () => pick(g, ['GET', 'HEAD', 'OPTIONS'])), path: maybe(g, 0.6, () => match(g, /^\/[A-Za-z0-9!#$%&'()*+,.:;=?@_~\/-]{0,20}$/)), host: maybe(g, 0.3, () => 'www.example.com'), expect_status: maybe(g, 0.3, () => int(g, 100, 599))})),
      check: maybe(g, 0.3, () => drop({inter: maybe(g, 0.5, () => durations(g)), rise: maybe(g, 0.5, () => int(g, 1, 100)), fall: maybe(g, 0.5, () => int(g, 1, 100)), port: maybe(g, 0.2, () => int(g, 1, 65535))})),
      servers: servers(),
    })
  }
  const frontends: Obj = {}
  for (const [i, n] of names(g, int(g, 1, 2), 'f').entries()) {
    const target = pick(g, backendNames)
    const mode = modes[target]!
    const s = section(mode, 'frontend')
    const acls = Object.keys((s.acls as Obj | undefined) ?? {})
    frontends[n] = drop({
      ...s,
      bind: chance(g, 0.5) ? `:${ports[i]}` : chance(g, 0.5) ? [`*:${ports[i]}`] : {port: ports[i], address: maybe(g, 0.3, () => '*')},
      maxconn: maybe(g, 0.3, () => int(g, 1, 100000)),
      default_backend: target,
      use_backends: maybe(g, 0.4, () => [{backend: pick(g, backendNames.filter((b) => modes[b] === mode)), if: g(() => condition(acls, mode === 'tcp'))}]),
      forwardfor: mode === 'http' ? maybe(g, 0.3, () => chance(g, 0.5)) : undefined,
    })
  }
  const listens: Obj = {}
  if (chance(g, 0.3)) {
    const mode = chance(g, 0.5) ? 'http' : 'tcp'
    listens[names(g, 1, 'l')[0]!] = drop({...section(mode, 'listen'), bind: `:${ports[4]}`, balance: maybe(g, 0.5, () => 'source'), servers: servers()})
  }
  const statsPass = g(() => fc.stringMatching(/^[A-Za-z0-9 !#$%&'()*+,./:;<=>?@[\\\]^_`{|}~"é-]{1,24}$/).filter((s) => !s.includes('${')))
  env.LBCTL_PT_STATS = statsPass
  return drop({
    global: maybe(g, 0.6, () =>
      drop({
        maxconn: maybe(g, 0.5, () => int(g, 1, 10_000_000)),
        log: maybe(g, 0.4, () => (chance(g, 0.5) ? g(() => logLine) : g(() => fc.array(logLine, {minLength: 1, maxLength: 3})))),
        nbthread: maybe(g, 0.3, () => int(g, 1, 64)),
        pidfile: maybe(g, 0.15, () => pick(g, ['/var/run/haproxy.pid', '/run/haproxy/haproxy.pid', '/home/ha/haproxy/conf/haproxy.pid'])),
        extra: maybe(g, 0.6, () => g(() => fc.array(haproxyGlobalLine, {minLength: 1, maxLength: 3}))),
      }),
    ),
    defaults: withDefaults
      ? drop({
          mode: maybe(g, defaultsMode === 'http' ? 0.5 : 1, () => defaultsMode),
          retries: maybe(g, 0.5, () => int(g, 0, 100)),
          maxconn: maybe(g, 0.3, () => int(g, 1, 100000)),
          log: maybe(g, 0.3, () => g(() => fc.array(fc.oneof(fc.constant('global'), logLine), {minLength: 1, maxLength: 3}))),
          options: maybe(g, 0.4, () => g(() => fc.uniqueArray(optionLine('defaults', defaultsMode), {maxLength: 2, selector: (o: string) => o.split(' ')[0]}))),
        })
      : undefined,
    frontends,
    backends,
    listens: Object.keys(listens).length ? listens : undefined,
    stats: maybe(g, 0.5, () => drop({bind: `:${ports[5]}`, uri: maybe(g, 0.5, () => match(g, /^\/[A-Za-z0-9!#$%&'()*+,.:;=?@_~\/-]{0,20}$/)), realm: maybe(g, 0.5, () => match(g, /^[A-Za-z0-9_.-]{1,8}( [A-Za-z0-9_.-]{1,8}){0,2}$/)), refresh: maybe(g, 0.3, () => durations(g)), auth: maybe(g, 0.6, () => ({user: 'ops', password: chance(g, 0.5) ? '${env:LBCTL_PT_STATS}' : statsPass})), admin: maybe(g, 0.5, () => true)})),
  })
}
