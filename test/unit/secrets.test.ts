/**
 * Issue 11, "secrets printed": every rendered spelling of a secret is masked, whole quoted tokens go, secrets that
 * cannot be written are refused at their field without their value, and validate masks what came from ${…}.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'
import {InventoryError, loadInventoryText, problemText, sortProblems} from '../../src/inventory/index.js'
import {renderHost, RenderError} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'
import {redact} from '../../src/render/secret-lines.js'
import {assertNoCanary} from '../helpers/canary.js'
import {SHOP, shopHaproxy} from '../helpers/shop.js'

const INVENTORY = `${SHOP}vrrp_instances:
  VI_1:
    virtual_router_id: 51
    vips: [10.0.0.100/24]
    auth_pass: \${env:VRRP_PASS}
${shopHaproxy()}  stats:
    auth: {user: admin, password: "\${env:STATS_PASS}"}
`

function problems(yaml: string, env: NodeJS.ProcessEnv, file = 'shop.yaml'): string {
  try {
    loadInventoryText(yaml, file, {env})
  } catch (e) {
    if (e instanceof InventoryError) return sortProblems(e.problems).map(problemText).join('\n')
    throw e
  }
  assert.fail('the inventory loaded')
}

test('a stats password with "$" and a space is masked whole in the rendered file, escaped form included', () => {
  const pass = "Ab$1 TailSecret'9"
  const cluster = loadInventoryText(INVENTORY, 'shop.yaml', {env: {VRRP_PASS: 'vr7pass', STATS_PASS: pass}}).cluster
  const cfg = renderHost(cluster, 'lb1').find((f) => f.path === PATHS.haproxyCfg)!
  assert.match(cfg.content, /\n {4}stats auth "admin:Ab\\\$1 TailSecret'9"\n/, 'HAProxy gets it in double quotes, "$" escaped')
  assert.equal(cfg.mode, 0o600, 'the escaped spelling still counts as holding the secret')
  const shown = redact(cfg.content, cluster.secrets)
  assert.match(shown, /\n {4}stats auth "admin:\*{8}"\n/)
  assertNoCanary('render', shown, [pass])
  assertNoCanary('render --json', redact(JSON.stringify({content: cfg.content}), cluster.secrets), [pass])
})

test('a line that holds a secret lbctl does not know (an old password on a host, in a diff) is masked to its end', () => {
  const old = [
    '    auth_pass "old pass"',
    "    stats auth 'admin:old pass here'",
    '    stats auth "admin:old\\$ \\"pass\\""',
    '    stats auth admin:oldpass # comment',
    '    user ops insecure-password "old \\"pw\\"" groups admins',
  ].join('\n')
  assert.equal(
    redact(old, []),
    [
      '    auth_pass "********"',
      "    stats auth 'admin:********'",
      '    stats auth "admin:********"',
      '    stats auth admin:********',
      '    user ops insecure-password ******** groups admins',
    ].join('\n'),
  )
})

test('a ${file:…} secret ending in two newlines is refused at its field, without its value', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-secret-'))
  writeFileSync(join(dir, 'stats.pass'), 'Tw0Lines\n\n')
  const yaml = INVENTORY.replace('${env:STATS_PASS}', `\${file:${join(dir, 'stats.pass')}}`)
  const text = problems(yaml, {VRRP_PASS: 'vr7pass'})
  rmSync(dir, {recursive: true, force: true})
  assert.equal(
    text,
    `shop.yaml:18:35: haproxy.stats.auth.password: the value of \${file:${join(dir, 'stats.pass')}} contains a line break: a secret must be one line of printable text (it is written inside one directive, which a line break would end)
    fix: keep the secret on the file's first line, followed by at most one newline`,
  )
  assertNoCanary('validate', text, ['Tw0Lines'])
})

test('an auth_pass from the environment with a line break or a double quote is refused at its field, without its value', () => {
  assert.equal(
    problems(INVENTORY, {VRRP_PASS: 'ab\ncd', STATS_PASS: 'x y z w'}),
    `shop.yaml:11:16: vrrp_instances.VI_1.auth_pass: the value of \${env:VRRP_PASS} contains a line break: a secret must be one line of printable text (it is written inside one directive, which a line break would end)
    fix: set VRRP_PASS without it`,
  )
  const quote = problems(INVENTORY, {VRRP_PASS: 'ab"cd', STATS_PASS: 'x y z w'})
  assert.equal(
    quote,
    `shop.yaml:11:16: vrrp_instances.VI_1.auth_pass: contains a double quote ("), which keepalived's config cannot hold: it has no escape for one inside a quoted string (got "\${env:VRRP_PASS}")
    fix: choose a password without a double quote`,
  )
  assertNoCanary('validate', quote, ['ab"cd'])
})

test('a render error carries no secret, whatever went wrong', () => {
  const cluster = loadInventoryText(INVENTORY, 'shop.yaml', {env: {VRRP_PASS: 'vr7pass', STATS_PASS: 'St4ts pw'}}).cluster
  // Past validate, by hand: a value no quoting can write.
  const broken = {...cluster, instances: cluster.instances.map((i) => ({...i, authPass: 'vr7"pass'})), secrets: [...cluster.secrets, 'vr7"pass']}
  assert.throws(() => renderHost(broken, 'lb1'), (e: unknown) => {
    assert.ok(e instanceof RenderError)
    assert.equal(e.message, 'lb1: vrrp_instances.VI_1.auth_pass contains a double quote, which keepalived\'s config syntax cannot hold; use single quotes inside the command')
    assertNoCanary('RenderError', `${e.message}\n${e.stack}`, ['vr7"pass'])
    return true
  })
})
