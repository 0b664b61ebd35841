import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {InventoryError, loadInventory, loadInventoryText} from '../../src/inventory/index.js'
import {fixtureResolver} from '../helpers/names.js'
import {ROOT, problemsOf} from './validate-helpers.js'

// `lbctl validate` semantics: an inventory either loads into a cluster (maybe with warnings) or throws one
// InventoryError listing every problem, sorted by position, each with file:line:column, field path and a fix.

test('the minimal T1 inventory loads with no problems and no warnings', () => {
  const {cluster, warnings} = loadInventory('test/fixtures/valid/t1-minimal.yaml', {cwd: ROOT, env: {}})
  assert.deepEqual(warnings, [])
  assert.equal(cluster.instances[0].master, 'lb1')
  assert.deepEqual(
    cluster.instances[0].members.map((m) => `${m.director} ${m.priority} ${m.state}`),
    ['lb1 101 MASTER', 'lb2 100 BACKUP'],
  )
})

test('every valid fixture (T1 to T5, the seeds\' own setups) loads without a problem', () => {
  const dir = join(ROOT, 'test/fixtures/valid')
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    assert.doesNotThrow(() => loadInventory(`test/fixtures/valid/${f}`, {cwd: ROOT, env: {LBCTL_TEST_STATS_PASS: 'stats-pw', LBCTL_TEST_VRRP_PASS: 'vrrp-pw'}, resolver: fixtureResolver}), f)
  }
})

test('a missing ${env:…} secret names the variable and how to set it', () => {
  assert.equal(
    problemsOf('24-missing-env-secret.yaml'),
    `test/fixtures/broken/24-missing-env-secret.yaml:9:16: vrrp_instances.VI_1.auth_pass: secret \${env:LBCTL_TEST_VRRP_PASS} is not set
    fix: export LBCTL_TEST_VRRP_PASS=… before running lbctl, or use \${file:PATH}`,
  )
})

test('the same inventory loads once the variable is set', () => {
  const {cluster} = loadInventory('test/fixtures/broken/24-missing-env-secret.yaml', {cwd: ROOT, env: {LBCTL_TEST_VRRP_PASS: 's3cret'}})
  assert.equal(cluster.instances[0].authPass, 's3cret')
})

test('a secret from the environment that breaks a rule is reported without showing it', () => {
  const messages = problemsOf('24-missing-env-secret.yaml', {LBCTL_TEST_VRRP_PASS: 'hunter2-longer'})
  assert.equal(
    messages,
    `test/fixtures/broken/24-missing-env-secret.yaml:9:16: vrrp_instances.VI_1.auth_pass: is 14 characters long, but VRRP carries 8: keepalived keeps only the first 8 ("Truncating auth_pass to 8 characters"), so any password sharing them would be accepted
    fix: use a password of at most 8 characters`,
  )
  assert.ok(!messages.includes('hunter2'))
})

test('a missing ${file:…} secret names the file', () => {
  assert.equal(
    problemsOf('25-missing-file-secret.yaml'),
    `test/fixtures/broken/25-missing-file-secret.yaml:15:35: haproxy.stats.auth.password: secret file /nonexistent/lbctl/stats.pass cannot be read (ENOENT)
    fix: create the file (mode 0600) or fix the path`,
  )
})

test('one run reports schema, reference and cluster problems together', () => {
  assert.equal(
    problemsOf('34-many-problems.yaml'),
    `test/fixtures/broken/34-many-problems.yaml:4:39: directors.lb1.priority: lb1 is meant to be MASTER of VI_1 (vrrp_instances.VI_1.master), but lb2 outranks it: priority 101 vs 100, 1 higher, and VRRP elects the highest priority
    fix: give lb1 a priority above 101 (directors.lb1.priority: 102), or lower lb2's priority below 100 (directors.lb2.priority)
test/fixtures/broken/34-many-problems.yaml:7:30: real_servers.web1.prot: unknown field "prot"
    fix: did you mean "port"?
test/fixtures/broken/34-many-problems.yaml:14:16: vrrp_instances.VI_1.auth_pass: is 12 characters long, but VRRP carries 8: keepalived keeps only the first 8 ("Truncating auth_pass to 8 characters"), so any password sharing them would be accepted
    fix: use a password of at most 8 characters
test/fixtures/broken/34-many-problems.yaml:16:24: vrrp_instances.VI_2.virtual_router_id: 51 is also the VRID of vrrp_instances.VI_1, and both run on lb1's eth0: VRRP tells routers on a segment apart only by VRID, so each would take the other's adverts as its own
    fix: use a VRID no other instance on that segment uses, e.g. 52
test/fixtures/broken/34-many-problems.yaml:17:12: vrrp_instances.VI_2.vips[0]: 10.0.0.100 is also a VIP of vrrp_instances.VI_1 (vrrp_instances.VI_1.vips[0]): two virtual routers would fight over the address, each MASTER sending gratuitous ARPs for it
    fix: keep each VIP in exactly one instance
test/fixtures/broken/34-many-problems.yaml:20:41: haproxy.frontends.web.default_backend: backend "webs" is not defined
    fix: did you mean "web"? (defined: web)`,
  )
})

test('a schema error in a director still stops before the cluster checks (they would be misled)', () => {
  const text = readFileSync(join(ROOT, 'test/fixtures/broken/03-unknown-field.yaml'), 'utf8').replace('vips: [10.0.0.100/24]', 'vips: [10.0.0.11/24]')
  const error = catchError(() => loadInventoryText(text, 'x.yaml', {env: {}}))
  assert.deepEqual(
    error.problems.map((p) => p.path),
    ['directors.lb1.prioirty', 'vrrp_instances.VI_1.advert_interval'],
  )
})

test('the error message counts the problems and lists them in file order', () => {
  const error = catchError(() => loadInventory('test/fixtures/broken/16-dr-port-remap.yaml', {cwd: ROOT, env: {}}))
  assert.match(error.message, /^2 problems in the inventory:\ntest\/fixtures\/broken\/16-dr-port-remap\.yaml:14:20: /)
})

test('every broken fixture has a test that asserts its exact messages', () => {
  const tests = readdirSync(join(ROOT, 'test/unit'))
    .filter((f) => /^validate.*\.test\.ts$/.test(f))
    .map((f) => readFileSync(join(ROOT, 'test/unit', f), 'utf8'))
    .join('\n')
  const untested = readdirSync(join(ROOT, 'test/fixtures/broken')).filter((f) => !tests.includes(`problemsOf('${f}'`))
  assert.deepEqual(untested, [])
})

function catchError(fn: () => unknown): InventoryError {
  try {
    fn()
  } catch (e) {
    if (e instanceof InventoryError) return e
    throw e
  }
  assert.fail('expected an InventoryError')
}
