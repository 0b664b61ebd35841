/**
 * The concrete fixes schema-errors.ts offers: what to write instead, keyed by the schema's own message or by the
 * field name. Kept apart from the mapping logic so the words are easy to review.
 */

export const BALANCE = ['roundrobin', 'static-rr', 'leastconn', 'first', 'source', 'random', 'uri']

/** Fix for a schema message, by how the message starts. */
export const HINTS: Array<[string, string]> = [
  ['must start with a letter and contain only', 'rename it, e.g. web_1 or lb-1: names become keepalived and HAProxy identifiers and file names'],
  ['is not a safe interface name', 'write the interface as `ip link` shows it, like eth0, ens192 or bond0.100'],
  ['must be a single line', 'put it on one line: a newline would start a new directive in the rendered config'],
  ['must be an absolute path', 'write an absolute path like /etc/keepalived/down'],
  ['must be a URL path', 'start it with "/", like /health'],
  ['is not an email address', 'write it like ops@example.com'],
  ['is not a host name or address', 'write a host name or address like 10.0.0.11 or lb1.example.com'],
  ['is not a user name', 'write a Unix user name like root or deploy'],
  ['is not a variable name', 'use letters, digits and "_", not starting with a digit'],
  ['contains a double quote ("), which keepalived', 'choose a password without a double quote'],
  ['ends with a backslash, which keepalived', 'choose a password that does not end with "\\"'],
  ['is a lone brace, which keepalived', 'choose another password'],
  ['must not be empty', 'write a value, or "${env:NAME}" / "${file:PATH}" to keep it out of the file'],
  ['must be an MD5 hex digest', 'compute it with keepalived\'s genhash, or md5sum of the page body'],
  ['is longer than HAProxy', 'use at most 24d (or 2147483647 ms)'],
  ['needs at least one director', 'add one, like lb1: {address: 10.0.0.11}'],
  ['needs at least one VRRP instance', 'add one, like VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24]}'],
  ['needs at least one VIP', 'add one, like vips: [10.0.0.100/24]'],
  ['needs at least one', 'add one, like [web1]'],
]

// How to write a value whose shape was wrong, by field: these are the unions an inventory has.
export const SHAPES: Record<string, string> = {
  bind: 'write it as text like ":80" or "10.0.0.100:80" (quoted, so YAML does not read a number), or as a mapping like {port: 80}',
  vips: 'write a VIP as text like 10.0.0.100/24, or as a mapping like {address: 10.0.0.100/24, dev: eth1}',
  servers: 'write a real server name like web1, or a mapping like {name: web1, weight: 2}',
  real_servers: 'write a real server name like web1, or a mapping like {name: web1, weight: 2}',
  track_scripts: 'write a vrrp_script name like chk_haproxy, or a mapping like {name: chk_haproxy, weight: -20}',
  track_interfaces: 'write an interface like eth1, or a mapping like {name: eth1, weight: -20}',
  version: 'write 2 or 3',
  to: 'write default, or a network like 10.1.0.0/16',
}
export const DURATIONS = new Set(['connect', 'client', 'server', 'http_request', 'http_keep_alive', 'queue', 'check', 'tunnel', 'inter', 'refresh'])

/** A value to suggest for a missing or mistyped field. */
export const EXAMPLES: Record<string, string> = {
  name: 'my-cluster', address: '10.0.0.11', virtual_router_id: '51', vips: '[10.0.0.100/24]', port: '80', vip: '10.0.0.100',
  servers: '[web1, web2]', real_servers: '[web1, web2]', bind: '":80"', backend: 'NAME', if: 'is_api', directors: '{lb1: {address: 10.0.0.11}}',
  vrrp_instances: '{VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24]}}', to: '[ops@example.com]', misc_path: '/usr/local/bin/check',
  priority: '100', weight: '-20', interval: '2', advert_int: '1', timeout: '5', maxconn: '4000',
  user: 'admin', password: '"${env:STATS_PASSWORD}"', crt: '/etc/haproxy/site.pem',
}
