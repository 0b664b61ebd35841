import {z} from 'zod'
import {defaultsLogLineError, globalLineError, logLineError} from '../grammar/haproxy-global.js'
import {optionError} from '../grammar/haproxy-options.js'
import {aclError, conditionError, httpRequestError} from '../grammar/haproxy-rules.js'
import {grammar, keywordLines} from '../grammar/types.js'
import {absPath, duration, ipv4, name, port, secret} from './common.js'

const option = grammar(optionError).describe('An option HAProxy knows, with its arguments (e.g. "redispatch", "http-keep-alive").')
const httpRequest = grammar(httpRequestError).describe('ACTION [ARGS] [if|unless CONDITION], e.g. "set-header X-Forwarded-Proto https if { ssl_fc }".')

export const balance = z
  .string()
  .regex(/^(roundrobin|static-rr|leastconn|first|source|random|uri|url_param [A-Za-z0-9_.-]+|hdr\([A-Za-z0-9_-]+\)|rdp-cookie(\([A-Za-z0-9_-]+\))?)$/, {
    message: 'is not a balance algorithm HAProxy knows',
  })

export const timeouts = z
  .strictObject({
    connect: duration.optional(),
    client: duration.optional(),
    server: duration.optional(),
    http_request: duration.optional(),
    http_keep_alive: duration.optional(),
    queue: duration.optional(),
    check: duration.optional(),
    tunnel: duration.optional(),
  })
  .describe('HAProxy timeouts: milliseconds, or with a unit (10s, 1m).')

export const bind = z.union([
  z.string()
    .regex(/^(\d{1,3}(\.\d{1,3}){3}|\*)?:\d{1,5}$/, {message: 'is not a bind address (write it like ":80" or "10.0.0.100:80")'})
    .refine((v) => !/:\d{1,5}$/.test(v) || (Number(v.slice(v.lastIndexOf(':') + 1)) >= 1 && Number(v.slice(v.lastIndexOf(':') + 1)) <= 65535), {message: 'has a port outside 1 to 65535 (write it like ":80")'}),
  z.strictObject({
    address: z.union([ipv4, z.literal('*')]).optional().describe('Default: every address (so the backup can bind before it holds the VIP).'),
    port,
    ssl: z
      .strictObject({
        crt: absPath.describe('PEM with certificate and key (SSL offload), on the directors; a directory when `pem` names one.'),
        pem: z
          .string()
          .min(1)
          .optional()
          .describe('A local PEM (certificate and key) or a directory of them, relative to the inventory (or ${file:PATH}): lbctl delivers it to `crt` (0600), keeps it in the release, never prints it.'),
        alpn: z.string().regex(/^[a-z0-9\/.,-]+$/, {message: 'is not an ALPN list (write it like h2,http/1.1)'}).optional(),
      })
      .optional(),
  }),
])

export const serverRef = z.union([
  name,
  z.strictObject({
    name: name.describe('A real server.'),
    port: port.optional().describe('Default: the real server\'s port.'),
    inter: duration.optional().describe('This server\'s own check interval (HAProxy `inter`), e.g. for a slower backend; default: the backend\'s check.inter.'),
    rise: z.number().int().min(1).max(100).optional().describe('This server\'s own count of passed checks before it is up; default: the backend\'s check.rise.'),
    fall: z.number().int().min(1).max(100).optional().describe('This server\'s own count of failed checks before it is down; default: the backend\'s check.fall.'),
    check_port: port.optional().describe('Port the health check connects to (HAProxy `port`), when the server answers checks on another port than its traffic.'),
    weight: z.number().int().min(0, {message: 'must be from 0 to 256 (HAProxy server weight)'}).max(256, {message: 'must be from 0 to 256 (HAProxy server weight)'}).optional(),
    cookie: z.string().regex(/^[A-Za-z0-9_.-]+$/, {message: 'is not a cookie value (letters, digits, "_", "." or "-"; write it like web1)'}).optional().describe('Cookie value for insert stickiness (default: the server name).'),
    backup: z.boolean().optional(),
    check: z.boolean().optional().describe('Default true.'),
    maxconn: z.number().int().min(1).optional(),
    send_proxy: z.boolean().optional(),
  }),
])

const check = z.strictObject({
  inter: duration.optional().describe('Default 2s.'),
  rise: z.number().int().min(1).max(100).optional().describe('Passed checks before a server is up. Default 2.'),
  fall: z.number().int().min(1).max(100).optional().describe('Failed checks before a server is down. Default 3.'),
  port: port.optional().describe('Port every server\'s health check connects to (HAProxy `port`); default: each server\'s own port.'),
}).describe('Health-check timing of every server of the backend (`default-server`); a server entry may set its own.')

const httpchk = z.strictObject({
  method: z.enum(['GET', 'HEAD', 'OPTIONS']).optional().describe('Default GET.'),
  path: z.string().regex(/^\/[^\s]*$/, {message: 'must be a URL path like /health'}).optional().describe('Default /.'),
  host: z.string().regex(/^[A-Za-z0-9.-]+$/, {message: 'is not a host name (write it like www.example.com)'}).optional(),
  expect_status: z.number().int().min(100).max(599).optional(),
})

const cookie = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, {message: 'is not a cookie name (write it like SERVERID)'}),
  mode: z.enum(['insert', 'rewrite', 'prefix']).optional().describe('Default insert.'),
  indirect: z.boolean().optional().describe('Default true.'),
  nocache: z.boolean().optional().describe('Default true.'),
})

const backendFields = {
  mode: z.enum(['http', 'tcp']).optional(),
  balance: balance.optional().describe('Default roundrobin.'),
  cookie: cookie.optional().describe('Cookie stickiness (`cookie NAME insert indirect nocache`).'),
  httpchk: httpchk.optional().describe('HTTP health check (`option httpchk`); without it checks are TCP connects.'),
  check: check.optional(),
  servers: z.array(serverRef).min(1, {message: 'needs at least one server'}).describe('Real servers behind this backend.'),
  timeouts: timeouts.optional(),
  options: z.array(option).optional().describe('`option …` lines: an option HAProxy knows and its arguments (e.g. "redispatch", "http-keep-alive").'),
  http_request: z.array(httpRequest).optional().describe('`http-request …` rules: ACTION [ARGS] [if|unless CONDITION].'),
  stick_table: z
    .strictObject({
      type: z.enum(['ip', 'ipv6']).optional().describe('Default ip.'),
      size: z.string().regex(/^[1-9][0-9]*[kmg]?$/, {message: 'is not a table size (write it like 100k or 1m)'}).optional().describe('Entries, default 100k.'),
      expire: duration.optional().describe('Default 30m.'),
    })
    .optional()
    .describe('Source stickiness (`stick-table` + `stick on src`); shared with the other directors when haproxy.peers is on.'),
}

const useBackend = z.strictObject({backend: name, if: grammar(conditionError).describe('ACL names (! negates), { anonymous ACLs }, || between alternatives.')})

const frontendFields = {
  bind: z.union([bind, z.array(bind).min(1)]).describe('":80", "10.0.0.100:80", or {port, ssl: {crt}}.'),
  mode: z.enum(['http', 'tcp']).optional(),
  maxconn: z.number().int().min(1).optional(),
  acls: z.record(name, grammar(aclError)).optional().describe('ACL name → criterion, e.g. is_api: "path_beg /api".'),
  use_backends: z.array(useBackend).optional().describe('Routing rules in order: {backend, if: "is_api"}.'),
  default_backend: name.optional(),
  https_redirect: z.boolean().optional().describe('Redirect plain HTTP to HTTPS (`redirect scheme https if !{ ssl_fc }`).'),
  forwardfor: z.boolean().optional().describe('Add X-Forwarded-For (default: on in http mode).'),
  options: z.array(option).optional(),
  http_request: z.array(httpRequest).optional(),
  timeouts: timeouts.optional(),
}

export const frontend = z.strictObject(frontendFields)
export const backend = z.strictObject(backendFields)
// A listen section is a frontend and its one backend in one block, so it routes nowhere else.
const {default_backend: _unused, use_backends: _unused2, ...listenFrontendFields} = frontendFields
export const listen = z.strictObject({...listenFrontendFields, ...backendFields})

export const stats = z
  .strictObject({
    bind: bind.optional().describe('Default ":8404".'),
    uri: z.string().regex(/^\/[^\s]*$/, {message: 'must be a URL path like /stats'}).optional().describe('Default /stats.'),
    realm: z.string().regex(/^[A-Za-z0-9_.-]+( [A-Za-z0-9_.-]+)*$/, {message: 'is not a realm (words of letters, digits, "_", "." or "-", like "HAProxy Stats")'}).optional().describe('Default HAProxy. Spaces are escaped for HAProxy (seed 002: HAProxy\\ Stats).'),
    refresh: duration.optional().describe('Default 10s.'),
    auth: z.strictObject({user: z.string().regex(/^[A-Za-z0-9_.-]+$/, {message: 'is not a user name'}), password: secret}).optional(),
    admin: z.boolean().optional().describe('Allow enabling/disabling servers from the page (authenticated users only).'),
  })
  .describe('The HAProxy statistics page.')

export const haproxy = z
  .strictObject({
    cert_warn_days: z.number().int().min(0).max(3650).optional().describe('validate warns when a delivered certificate expires within this many days. Default 21.'),
    peers: z
      .union([z.boolean(), z.strictObject({port: port.optional().describe('Default 10000.')})])
      .optional()
      .describe('Replicate stick tables between the directors (a `peers` section of every director), so sticky clients keep their server when the VIP moves.'),
    global: z
      .strictObject({
        maxconn: z.number().int().min(1).max(10_000_000).optional().describe('Default 4000.'),
        log: z.union([grammar(logLineError), z.array(grammar(logLineError)).min(1)]).optional()
          .describe('TARGET FACILITY [LEVEL [MINLEVEL]], or a list of them (seed 002 logs info to local0 and warnings to local1). Default "/dev/log local0 info".'),
        pidfile: absPath.optional()
          .describe('Where HAProxy writes its pid, with deploy.service_manager: systemd (lbctl sets haproxy.service\'s -p to it). In direct mode the pidfile is lbctl\'s own, /run/haproxy.pid.'),
        nbthread: z.number().int().min(1).max(64).optional(),
        user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, {message: 'is not a user name'}).optional(),
        group: z.string().regex(/^[a-z_][a-z0-9_-]*$/, {message: 'is not a group name (write it like haproxy)'}).optional(),
        extra: keywordLines(grammar(globalLineError)).optional().describe('Extra global settings, one keyword and its arguments per line (tune.*, ssl-default-bind-options, hard-stop-after, …: the ones lbctl knows HAProxy accepts).'),
      })
      .optional(),
    defaults: z
      .strictObject({
        mode: z.enum(['http', 'tcp']).optional().describe('Default http.'),
        retries: z.number().int().min(0).max(100).optional().describe('Default 3.'),
        maxconn: z.number().int().min(1).optional(),
        log: z.union([grammar(defaultsLogLineError), z.array(grammar(defaultsLogLineError)).min(1)]).optional()
          .describe('Where every proxy logs: "global" (the global section\'s targets), TARGET FACILITY [LEVEL [MINLEVEL]] (seed 004: 127.0.0.1 local3), or a list of them. Default "global".'),
        timeouts: timeouts.optional(),
        options: z.array(option).optional().describe('Default: httplog, dontlognull, http-server-close, redispatch.'),
      })
      .optional(),
    frontends: z.record(name, frontend).optional(),
    backends: z.record(name, backend).optional(),
    listens: z.record(name, listen).optional(),
    stats: stats.optional(),
  })
  .describe('HAProxy on every director: frontends route to backends of real servers.')
