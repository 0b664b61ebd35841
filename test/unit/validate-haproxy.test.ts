import assert from 'node:assert/strict'
import {test} from 'node:test'
import {problemsOf} from './validate-helpers.js'

// HAProxy: routing to backends, ACLs, modes, binds, servers and cookies.
// Each fixture under test/fixtures/broken/ is a small realistic inventory with one mistake (a few have several, to
// show that every problem is reported in one run). The expected text is exactly what `lbctl validate` prints.

test('default_backend naming a backend that does not exist', () => {
  assert.equal(
    problemsOf('18-unknown-default-backend.yaml'),
    `test/fixtures/broken/18-unknown-default-backend.yaml:11:41: haproxy.frontends.web.default_backend: backend "web_servers" is not defined
    fix: did you mean "web_server"? (defined: web_server)`,
  )
})

test('use_backends conditions naming ACLs the frontend does not define', () => {
  assert.equal(
    problemsOf('19-unknown-acl.yaml'),
    `test/fixtures/broken/19-unknown-acl.yaml:19:30: haproxy.frontends.web.use_backends[0].if: ACL "is-api" is not defined in this frontend
    fix: did you mean "is_api"? (defined: is_api, is_static)
test/fixtures/broken/19-unknown-acl.yaml:20:30: haproxy.frontends.web.use_backends[1].if: ACL "is_post" is not defined in this frontend
    fix: define it under haproxy.frontends.web.acls, e.g. is_post: "path_beg /api" (defined: is_api, is_static)`,
  )
})

test('a backend server that is not a real server', () => {
  assert.equal(
    problemsOf('21-unknown-real-server.yaml'),
    `test/fixtures/broken/21-unknown-real-server.yaml:14:27: haproxy.backends.web.servers[1]: real server "web3" is not defined
    fix: did you mean "web1"? (defined: web1, web2)`,
  )
})

test('two frontends binding the same port', () => {
  assert.equal(
    problemsOf('31-same-port.yaml'),
    `test/fixtures/broken/31-same-port.yaml:13:18: haproxy.frontends.api.bind[0]: :80 is also bound by haproxy.frontends.web: HAProxy binds with SO_REUSEPORT, so both would start and the kernel would split connections between them at random
    fix: give each frontend, listen and the stats page its own port (or address)`,
  )
})

test('http frontends cannot use tcp backends, and tcp sections ignore http-only features', () => {
  assert.equal(
    problemsOf('37-haproxy-modes.yaml'),
    `test/fixtures/broken/37-haproxy-modes.yaml:13:41: haproxy.frontends.web.default_backend: backend "db" is in tcp mode but frontend "web" is in http mode: HAProxy refuses to send an HTTP stream to a tcp backend
    fix: set mode: http on haproxy.backends.db, or mode: tcp on this frontend
test/fixtures/broken/37-haproxy-modes.yaml:14:37: haproxy.frontends.sql.https_redirect: needs http mode, but this section is in tcp mode: HAProxy ignores it (and only logs a warning)
    fix: remove it, or set mode: http
test/fixtures/broken/37-haproxy-modes.yaml:18:16: haproxy.backends.db.balance: uri hashes HTTP data, but this section is in tcp mode: HAProxy falls back to roundrobin
    fix: use balance source (or roundrobin/leastconn) in tcp mode, or set mode: http
test/fixtures/broken/37-haproxy-modes.yaml:19:7: haproxy.backends.db.cookie: needs http mode, but this section is in tcp mode: HAProxy ignores it (and only logs a warning)
    fix: remove it, or set mode: http`,
  )
})

test('colliding cookie values, and a server listed twice', () => {
  assert.equal(
    problemsOf('38-cookie-collision.yaml'),
    `test/fixtures/broken/38-cookie-collision.yaml:17:63: haproxy.backends.web.servers[1].cookie: cookie value "a" is also web1's: sticky clients of one would be sent to either
    fix: give every server of the backend its own cookie value
test/fixtures/broken/38-cookie-collision.yaml:17:73: haproxy.backends.web.servers[3]: web3 is listed twice: HAProxy refuses two servers with one name in a backend
    fix: remove one; for another port of the same host, define a real server of its own with the same address and that port (e.g. web3_2: {address: 10.0.0.23, port: 8081})`,
  )
})

test('routing to a listen section, and "and" in a condition', () => {
  assert.equal(
    problemsOf('41-acl-and-listen.yaml'),
    `test/fixtures/broken/41-acl-and-listen.yaml:14:32: haproxy.frontends.web.use_backends[0].backend: "api" is a listen section, not a backend: a listen takes its own traffic, so lbctl routes frontends only to backends
    fix: route to a backend (defined: web), or split the listen into a frontend and a backend
test/fixtures/broken/41-acl-and-listen.yaml:14:41: haproxy.frontends.web.use_backends[0].if: uses "and", which HAProxy does not have: it would look for an ACL named "and" and refuse to start
    fix: write the ACL names next to each other to require all of them (e.g. "is_api is_get"); use "||" for either`,
  )
})

