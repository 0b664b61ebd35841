import assert from 'node:assert/strict'
import {test} from 'node:test'
import {problemsOf} from './validate-helpers.js'

// Problems the schema itself catches: YAML, unknown and missing fields, types, ranges, formats.
// Each fixture under test/fixtures/broken/ is a small realistic inventory with one mistake (a few have several, to
// show that every problem is reported in one run). The expected text is exactly what `lbctl validate` prints.

test('a YAML syntax error points at the broken line', () => {
  assert.equal(
    problemsOf('01-yaml-syntax.yaml'),
    `test/fixtures/broken/01-yaml-syntax.yaml:4:3: (syntax): Flow map in block collection must be sufficiently indented and end with a }
    fix: fix the YAML syntax at this position`,
  )
})

test('a key written twice is an error, not "the last one wins"', () => {
  assert.equal(
    problemsOf('02-duplicate-key.yaml'),
    `test/fixtures/broken/02-duplicate-key.yaml:6:5: (syntax): Map keys must be unique
    fix: remove one of the two keys`,
  )
})

test('an unknown field says which field was meant, at every level', () => {
  assert.equal(
    problemsOf('03-unknown-field.yaml'),
    `test/fixtures/broken/03-unknown-field.yaml:3:29: directors.lb1.prioirty: unknown field "prioirty"
    fix: did you mean "priority"?
test/fixtures/broken/03-unknown-field.yaml:9:5: vrrp_instances.VI_1.advert_interval: unknown field "advert_interval"
    fix: did you mean "advert_int"?`,
  )
})

test('a missing required field says what to add', () => {
  assert.equal(
    problemsOf('04-missing-field.yaml'),
    `test/fixtures/broken/04-missing-field.yaml:7:5: vrrp_instances.VI_1.virtual_router_id: is required
    fix: add virtual_router_id: 51`,
  )
})

test('a bind written as a number asks for text like ":80" or {port: 80}', () => {
  assert.equal(
    problemsOf('05-bind-number.yaml'),
    `test/fixtures/broken/05-bind-number.yaml:11:17: haproxy.frontends.web.bind: must be text, a mapping or a list, not the number 80
    fix: write it as text like ":80" or "10.0.0.100:80" (quoted, so YAML does not read a number), or as a mapping like {port: 80}`,
  )
})

test('a VRID outside 1..255 is out of range (keepalived refuses 0)', () => {
  assert.equal(
    problemsOf('06-vrid-out-of-range.yaml'),
    `test/fixtures/broken/06-vrid-out-of-range.yaml:6:29: vrrp_instances.VI_1.virtual_router_id: must be from 1 to 255 (keepalived refuses 0) (got 256)
    fix: use a whole number from 1 to 255
test/fixtures/broken/06-vrid-out-of-range.yaml:7:29: vrrp_instances.VI_2.virtual_router_id: must be from 1 to 255 (keepalived refuses 0) (got 0)
    fix: use a whole number from 1 to 255`,
  )
})

test('priority 255 is reserved for the address owner', () => {
  assert.equal(
    problemsOf('07-priority-255.yaml'),
    `test/fixtures/broken/07-priority-255.yaml:3:39: directors.lb1.priority: must be from 1 to 254 (0 means "stop being master", 255 is reserved for the address owner) (got 255)
    fix: use a whole number from 1 to 254`,
  )
})

test('an interface name with shell characters is refused', () => {
  assert.equal(
    problemsOf('22-bad-interface-name.yaml'),
    `test/fixtures/broken/22-bad-interface-name.yaml:3:40: directors.lb1.interface: is not a safe interface name (letters, digits, "_", "." or "-", at most 15 characters) (got "eth0;rm -rf /")
    fix: write the interface as \`ip link\` shows it, like eth0, ens192 or bond0.100`,
  )
})

test('a host name with a space is refused at the key', () => {
  assert.equal(
    problemsOf('23-name-with-space.yaml'),
    `test/fixtures/broken/23-name-with-space.yaml:6:3: real_servers."web 1": the name "web 1" must start with a letter and contain only letters, digits, "_", "." or "-" (at most 63 characters)
    fix: rename it, e.g. web_1 or lb-1: names become keepalived and HAProxy identifiers and file names`,
  )
})

test('weights out of range, on a real server and on a backend server', () => {
  assert.equal(
    problemsOf('26-weight-out-of-range.yaml'),
    `test/fixtures/broken/26-weight-out-of-range.yaml:6:38: real_servers.web1.weight: must be from 0 to 256 (got 300)
    fix: use a whole number from 0 to 256
test/fixtures/broken/26-weight-out-of-range.yaml:14:48: haproxy.backends.web.servers[1].weight: must be from 0 to 256 (HAProxy server weight) (got -1)
    fix: use a whole number from 0 to 256`,
  )
})

test('timeouts longer than HAProxy allows, or unparseable', () => {
  assert.equal(
    problemsOf('27-timeouts.yaml'),
    `test/fixtures/broken/27-timeouts.yaml:11:37: haproxy.defaults.timeouts.client: is longer than HAProxy's longest timer, 2147483647 ms (about 24.8 days) (got "25d")
    fix: use at most 24d (or 2147483647 ms)
test/fixtures/broken/27-timeouts.yaml:11:50: haproxy.defaults.timeouts.server: is not a duration (got "30 s")
    fix: write it like 500ms, 10s or 1m: a whole number and a unit us, ms, s, m, h or d, no space
test/fixtures/broken/27-timeouts.yaml:15:46: haproxy.backends.web.timeouts.queue: is longer than HAProxy's longest timer, 2147483647 ms (about 24.8 days) (got 3000000000)
    fix: use at most 24d (or 2147483647 ms)`,
  )
})

test('a misspelt balance algorithm gets a did-you-mean', () => {
  assert.equal(
    problemsOf('28-balance-misspelt.yaml'),
    `test/fixtures/broken/28-balance-misspelt.yaml:13:20: haproxy.backends.web.balance: is not a balance algorithm HAProxy knows (got "round-robin")
    fix: did you mean "roundrobin"? use one of roundrobin, static-rr, leastconn, first, source, random, uri, url_param NAME, hdr(NAME), rdp-cookie(NAME)`,
  )
})

test('typos inside a VIP mapping and a health_check variant get a did-you-mean', () => {
  assert.equal(
    problemsOf('40-union-typos.yaml'),
    `test/fixtures/broken/40-union-typos.yaml:10:13: vrrp_instances.VI_1.vips[0].adress: unknown field "adress"
    fix: did you mean "address"?
test/fixtures/broken/40-union-typos.yaml:16:36: virtual_servers.web.health_check.pth: unknown field "pth"
    fix: did you mean "path"?`,
  )
})

test('wrong-case enum, a VRRP version that does not exist, an unquoted numeric password (masked: it is a password)', () => {
  assert.equal(
    problemsOf('43-state-misspelt.yaml'),
    `test/fixtures/broken/43-state-misspelt.yaml:3:36: directors.lb1.state: must be one of MASTER, BACKUP (got "master")
    fix: did you mean MASTER?
test/fixtures/broken/43-state-misspelt.yaml:6:65: vrrp_instances.VI_1.version: must be 2 or 3 (got 4)
    fix: use 2 or 3
test/fixtures/broken/43-state-misspelt.yaml:6:79: vrrp_instances.VI_1.auth_pass: must be text, not the number ********
    fix: quote it, so YAML reads text: auth_pass: "********"`,
  )
})

