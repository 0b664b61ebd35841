import assert from 'node:assert/strict'
import {test} from 'node:test'
import {renderHost} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'
import {load, SHOP, SHOP_VIP} from '../helpers/shop.js'
import {problemsOf} from './validate-helpers.js'

// Issue 11, "validate says ok, the daemon refuses": each of these passed validate, then keepalived -t or haproxy -c
// stopped the deploy on the first director. Now validate refuses them at their line, or lbctl renders what the
// daemon accepts.

test('nopreempt with preempt_delay (seed 000 writes both) is refused, as keepalived refuses it', () => {
  assert.equal(
    problemsOf('46-nopreempt-preempt-delay.yaml'),
    `test/fixtures/broken/46-nopreempt-preempt-delay.yaml:16:20: vrrp_instances.VI_1.preempt_delay: cannot go with nopreempt: keepalived refuses the pair ("preempt_delay is incompatible with nopreempt mode", which fails keepalived -t), and under nopreempt a backup never preempts, so there is nothing to delay
    fix: remove preempt_delay, or remove nopreempt if the master should take the VIPs back after the delay`,
  )
})

test('a vrrp_sync_group of one instance, also one that only has one on a director', () => {
  assert.equal(
    problemsOf('49-sync-group-of-one.yaml'),
    `test/fixtures/broken/49-sync-group-of-one.yaml:7:68: vrrp_instances.VI_1.sync_group: G_ALONE has no other instance: keepalived refuses a sync group of one ("has only 1 virtual router(s)", which fails keepalived -t)
    fix: put a second instance in the group, or remove sync_group
test/fixtures/broken/49-sync-group-of-one.yaml:8:68: vrrp_instances.VI_2.sync_group: G_PAIR has only VI_2 on lb2 (VI_3 does not run there): keepalived refuses a sync group of one ("has only 1 virtual router(s)")
    fix: run VI_3 on lb2 too, or remove sync_group`,
  )
})

test('a bind port above 65535', () => {
  assert.equal(
    problemsOf('50-bind-port-65536.yaml'),
    `test/fixtures/broken/50-bind-port-65536.yaml:11:17: haproxy.frontends.web.bind: has a port outside 1 to 65535 (got ":65536")
    fix: write it like ":80"`,
  )
})

test('raw HAProxy options: an extra word, the wrong side, the wrong mode, two log formats, two health checks, what lbctl writes itself', () => {
  assert.equal(
    problemsOf('51-haproxy-options.yaml'),
    `test/fixtures/broken/51-haproxy-options.yaml:12:37: haproxy.defaults.options[2]: needs http mode, but haproxy.listens.db runs in tcp mode and would inherit it: HAProxy warns and ignores it there
    fix: set option prefer-last-server on the http sections that need it instead
test/fixtures/broken/51-haproxy-options.yaml:17:17: haproxy.frontends.web.options[0]: has too many arguments for option dontlognull: the daemon refuses the line
    fix: write it as: option dontlognull
test/fixtures/broken/51-haproxy-options.yaml:17:36: haproxy.frontends.web.options[1]: applies to backends only: HAProxy ignores option redispatch in a frontend ("no backend capability", a warning)
    fix: move it to the backend this frontend routes to, or use a listen section
test/fixtures/broken/51-haproxy-options.yaml:17:57: haproxy.frontends.web.options[3]: is a second log format (after option httplog): HAProxy keeps one and warns about the other
    fix: keep one of httplog and tcplog
test/fixtures/broken/51-haproxy-options.yaml:22:17: haproxy.backends.web.options[0]: is what lbctl writes from the backend's httpchk field (with its http-check lines)
    fix: use httpchk: {path: /health}
test/fixtures/broken/51-haproxy-options.yaml:22:32: haproxy.backends.web.options[1]: "no-such-option" is not an option lbctl knows: it can vouch only for options HAProxy is known to accept
    fix: known: abortonclose, allbackups, checkcache, clitcpka, contstats, dontlog-normal, dontlognull, http-buffer-request, http-ignore-probes, http-keep-alive, http-no-delay, http-pretend-keepalive, http-server-close, httpclose, http-restrict-req-hdr-names, httplog, independent-streams, log-health-checks, log-separate-errors, logasap, nolinger, persist, prefer-last-server, redispatch, socket-stats, splice-auto, splice-request, splice-response, srvtcpka, tcp-smart-accept, tcp-smart-connect, tcpka, tcplog, ssl-hello-chk, tcp-check, forwardfor, originalto
test/fixtures/broken/51-haproxy-options.yaml:22:48: haproxy.backends.web.options[2]: is another kind of health check than this section's httpchk: HAProxy keeps only the last one written (httpchk) and ignores option tcp-check without a word
    fix: remove httpchk, or remove option tcp-check
test/fixtures/broken/51-haproxy-options.yaml:28:17: haproxy.listens.db.options[0]: needs http mode, but this section is in tcp mode: HAProxy ignores option http-buffer-request here (and only logs a warning)
    fix: remove it, or set mode: http`,
  )
})

test('a NUL byte in httpchk.path and stats.uri', () => {
  assert.equal(
    problemsOf('52-nul-byte.yaml'),
    `test/fixtures/broken/52-nul-byte.yaml:14:44: haproxy.backends.web.httpchk.path: contains a NUL byte: a value must be one line of printable text (the daemons cut a line at a NUL and start a new directive at a line break)
    fix: write it on one line, without control characters
test/fixtures/broken/52-nul-byte.yaml:15:16: haproxy.stats.uri: contains a NUL byte: a value must be one line of printable text (the daemons cut a line at a NUL and start a new directive at a line break)
    fix: write it on one line, without control characters`,
  )
})

test("track_interfaces naming the instance's own interface", () => {
  assert.equal(
    problemsOf('54-track-own-interface.yaml'),
    `test/fixtures/broken/54-track-own-interface.yaml:9:30: vrrp_instances.VI_1.track_interfaces[1]: eth0 is the interface VI_1 itself runs on (lb1, lb2): keepalived already goes to FAULT when it fails, and refuses to track it a second time ("Ignoring track_interface eth0 since own interface", which fails keepalived -t)
    fix: remove it; track_interfaces is for other links, like an uplink the VIP depends on`,
  )
})

test('virtual_routes without dev are written on the instance\'s interface (keepalived will not track a route without one), default as 0.0.0.0/0', () => {
  const cluster = load(`${SHOP}vrrp_instances:
  VI_1:
    virtual_router_id: 51
    interface: eth1
    vips: [10.0.0.100/24]
    virtual_routes: [{to: 10.9.0.0/16, via: 10.0.0.1}, {to: default, via: 10.0.0.1, dev: eth2}]
`)
  const conf = renderHost(cluster, 'lb1').find((f) => f.path === PATHS.keepalivedConf)!.content
  assert.ok(conf.includes('    virtual_routes {\n        to 10.9.0.0/16 via 10.0.0.1 dev eth1\n        to 0.0.0.0/0 via 10.0.0.1 dev eth2\n    }\n'), conf)
})

test('a tcp-mode backend under http defaults gets no `option tcplog` (HAProxy ignores log formats in backends, with a warning)', () => {
  const cluster = load(`${SHOP_VIP}haproxy:
  frontends:
    db: {bind: ":5432", mode: tcp, default_backend: db}
  backends:
    db: {mode: tcp, servers: [{name: web1, port: 5432}]}
`)
  const cfg = renderHost(cluster, 'lb1').find((f) => f.path === PATHS.haproxyCfg)!.content
  assert.ok(cfg.includes('\nfrontend db\n    bind :5432\n    mode tcp\n    option tcplog\n'), cfg)
  assert.ok(cfg.includes('\nbackend db\n    mode tcp\n    balance roundrobin\n    default-server'), cfg)
})

test('a vrrp_script interval or timeout in fractions of a second (keepalived: "invalid number")', () => {
  assert.equal(
    problemsOf('63-script-fractions.yaml'),
    `test/fixtures/broken/63-script-fractions.yaml:7:37: vrrp_scripts.chk.interval: must be a whole number, not the number 1.5
    fix: write it as a whole number, like interval: 2
test/fixtures/broken/63-script-fractions.yaml:7:51: vrrp_scripts.chk.timeout: must be a whole number, not the number 0.5
    fix: write it as a whole number, like timeout: 5`,
  )
})

test('an auth_pass keepalived cannot read back: a trailing backslash, a lone brace', () => {
  assert.equal(
    problemsOf('64-auth-pass-unreadable.yaml'),
    `test/fixtures/broken/64-auth-pass-unreadable.yaml:7:67: vrrp_instances.VI_1.auth_pass: ends with a backslash, which keepalived reads as escaping the closing quote ("Unterminated quote") (got "********")
    fix: choose a password that does not end with "\\"
test/fixtures/broken/64-auth-pass-unreadable.yaml:8:67: vrrp_instances.VI_2.auth_pass: is a lone brace, which keepalived reads as the edge of the authentication block even in quotes (got "********")
    fix: choose another password`,
  )
})
