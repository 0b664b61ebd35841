/**
 * The README's exit-code table, command by command: every command that takes an inventory, run as a user runs it
 * (the built CLI), against each failure class it can meet before it changes anything — invalid inventory, bad
 * arguments, a host that does not answer, a host key that is unknown or changed, an authentication the host refuses —
 * on a real sshd (127.0.0.1, its own host key), with no ssh-agent and an empty ~/.ssh. `status` answers as a
 * monitoring check instead (README, Day 2): 1 DEGRADED for a director it cannot read, 3 UNKNOWN for an invalid
 * inventory or arguments.
 */
import assert from 'node:assert/strict'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {lbctl} from '../helpers/lab.js'
import {canRunSshd, freePort, keygen, startSshd, tempDir, type Sshd} from '../helpers/sshd.js'

type Class = 'invalid inventory' | 'bad argument' | 'unreachable' | 'unknown host key' | 'changed host key' | 'authentication refused'
const CLASSES: Class[] = ['invalid inventory', 'bad argument', 'unreachable', 'unknown host key', 'changed host key', 'authentication refused']

/** Command → its arguments (INV is the inventory) and the exit code of each class, in CLASSES' order. */
const TABLE: [string, string[], number[]][] = [
  ['validate', ['validate', 'INV'], [2, 2, 0, 0, 0, 0]],
  ['render', ['render', 'INV'], [2, 2, 0, 0, 0, 0]],
  ['deploy', ['deploy', 'INV'], [2, 2, 4, 3, 3, 3]],
  ['deploy --check', ['deploy', 'INV', '--check'], [2, 2, 4, 3, 3, 3]],
  // 2 means "changes pending" there: every error is 1, a mistyped flag too (Terraform's -detailed-exitcode).
  ['deploy --check --detailed-exitcode', ['deploy', 'INV', '--check', '--detailed-exitcode'], [1, 1, 1, 1, 1, 1]],
  ['rollback --check --detailed-exitcode', ['rollback', 'INV', '--check', '--detailed-exitcode'], [1, 1, 1, 1, 1, 1]],
  ['rollback', ['rollback', 'INV'], [2, 2, 4, 3, 3, 3]],
  ['run', ['run', 'health', 'INV'], [2, 2, 4, 3, 3, 3]],
  ['releases', ['releases', 'INV'], [2, 2, 4, 3, 3, 3]],
  ['failover-test', ['failover-test', 'INV', '--yes'], [2, 2, 4, 3, 3, 3]],
  ['drain', ['drain', 'INV', 'web1', '--wait', '0'], [2, 2, 4, 3, 3, 3]],
  ['undrain', ['undrain', 'INV', 'web1'], [2, 2, 4, 3, 3, 3]],
  // A monitoring check: a director it cannot read is DEGRADED, an invalid inventory or argument UNKNOWN.
  ['status', ['status', 'INV'], [3, 3, 1, 1, 1, 1]],
  ['status --json', ['status', 'INV', '--json'], [3, 3, 1, 1, 1, 1]],
]

describe('every command × failure class → the exit code the README says', {skip: canRunSshd()}, () => {
  let dir: string
  let sshd: Sshd
  const inventories = {} as Record<Class, string>
  // No agent, no ~/.ssh/config, no known_hosts but the inventory's.
  const env = () => ({HOME: dir, SSH_AUTH_SOCK: ''})

  function inventory(name: string, port: number, ssh: string): string {
    const file = join(dir, `${name}.yaml`)
    writeFileSync(
      file,
      `name: ${name}
groups:
  all:
    ssh: {host: 127.0.0.1, port: ${port}, ${ssh}}
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

  before(async () => {
    dir = tempDir('lbctl-exit-codes-')
    const client = keygen(join(dir, 'id_client'))
    const stranger = keygen(join(dir, 'id_stranger'))
    sshd = await startSshd({authorizedKeys: [client.pub]})
    const otherHost = keygen(join(dir, 'other_host_key'))
    const knownHosts = (name: string, line: string) => {
      writeFileSync(join(dir, name), line ? `${line}\n` : '')
      return join(dir, name)
    }
    const good = knownHosts('known_hosts', sshd.knownHostsLine().replace(/^\S+/, `[127.0.0.1]:${sshd.port}`))
    const empty = knownHosts('known_hosts.empty', '')
    const changed = knownHosts('known_hosts.changed', `[127.0.0.1]:${sshd.port} ${otherHost.pub}`)
    const closed = await freePort()
    inventories['invalid inventory'] = join(dir, 'invalid.yaml')
    writeFileSync(inventories['invalid inventory'], 'name: invalid\ndirectors:\n  lb1: {address: 192.0.2.11, priority: 300}\n')
    inventories['bad argument'] = inventory('args', sshd.port, `identity_file: ${client.path}, known_hosts: ${good}`)
    inventories.unreachable = inventory('closed', closed, `identity_file: ${client.path}, known_hosts: ${good}`)
    inventories['unknown host key'] = inventory('unknown', sshd.port, `identity_file: ${client.path}, known_hosts: ${empty}`)
    inventories['changed host key'] = inventory('changed', sshd.port, `identity_file: ${client.path}, known_hosts: ${changed}`)
    inventories['authentication refused'] = inventory('auth', sshd.port, `identity_file: ${stranger.path}, known_hosts: ${good}`)
  })
  after(async () => {
    await sshd?.stop()
  })

  for (const [name, args, codes] of TABLE) {
    test(`${name}: ${CLASSES.map((c, i) => `${c} ${codes[i]}`).join(', ')}`, async () => {
      const got: string[] = []
      for (const [i, c] of CLASSES.entries()) {
        const argv = args.map((a) => (a === 'INV' ? inventories[c] : a))
        const r = await lbctl(c === 'bad argument' ? [...argv, '--no-such-flag'] : argv, env())
        if (r.code !== codes[i]) got.push(`${c}: exit ${r.code}, want ${codes[i]}\n${r.stdout}${r.stderr}`)
        // Whatever the class, the reason is said, once, and no secret with it.
        if (codes[i] !== 0) assert.ok((r.stdout + r.stderr).trim().length > 0, `${name} / ${c}: exit ${r.code} with nothing said`)
        assert.ok(!(r.stdout + r.stderr).includes('Tk7pWq2z'), `${name} / ${c}: the VRRP password was printed`)
      }
      assert.deepEqual(got, [])
    })
  }

  test('lab: an impossible request exits 2 and creates nothing; a lab that is not up 1; a mistyped command 127 with a did-you-mean', async () => {
    for (const args of [
      ['lab', 'up', '--name', 'itexit', '--subnet', '10.0.0.0/33'],
      ['lab', 'up', '--name', 'itexit', '--subnet', '198.18.72.1/24'],
      ['lab', 'up', '--name', 'Bad_Name'],
      ['lab', 'up', '--name', 'itexit', '--subnet', '198.18.72.0/24', '--real-servers', '999'],
      ['lab', 'down', '--name', 'Bad_Name'],
    ]) {
      const r = await lbctl(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.match(r.stderr, /Error: /)
    }
    assert.ok(!existsSync('/var/lib/lbctl-lab/itexit'), 'a refused lab up left a state directory')
    const notUp = await lbctl(['lab', 'ssh', 'web1', '--name', 'itexitnone'])
    assert.equal(notUp.code, 1, notUp.stderr)
    assert.match(notUp.stderr, /lab "itexitnone" is not up/)
    const typo = await lbctl(['deplyo', 'prod'])
    assert.equal(typo.code, 127)
    assert.match(typo.stderr, /"deplyo prod" is not a lbctl command\. Did you mean "lbctl deploy"\?/)
  })

  test('connection failures are named by class: unknown key, changed key, authentication, unreachable', async () => {
    const say = async (c: Class) => {
      const r = await lbctl(['deploy', inventories[c]], env())
      return r.stdout + r.stderr
    }
    assert.match(await say('unknown host key'), /not known|unknown/i)
    assert.match(await say('changed host key'), /changed|does not match|mismatch/i)
    assert.match(await say('authentication refused'), /authenticat/i)
    assert.match(await say('unreachable'), /cannot reach \[127\.0\.0\.1\]:\d+: connection refused/)
    // The recap says refused, not unreachable, for a host that answered and was refused; each host's reason once.
    for (const c of ['unknown host key', 'changed host key', 'authentication refused'] as const) {
      const out = await say(c)
      for (const h of ['lb1', 'lb2']) {
        assert.match(out, new RegExp(`^${h} +: ok=0 +changed=0 +failed=0 +unreachable=0 +skipped=0 +refused: ${h}: `, 'm'), `${c}:\n${out}`)
        assert.equal(out.split(`${h}: `).length - 1, 1, `${c}: ${h}'s reason printed more than once:\n${out}`)
      }
      assert.match(out, /^deploy: REFUSED — nothing was changed/m)
    }
    const lost = await say('unreachable')
    assert.match(lost, /^lb1 +: ok=0 +changed=0 +failed=0 +unreachable=1 +skipped=0 +unreachable: lb1: cannot reach/m)
    assert.match(lost, /^deploy: UNREACHABLE — nothing was changed/m)
  })
})
