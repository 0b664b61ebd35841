/**
 * deploy, rollback and run as a user meets them without a lab: the built CLI, what it refuses before any TCP
 * connection (a listener counts them), the exit code of each failure class it can reach without a host, and the
 * first commands of the README working without exported secrets.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {ROOT, lbctl} from '../helpers/lab.js'

const dir = mkdtempSync(join(tmpdir(), 'lbctl-cli-runs-'))
const NO_SECRETS = {LBCTL_VRRP_PASS: '', LBCTL_STATS_PASS: ''}

/** A valid two-director cluster whose every host is 127.0.0.1:port. */
function inventory(name: string, port: number): string {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(
    file,
    `name: ${name}
groups:
  all:
    ssh: {host: 127.0.0.1, port: ${port}}
directors:
  lb1: {address: 192.0.2.11, priority: 101}
  lb2: {address: 192.0.2.12, priority: 100}
real_servers:
  web1: {address: 192.0.2.21, port: 80}
vrrp_instances:
  VI_1: {virtual_router_id: 51, vips: [192.0.2.100/24], auth_pass: Tk7pWq2z}
haproxy:
  frontends:
    web: {bind: ":80", default_backend: web}
  backends:
    web: {servers: [web1]}
`,
  )
  return file
}

describe('nothing is contacted when the request is wrong', () => {
  let server: Server
  let connections = 0
  let good: string
  before(async () => {
    server = createServer((s) => {
      connections++
      s.destroy()
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    good = inventory('listened', (server.address() as {port: number}).port)
  })
  after(() => server.close())

  test('a playbook with a mistake in its second play exits 2 with every problem at its line, and opens no connection', async () => {
    const playbook = join(dir, 'two-plays.yaml')
    writeFileSync(
      playbook,
      `name: two-plays
plays:
  - name: first
    hosts: directors
    tasks:
      - {name: harmless, module: command, args: {cmd: "true"}}
  - name: second
    hosts: webservers
    tasks:
      - {name: typo, module: comand, args: {cmd: uptime}}
      - {name: bad args, module: command, args: {command: uptime}}
      - {name: bad when, module: command, args: {cmd: uptime}, when: "haproxy =="}
`,
    )
    const r = await lbctl(['run', playbook, good])
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /two-plays\.yaml:8:12: plays\[1\]\.hosts: "webservers" is neither a group nor a host of inventory listened/)
    assert.match(r.stderr, /two-plays\.yaml:10:30: plays\[1\]\.tasks\[0\]\.module: unknown module "comand"\n.*\n.*\^\n {4}fix: did you mean "command"\?/)
    assert.match(r.stderr, /two-plays\.yaml:11:49: plays\[1\]\.tasks\[1\]\.args\.cmd: command: is required/)
    assert.match(r.stderr, /two-plays\.yaml:11:50: plays\[1\]\.tasks\[1\]\.args\.command: command: unknown field "command"\n.*\n.*\^\n {4}fix: allowed here: cmd, creates/)
    assert.match(r.stderr, /two-plays\.yaml:12:70: plays\[1\]\.tasks\[2\]\.when: unexpected end of "haproxy =="/)
    assert.match(r.stderr, /5 problem\(s\) found; nothing was changed\./)
    const v = await lbctl(['validate', '--playbook', playbook, good])
    assert.equal(v.code, 2)
    assert.match(v.stdout, /FAIL .*two-plays\.yaml: 5 problems/)
    assert.equal(connections, 0)
  })

  test('a wrong --limit, --start-at-task or --to exits 2 before any connection; --syntax-check, --list-hosts and --list-tasks contact nothing', async () => {
    for (const [args, why] of [
      [['deploy', good, '--limit', 'lb9'], /--limit: "lb9" is neither a host nor a group of inventory listened; nothing was changed/],
      [['run', 'health', good, '--limit', 'web1'], /--limit: "web1" matches no host that .*health\.yaml runs on \(lb1, lb2\)/],
      [['deploy', good, '--start-at-task', 'no such task'], /--start-at-task: no task named "no such task"/],
      [['rollback', good, '--to', 'r1 x'], /--to: "r1 x" is not a release ID/],
      [['deploy', good, '--check', '--detailed-exitcode', '--limit', 'lb9'], /--limit/],
    ] as const) {
      const r = await lbctl([...args])
      assert.equal(r.code, args.includes('--detailed-exitcode') ? 1 : 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, why)
    }
    const syntax = await lbctl(['run', 'deploy', good, '--syntax-check'])
    assert.equal(syntax.code, 0, syntax.stderr)
    assert.match(syntax.stdout, /^ok {3}.*deploy\.yaml: 4 play\(s\), \d+ task\(s\); no host contacted$/m)
    const hosts = await lbctl(['deploy', good, '--list-hosts', '--limit', 'lb2'])
    assert.match(hosts.stdout, /play #2 \(backup directors\): 1 host\(s\), only while a VIP is served\n {4}lb2\n\n {2}play #3 \(directors together \(new cluster\)\): 1 host\(s\), only on a new cluster \(no VIP served\)\n {4}lb2\n\n {2}play #4 \(master directors\): 0 host\(s\)/)
    const tasks = await lbctl(['rollback', good, '--list-tasks'])
    assert.match(tasks.stdout, /play #2 \(backup directors\): hosts backup_directors, serial 1\n {4}activate release {2}\[activate_release\] {2}notify: auto\n {4}handler sysctl: apply sysctl drop-ins {2}\[service\]/)
    assert.equal(connections, 0)
  })
})

describe('exit codes a host that does not answer gives, for every command that connects', () => {
  let port: number
  let file: string
  before(async () => {
    // A port that was just free: connecting to it is refused at once.
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))
    port = (s.address() as {port: number}).port
    await new Promise((r) => s.close(r))
    file = inventory('closed', port)
  })

  test('unreachable: 4 from deploy, rollback, run, releases, failover-test, drain and undrain, nothing changed', async () => {
    for (const args of [['deploy', file], ['deploy', file, '--check'], ['rollback', file], ['run', 'health', file], ['releases', file], ['failover-test', file, '--yes'], ['drain', file, 'web1', '--wait', '0'], ['undrain', file, 'web1']]) {
      const r = await lbctl(args)
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout + r.stderr, /cannot reach \[127\.0\.0\.1\]:\d+: connection refused/)
    }
  })

  test('a deploy --check --detailed-exitcode that cannot reach a host is an error: 1', async () => {
    assert.equal((await lbctl(['deploy', file, '--check', '--detailed-exitcode'])).code, 1)
  })

  test('--json says the same, in one naming style, with a schema_version', async () => {
    const r = await lbctl(['deploy', file, '--json'])
    const json = JSON.parse(r.stdout) as {schema_version: number; outcome: string; hosts: Record<string, {unreachable: boolean; error: string}>}
    assert.equal(json.schema_version, 1)
    assert.equal(json.outcome, 'unreachable')
    assert.deepEqual(Object.values(json.hosts).map((h) => h.unreachable), [true, true])
    assert.doesNotMatch(r.stdout, /"[a-z]+[A-Z][A-Za-z]*":/, 'no camelCase key')
    const list = JSON.parse((await lbctl(['failover-test', file, '--list', '--json'])).stdout) as {schema_version: number; scenarios: {name: string}[]}
    assert.equal(list.schema_version, 1)
    assert.ok(list.scenarios.some((s) => s.name === 'haproxy-kill'))
  })
})

describe('first contact', () => {
  test('the README\'s first commands work without exported passwords: validate --no-secrets, render --no-secrets', async () => {
    const plain = await lbctl(['validate', 'prod'], NO_SECRETS)
    assert.equal(plain.code, 2)
    assert.match(plain.stderr, /fix: export LBCTL_VRRP_PASS=… before running lbctl, or use \$\{file:PATH\}/)
    const lint = await lbctl(['validate', 'prod', '--no-secrets'], NO_SECRETS)
    assert.equal(lint.code, 0, lint.stderr)
    assert.match(lint.stdout, /^ok {3}prod: cluster prod: 2 director\(s\)/m)
    const render = await lbctl(['render', 'prod', '--host', 'lb1', '--no-secrets'], NO_SECRETS)
    assert.equal(render.code, 0, render.stderr)
    assert.match(render.stdout, /auth_pass "\*{8}"/)
    const pb = await lbctl(['validate', '--playbook', 'health', 'prod', '--no-secrets'], NO_SECRETS)
    assert.equal(pb.code, 0, pb.stderr)
    assert.match(pb.stdout, /^ok {3}health: playbook health: 1 play\(s\), 3 task\(s\)$/m)
  })

  test('run --help names playbooks that exist, and says a playbook is a mapping', async () => {
    const r = await lbctl(['run', '--help'])
    assert.match(r.stdout, /A playbook is a YAML mapping/)
    const named = [...r.stdout.slice(r.stdout.indexOf('EXAMPLES')).matchAll(/\$ lbctl run (\S+) /g)].map((m) => m[1])
    assert.ok(named.length >= 2)
    for (const p of named) assert.ok(existsSync(join(ROOT, 'playbooks', `${p}.yaml`)), `run --help names ${p}, which is not in playbooks/`)
  })

  test('a short secret is masked where it stands, not inside words; validate warns at its line', async () => {
    // "exam" is inside noc@example.com and oncall@example.com in prod's notification settings.
    const env = {LBCTL_VRRP_PASS: 'exam', LBCTL_STATS_PASS: 'St4tsPw9'}
    const r = await lbctl(['render', 'prod', '--host', 'lb1'], env)
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /noc@example\.com/)
    assert.match(r.stdout, /auth_pass "\*{8}"/)
    assert.doesNotMatch(r.stdout, /"exam"|\bexam\b/)
    const v = await lbctl(['validate', 'prod'], env)
    assert.equal(v.code, 0, v.stderr)
    assert.match(v.stderr, /warning: inventories\/prod\.yaml:\d+:\d+: vrrp_instances\.VI_PUBLIC\.auth_pass: this secret is shorter than 8 characters/)
    assert.doesNotMatch(v.stderr, /\bexam\b/)
  })

  test('render --out gives each file the mode of its kind: passwords root-only, sysctls readable, scripts executable', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lbctl-modes-'))
    // A secret that is also a sysctl value: the drop-in still is not a secret file.
    const r = await lbctl(['render', 'prod', '--out', out], {LBCTL_VRRP_PASS: '4096', LBCTL_STATS_PASS: 'St4tsPw9'})
    assert.equal(r.code, 0, r.stderr)
    const mode = (p: string) => (statSync(join(out, 'lb1', p)).mode & 0o777).toString(8)
    assert.deepEqual([mode('etc/keepalived/keepalived.conf'), mode('etc/haproxy/haproxy.cfg'), mode('etc/sysctl.d/90-lbctl.conf'), mode('etc/keepalived/lbctl-notify.sh')], ['600', '600', '644', '755'])
    assert.match(readFileSync(join(out, 'lb1', 'etc/sysctl.d/90-lbctl.conf'), 'utf8'), /= 4096/)
  })
})
