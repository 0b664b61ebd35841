/**
 * The CLI as a user meets it, without any host: the built bin/run.js, its output and its exit codes.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {lbctl} from '../helpers/lab.js'

const SECRETS = {LBCTL_VRRP_PASS: 'Vr7pQx2z', LBCTL_STATS_PASS: 'St4tsPw9'}
const EXAMPLES = ['t1-haproxy', 't2-lvs-dr', 't3-active-active', 't4-lvs-nat', 't5-haproxy-l7'].map((e) => `inventories/examples/${e}.yaml`)

describe('lbctl validate', () => {
  test('every example inventory and prod are clean (exit 0)', async () => {
    const r = await lbctl(['validate', 'prod', ...EXAMPLES], SECRETS)
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout.trim().split('\n').filter((l) => l.startsWith('ok ')).length, 6)
  })

  test('a broken inventory is explained line by line on stderr, exit 2', async () => {
    const r = await lbctl(['validate', 'test/fixtures/broken/03-unknown-field.yaml'])
    assert.equal(r.code, 2)
    assert.ok(
      r.stderr.startsWith(`test/fixtures/broken/03-unknown-field.yaml:3:29: directors.lb1.prioirty: unknown field "prioirty"
  3 |   lb1: {address: 10.0.0.11, prioirty: 101}
    |                             ^
    fix: did you mean "priority"?
`),
      r.stderr,
    )
    assert.match(r.stdout, /FAIL test\/fixtures\/broken\/03-unknown-field\.yaml: 2 problems/)
  })

  test('a "billion laughs" file is refused at its line with exit 2, not a crash', async () => {
    const r = await lbctl(['validate', 'test/fixtures/broken/60-billion-laughs.yaml'])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /^test\/fixtures\/broken\/60-billion-laughs\.yaml:8:8: \(aliases\): the aliases up to here expand the inventory to more than 100000 values/m)
  })

  test('--json gives the same problems as data', async () => {
    const r = await lbctl(['validate', 'test/fixtures/broken/03-unknown-field.yaml', '--json'])
    assert.equal(r.code, 2)
    const out = JSON.parse(r.stdout) as {ok: boolean; inventories: {problems: {line: number; path: string}[]}[]}
    assert.equal(out.ok, false)
    assert.deepEqual(out.inventories[0].problems.map((p) => [p.line, p.path]), [[3, 'directors.lb1.prioirty'], [9, 'vrrp_instances.VI_1.advert_interval']])
  })

  test('a missing secret is a validation error, not an empty password', async () => {
    const r = await lbctl(['validate', EXAMPLES[0]], {LBCTL_VRRP_PASS: '', LBCTL_STATS_PASS: 'x'})
    assert.equal(r.code, 2)
    assert.match(r.stderr, /auth_pass: secret \$\{env:LBCTL_VRRP_PASS\} is not set\n.*\n.*\^\n {4}fix: export LBCTL_VRRP_PASS=… before running lbctl, or use \$\{file:PATH\}/)
  })

  test('an unknown inventory name lists the ones there are', async () => {
    const r = await lbctl(['validate', 'prdo'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /inventories\/prdo\.yaml:0:0: \(file\): inventory not found\n {4}fix: use one of: .*prod/)
  })
})

describe('lbctl render', () => {
  test('printed output and --json never contain a secret; --show-secrets does', async () => {
    for (const args of [['render', 'prod'], ['render', 'prod', '--json'], ['render', EXAMPLES[4], '--json']]) {
      const r = await lbctl(args, SECRETS)
      assert.equal(r.code, 0, r.stderr)
      for (const s of Object.values(SECRETS)) assert.ok(!r.stdout.includes(s) && !r.stderr.includes(s), `${args.join(' ')} printed a secret`)
    }
    const masked = await lbctl(['render', 'prod', '--host', 'lb1'], SECRETS)
    assert.match(masked.stdout, /auth_pass "\*{8}"/)
    assert.match(masked.stdout, /stats auth ops:\*{8}/)
    const clear = await lbctl(['render', 'prod', '--host', 'lb1', '--show-secrets'], SECRETS)
    assert.match(clear.stdout, /auth_pass "Vr7pQx2z"/)
  })

  test('--out writes every host\'s files with the real values, secret-bearing ones mode 0600', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lbctl-render-'))
    const r = await lbctl(['render', 'prod', '--out', out], SECRETS)
    assert.equal(r.code, 0, r.stderr)
    const conf = join(out, 'lb1', 'etc/keepalived/keepalived.conf')
    assert.match(readFileSync(conf, 'utf8'), /auth_pass "Vr7pQx2z"/)
    assert.equal(statSync(conf).mode & 0o777, 0o600)
    assert.equal(statSync(join(out, 'lb1', 'etc/keepalived/lbctl-notify.sh')).mode & 0o777, 0o755)
    assert.ok(!r.stdout.includes('Vr7pQx2z'))
  })

  test('rendering twice gives the same bytes', async () => {
    const a = await lbctl(['render', EXAMPLES[1], '--show-secrets'], SECRETS)
    const b = await lbctl(['render', EXAMPLES[1], '--show-secrets'], SECRETS)
    assert.equal(a.stdout, b.stdout)
  })
})

describe('nothing is contacted when the inventory is bad', () => {
  test('deploy with an invalid inventory exits 2 and opens no connection', async () => {
    let connections = 0
    const server = createServer((s) => {
      connections++
      s.destroy()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    const port = (server.address() as {port: number}).port
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-bad-'))
    const file = join(dir, 'bad.yaml')
    writeFileSync(
      file,
      `name: bad\ngroups:\n  all:\n    ssh: {host: 127.0.0.1, port: ${port}}\ndirectors:\n  lb1: {address: 192.0.2.11}\n  lb2: {address: 192.0.2.12}\nvrrp_instances:\n  VI_1: {virtual_router_id: 256, vips: [192.0.2.100/24]}\n`,
    )
    try {
      for (const cmd of [['deploy', file], ['deploy', file, '--check'], ['rollback', file], ['releases', file]]) {
        const r = await lbctl(cmd)
        assert.equal(r.code, 2, `${cmd.join(' ')}: ${r.stderr}`)
        assert.match(r.stderr, /bad\.yaml:9:\d+: vrrp_instances\.VI_1\.virtual_router_id: must be from 1 to 255/)
        assert.match(r.stderr, /nothing was changed/)
      }
      assert.equal(connections, 0)
    } finally {
      server.close()
    }
  })
})

describe('the command line itself', () => {
  test('a mistyped command gets a suggestion', async () => {
    const r = await lbctl(['deplyo', 'prod'])
    assert.notEqual(r.code, 0)
    assert.match(r.stdout + r.stderr, /deploy/)
  })
  test('help lists the commands', async () => {
    const r = await lbctl(['--help'])
    assert.equal(r.code, 0)
    for (const c of ['validate', 'render', 'deploy', 'rollback', 'releases', 'run', 'lab', 'autocomplete']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`))
  })
})
