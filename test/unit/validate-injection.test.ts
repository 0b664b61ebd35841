import assert from 'node:assert/strict'
import {test} from 'node:test'
import {renderHost} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'
import {load, SHOP_VIP, shopHaproxy} from '../helpers/shop.js'
import {problemsOf} from './validate-helpers.js'

// Issue 11, "injection": no string in an inventory can add a section or directive the cluster checks never saw.
// Raw lines have a grammar (src/inventory/grammar/); what it refuses is reported at its line, what it accepts is
// exactly one directive of the kind the field names.

test('keepalived.extra_global_defs cannot close global_defs and define an instance of its own', () => {
  assert.equal(
    problemsOf('47-extra-global-defs-brace.yaml'),
    `test/fixtures/broken/47-extra-global-defs-brace.yaml:9:7: keepalived.extra_global_defs[1]: contains a brace: "}" would close global_defs and "{" open a block of its own — a vrrp_instance there is one no cluster check sees
    fix: write one keyword and its arguments per line; instances, scripts and virtual servers go under vrrp_instances, vrrp_scripts and virtual_servers
test/fixtures/broken/47-extra-global-defs-brace.yaml:10:7: keepalived.extra_global_defs[2]: contains a brace: "}" would close global_defs and "{" open a block of its own — a vrrp_instance there is one no cluster check sees
    fix: write one keyword and its arguments per line; instances, scripts and virtual servers go under vrrp_instances, vrrp_scripts and virtual_servers
test/fixtures/broken/47-extra-global-defs-brace.yaml:11:7: keepalived.extra_global_defs[3]: makes keepalived refuse or drop authentication, unicast peers and VIPs outside the VRRP rules — settings lbctl's checks allow, so validate would pass a config keepalived then changes
    fix: leave vrrp_strict out
test/fixtures/broken/47-extra-global-defs-brace.yaml:12:7: keepalived.extra_global_defs[4]: has "9999" where vrrp_garp_master_delay takes a whole number from 0 to 4294
    fix: write it as: vrrp_garp_master_delay <0-4294>
test/fixtures/broken/47-extra-global-defs-brace.yaml:12:7: keepalived.extra_global_defs[4]: sets vrrp_garp_master_delay again (line 1 of this list already does): the daemon refuses or ignores one of them
    fix: keep one line per keyword
test/fixtures/broken/47-extra-global-defs-brace.yaml:13:7: keepalived.extra_global_defs[5]: starts with "vrrp_garp_master_dealy", which is not a global_defs keyword lbctl knows: it can vouch only for lines the daemon is known to accept
    fix: did you mean "vrrp_garp_master_delay"? known: vrrp_garp_master_delay, vrrp_garp_master_repeat, vrrp_garp_master_refresh_repeat, vrrp_garp_lower_prio_delay, vrrp_garp_lower_prio_repeat, vrrp_garp_interval, vrrp_gna_interval, vrrp_lower_prio_no_advert, vrrp_higher_prio_send_advert, vrrp_startup_delay, vrrp_priority, checker_priority, vrrp_rt_priority, checker_rt_priority, max_auto_priority, vrrp_no_swap, checker_no_swap, vrrp_check_unicast_src, vrrp_skip_check_adv_addr, dynamic_interfaces`,
  )
})

test('haproxy.global.extra cannot open a section, a control socket or load Lua; global.log has a grammar too', () => {
  assert.equal(
    problemsOf('48-haproxy-global-section.yaml'),
    `test/fixtures/broken/48-haproxy-global-section.yaml:12:10: haproxy.global.log: has "local9", which is not a syslog facility
    fix: use one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, auth2, ftp, ntp, audit, alert, cron2, local0, local1, local2, local3, local4, local5, local6, local7
test/fixtures/broken/48-haproxy-global-section.yaml:15:9: haproxy.global.extra[1]: starts a "listen" section: every line after it in haproxy.cfg would belong to that section — listeners and servers no cluster check sees
    fix: define frontends, backends and listen sections under haproxy.frontends/backends/listens
test/fixtures/broken/48-haproxy-global-section.yaml:16:9: haproxy.global.extra[2]: starts with "bind", which is not a global keyword lbctl knows: it can vouch only for lines the daemon is known to accept
    fix: known: tune.bufsize, tune.http.maxhdr, tune.http.cookielen, tune.http.logurilen, tune.h2.max-concurrent-streams, tune.ssl.default-dh-param, tune.ssl.cachesize, tune.ssl.lifetime, tune.maxaccept, spread-checks, max-spread-checks, hard-stop-after, maxconnrate, maxsessrate, maxsslconn, maxsslrate, maxpipes, log-send-hostname, log-tag, node, description, ca-base, crt-base, noepoll, nosplice, busy-polling, set-dumpable, strict-limits, stats timeout, stats maxconn
test/fixtures/broken/48-haproxy-global-section.yaml:17:9: haproxy.global.extra[3]: starts with "server", which is not a global keyword lbctl knows: it can vouch only for lines the daemon is known to accept
    fix: known: tune.bufsize, tune.http.maxhdr, tune.http.cookielen, tune.http.logurilen, tune.h2.max-concurrent-streams, tune.ssl.default-dh-param, tune.ssl.cachesize, tune.ssl.lifetime, tune.maxaccept, spread-checks, max-spread-checks, hard-stop-after, maxconnrate, maxsessrate, maxsslconn, maxsslrate, maxpipes, log-send-hostname, log-tag, node, description, ca-base, crt-base, noepoll, nosplice, busy-polling, set-dumpable, strict-limits, stats timeout, stats maxconn
test/fixtures/broken/48-haproxy-global-section.yaml:18:9: haproxy.global.extra[4]: opens another control socket: lbctl already has /run/haproxy/admin.sock, and one on an address would be an admin interface on the network
    fix: leave it out; lbctl's socket is level admin for local tools
test/fixtures/broken/48-haproxy-global-section.yaml:19:9: haproxy.global.extra[5]: loads Lua code, which can register services, actions and listeners that no cluster check sees
    fix: leave it out`,
  )
})

test('an LVS health-check path with "!" or "#" is written quoted, so keepalived checks the URL as written', () => {
  const cluster = load(`${SHOP_VIP}virtual_servers:
  web:
    vip: 10.0.0.100
    port: 80
    real_servers: [web1]
    health_check: {type: HTTP_GET, path: "/status!#frag"}
`)
  const conf = renderHost(cluster, 'lb1').find((f) => f.path === PATHS.keepalivedConf)!.content
  assert.ok(conf.includes('            url {\n                path "/status!#frag"\n                status_code 200-299\n            }\n'), conf)
})

test("ACL criteria, conditions and http-request rules follow HAProxy's grammar, checked at their line", () => {
  assert.equal(
    problemsOf('62-haproxy-raw-rules.yaml'),
    `test/fixtures/broken/62-haproxy-raw-rules.yaml:15:17: haproxy.frontends.web.acls.is_api: contains a quote, "\\", "#", "$" or a brace: HAProxy would read quoting, a comment, a variable or a block
    fix: write the fetch and plain values, like path_beg /api
test/fixtures/broken/62-haproxy-raw-rules.yaml:16:19: haproxy.frontends.web.acls.is_admin: uses "path_begins", which is not a fetch lbctl knows
    fix: did you mean "path_beg"? known: path, path_beg, path_end, path_sub, path_dir, path_len, url, url_beg, url_sub, url_param, base, base_beg, method, hdr, hdr_beg, hdr_end, hdr_sub, hdr_dom, req.hdr, cook, src, dst, src_port, dst_port, ssl_fc, ssl_fc_sni, always_true, always_false
test/fixtures/broken/62-haproxy-raw-rules.yaml:17:19: haproxy.frontends.web.acls.is_local: has "10.0.0.0/33", which is not an IPv4 address or network
    fix: write it like src 10.0.0.0/8
test/fixtures/broken/62-haproxy-raw-rules.yaml:19:11: haproxy.frontends.web.http_request[0]: deny takes only deny_status CODE (200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)
    fix: write it as: deny [deny_status 403] [if CONDITION]
test/fixtures/broken/62-haproxy-raw-rules.yaml:20:11: haproxy.frontends.web.http_request[1]: set-header "%[user]" is not a sample fetch lbctl knows (like %[src], %[path], %[hdr(host)])
    fix: write it as: set-header NAME VALUE [if CONDITION]
test/fixtures/broken/62-haproxy-raw-rules.yaml:21:11: haproxy.frontends.web.http_request[2]: "execute" is not an http-request action lbctl knows
    fix: known: allow, deny, tarpit, auth, redirect, set-header, add-header, del-header, set-path, set-log-level
test/fixtures/broken/62-haproxy-raw-rules.yaml:22:11: haproxy.frontends.web.http_request[3]: has a condition that opens "{" without closing it
    fix: close the anonymous ACL: { ssl_fc }
test/fixtures/broken/62-haproxy-raw-rules.yaml:24:30: haproxy.frontends.web.use_backends[0].if: has "||" with nothing before it
    fix: write it between two ACLs, like is_api || is_static`,
  )
})

test('a "#" in an HAProxy health-check path or stats URI is written quoted, not read as a comment', () => {
  const cluster = load(`${SHOP_VIP}${shopHaproxy('[web1]', ', httpchk: {path: "/health#ok"}')}  stats: {uri: "/stats#x"}\n`)
  const cfg = renderHost(cluster, 'lb1').find((f) => f.path === PATHS.haproxyCfg)!.content
  assert.match(cfg, /\n {4}option httpchk GET '\/health#ok'\n/)
  assert.match(cfg, /\n {4}stats uri '\/stats#x'\n/)
})
