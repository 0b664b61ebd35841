/**
 * `lbctl import ansible` (issue 16): an operator's Ansible inventory becomes an lbctl inventory with the same hosts,
 * the SSH settings Ansible would use for each, its groups, and a T1 skeleton that validates once the VRRP password
 * is set. What cannot be carried over is refused at its line.
 *
 * UPDATE_GOLDEN=1 node --import tsx --test test/unit/import-ansible.test.ts   rewrites test/golden/import-ansible/.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {importAnsible, type ImportResult} from '../../src/import/ansible/index.js'
import {formatProblem, InventoryError, loadInventoryText, problemText} from '../../src/inventory/index.js'
import {tableResolver} from '../../src/inventory/names.js'
import {lbctl} from '../helpers/lab.js'
import {ROOT} from './validate-helpers.js'

const FIXTURES = 'test/fixtures/ansible'
const GOLDEN = join(ROOT, 'test/golden/import-ansible')
const noDns = tableResolver({})

function run(file: string, text = readFileSync(join(ROOT, file), 'utf8'), opts: {directors?: string; realServers?: string} = {}): ImportResult {
  return importAnsible(text, file, {...opts, command: `lbctl import ansible ${file}`, resolver: noDns})
}

function imported(file: string, text?: string, opts?: {directors?: string; realServers?: string}): string {
  const r = run(file, text, opts)
  assert.ok(r.ok, r.ok ? '' : r.problems.map(problemText).join('\n'))
  return r.text
}

function refusals(file: string, text: string, opts?: {directors?: string; realServers?: string}): string {
  const r = run(file, text, opts)
  assert.ok(!r.ok, 'the import went through')
  return r.problems.map(problemText).join('\n')
}

describe('a realistic INI inventory: 2 load balancers, 4 web servers, group vars, a bastion', () => {
  const text = imported(`${FIXTURES}/prod.ini`)

  it('is written as test/golden/import-ansible/prod.yaml, every value commented with the Ansible variable behind it', () => {
    if (process.env.UPDATE_GOLDEN) {
      mkdirSync(GOLDEN, {recursive: true})
      writeFileSync(join(GOLDEN, 'prod.yaml'), text)
    }
    assert.equal(text, readFileSync(join(GOLDEN, 'prod.yaml'), 'utf8'))
  })

  it('validates once its secret is set', () => {
    const {cluster} = loadInventoryText(text, 'prod.yaml', {env: {LBCTL_VRRP_PASS: 'k33p#l1v'}, resolver: noDns})
    assert.deepEqual(cluster.directors.map((d) => [d.name, d.address, d.priority]), [['lb1', '10.0.0.11', 101], ['lb2', '10.0.0.12', 100]])
    assert.deepEqual(cluster.realServers.map((r) => r.name), ['web1', 'web2', 'web3', 'web4'])
    assert.deepEqual(cluster.groups, {prod: ['lb1', 'lb2', 'web1', 'web2', 'web3', 'web4']})
  })

  it('and not before: the missing password is the one problem', () => {
    assert.throws(
      () => loadInventoryText(text, 'prod.yaml', {env: {}, resolver: noDns}),
      (e: unknown) => e instanceof InventoryError && e.problems.length === 1 && /LBCTL_VRRP_PASS/.test(problemText(e.problems[0]!)),
    )
  })

  it('gives every host the SSH settings Ansible gives it: user, key per group, the bastion, web4\'s own port', () => {
    const {cluster} = loadInventoryText(text, 'prod.yaml', {env: {LBCTL_VRRP_PASS: 'x'}, resolver: noDns})
    const ssh = Object.fromEntries([...cluster.directors, ...cluster.realServers].map((h) => [h.name, h.ssh]))
    const bastion = 'admin@bastion.example.com'
    assert.deepEqual(ssh.lb1, {host: '10.0.0.11', user: 'deploy', port: undefined, identityFile: '~/.ssh/lb_ed25519', proxyJump: bastion, knownHosts: undefined, connectTimeoutSec: undefined, sudo: undefined})
    assert.deepEqual(ssh.web4, {host: '10.0.0.24', user: 'deploy', port: 2222, identityFile: '~/.ssh/web_ed25519', proxyJump: bastion, knownHosts: undefined, connectTimeoutSec: undefined, sudo: undefined})
    assert.deepEqual(cluster.realServers[0]!.vars, {ntp_server: '10.0.0.2', http_port: 8080, app_env: 'production'})
  })

  it('reads the same from the YAML format and from ansible-inventory --list JSON', () => {
    const withoutSources = (t: string) => t.split('\n').slice(1).map((l) => l.replace(/ +# (ansible_\w+|\w+), .*$/, '')).join('\n')
    for (const other of ['prod.yaml', 'prod.json']) assert.equal(withoutSources(imported(`${FIXTURES}/${other}`)), withoutSources(text), other)
  })
})

describe('what the import refuses, at its line', () => {
  it('passwords, host-key checking turned off, a connection that is not SSH, becoming another user', () => {
    const ini = `[lb]
lb1 ansible_host=10.0.0.11 ansible_password=hunter2
lb2 ansible_host=10.0.0.12 ansible_connection=winrm
[web]
web1 ansible_host=10.0.0.21
[all:vars]
ansible_ssh_common_args='-o StrictHostKeyChecking=no'
ansible_become_method=su
`
    assert.equal(
      refusals('hosts.ini', ini),
      `hosts.ini:2:28: ansible_password (host lb1 in [lb]): holds a password
    fix: lbctl never reads a password from an inventory: it authenticates with ssh-agent or a key file (identity_file)
hosts.ini:3:28: ansible_connection (host lb2 in [lb]): is "winrm": lbctl reaches hosts over SSH only
    fix: import the hosts lbctl reaches over SSH (leave this one out of the groups you import)
hosts.ini:7:1: ansible_ssh_common_args ([all:vars]): turns host-key checking off (StrictHostKeyChecking=no), which lbctl never does
    fix: remove it; \`lbctl deploy --accept-new\` records the keys of new hosts
hosts.ini:8:1: ansible_become_method ([all:vars]): is "su": lbctl becomes root with sudo -n only
    fix: allow the login user passwordless sudo, or log in as root`,
    )
  })

  it('a vault-encrypted value and a Jinja expression in YAML, only where an imported host uses them', () => {
    const yaml = `all:
  children:
    lb:
      hosts:
        lb1: {ansible_host: "{{ inventory_hostname }}.example.com"}
    web:
      hosts:
        web1:
          ansible_host: 10.0.0.21
          ansible_become_pass: !vault |
            $ANSIBLE_VAULT;1.1;AES256
            6237
    db:
      hosts:
        db1: {ansible_ssh_pass: !vault "$ANSIBLE_VAULT;1.1;AES256 6237"}
`
    assert.equal(
      refusals('hosts.yml', yaml),
      `hosts.yml:5:15: ansible_host (host lb1): is a Jinja expression ({{ inventory_hostname }}.example.com), which lbctl cannot evaluate
    fix: write the value it stands for
hosts.yml:10:11: ansible_become_pass (host web1): is encrypted with ansible-vault, which lbctl cannot read
    fix: write the plain value for the hosts lbctl imports, or leave the variable out`,
    )
  })

  it('never prints a password: the line under the problem is masked, and a variable named like a secret is left out', () => {
    const r = run('hosts.ini', '[lb]\nlb1 ansible_host=10.0.0.11 ansible_become_pass=S3cr3t-pw\n[web]\nweb1\n')
    assert.ok(!r.ok)
    assert.equal(formatProblem(r.problems[0]!).split('\n')[1], '  2 | lb1 ansible_host=10.0.0.11 ansible_become_pass=********')
    const text = imported('hosts.ini', '[lb]\nlb1 ansible_host=10.0.0.11\n[web]\nweb1\n[web:vars]\ndb_password=S3cr3t-pw\n')
    assert.doesNotMatch(text, /S3cr3t/)
    assert.match(text, /\n# Not carried over: db_password: named like a secret; lbctl reads secrets from \$\{env:NAME\} or \$\{file:PATH\}, never from the inventory itself\.\n/)
  })

  it('a host in both roles, and a group that is not there', () => {
    assert.equal(
      refusals('hosts.ini', '[lb]\nlb1\nboth1\n[web]\nweb1\nboth1\n'),
      `hosts.ini:3:1: both1: is in both lb and web: lbctl configures a host either as a director or as a real server
    fix: import it in one role: take it out of one group, or name other groups with --directors/--real-servers`,
    )
    assert.equal(
      refusals('hosts.ini', '[balancers]\nlb1\n[web]\nweb1\n'),
      `hosts.ini:0:0: --directors: has no group lbctl recognises as the directors (load balancers)
    fix: name the group of directors (load balancers) with --directors GROUP (groups: balancers, web)`,
    )
    assert.match(imported('hosts.ini', '[balancers]\nlb1\n[web]\nweb1\n', {directors: 'balancers'}), /\ndirectors:\n {2}lb1:\n/)
  })
})

describe('Ansible\'s own rules', () => {
  it('expands host ranges, keeps leading zeros, and names bare-address hosts after their group', () => {
    const text = imported('hosts.ini', '[lb]\n10.0.0.11\n10.0.0.12\n[web]\nweb[01:03].example.com\n')
    assert.match(text, /\n {2}lb-10\.0\.0\.11: {2}# Ansible's 10\.0\.0\.11\n {4}address: 10\.0\.0\.11 /)
    assert.match(text, /servers: \[web01\.example\.com, web02\.example\.com, web03\.example\.com\]/)
  })

  it('applies variables like Ansible: all, then parent before child group, then the host', () => {
    const ini = `[lb]
lb1 ansible_host=10.0.0.11 ansible_user=alice
lb2 ansible_host=10.0.0.12
[web]
web1 ansible_host=10.0.0.21
[dc1:children]
lb
web
[all:vars]
ansible_user=root
[dc1:vars]
ansible_user=ops
ansible_port=2200
[lb:vars]
ansible_port=22
`
    const {cluster} = loadInventoryText(imported('hosts.ini', ini), 'x.yaml', {env: {LBCTL_VRRP_PASS: 'x'}, resolver: noDns})
    const of = (n: string) => [...cluster.directors, ...cluster.realServers].find((h) => h.name === n)!.ssh
    assert.deepEqual([of('lb1').user, of('lb1').port], ['alice', 22])
    assert.deepEqual([of('lb2').user, of('lb2').port], ['ops', 22])
    assert.deepEqual([of('web1').user, of('web1').port], ['ops', 2200])
  })

  it('takes a bastion from ProxyJump, -J or an ssh -W ProxyCommand, and the known_hosts file', () => {
    for (const [args, jump] of [
      ['-o ProxyJump=jump@bastion:2222', 'jump@bastion:2222'],
      ['-J bastion.example.com', 'bastion.example.com'],
      ['-o ProxyCommand="ssh -W %h:%p -p 2200 -l ops bastion"', 'ops@bastion:2200'],
    ]) {
      const text = imported('hosts.ini', `[lb]\nlb1 ansible_host=10.0.0.11\n[web]\nweb1 ansible_host=10.0.0.21\n[all:vars]\nansible_ssh_common_args='${args} -o UserKnownHostsFile=~/.ssh/known_hosts_prod'\n`)
      assert.ok(text.includes(`      proxy_jump: ${jump}`), text)
      assert.ok(text.includes('      known_hosts: ~/.ssh/known_hosts_prod'), text)
    }
  })
})

describe('lbctl import ansible, the command', () => {
  it('writes the inventory, says what is left to do, and lbctl validate accepts it once the password is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-import-'))
    try {
      const out = join(dir, 'prod.yaml')
      const r = await lbctl(['import', 'ansible', `${FIXTURES}/prod.ini`, '--out', out], {LBCTL_VRRP_PASS: ''})
      assert.equal(r.code, 0, r.stderr)
      assert.equal(readFileSync(out, 'utf8'), readFileSync(join(GOLDEN, 'prod.yaml'), 'utf8'))
      assert.match(r.stderr, /^wrote .*prod\.yaml: 2 director\(s\) from \[lb\], 4 real server\(s\) from \[web\], 1 other group\(s\); 6 TODO line\(s\) to review in .*\nvalidate: ok once LBCTL_VRRP_PASS is set/)
      const v = await lbctl(['validate', out], {LBCTL_VRRP_PASS: 'k33p#l1v'})
      assert.equal(v.code, 0, v.stderr)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('refuses with exit 2 and writes nothing when something cannot be carried over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-import-'))
    try {
      const src = join(dir, 'hosts.ini')
      writeFileSync(src, '[lb]\nlb1 ansible_host=10.0.0.11 ansible_ssh_pass=hunter2\n[web]\nweb1\n')
      const r = await lbctl(['import', 'ansible', src, '--out', join(dir, 'out.yaml')])
      assert.equal(r.code, 2)
      assert.match(r.stderr, /hosts\.ini:2:28: ansible_ssh_pass \(host lb1 in \[lb\]\): holds a password\n/)
      assert.doesNotMatch(r.stderr + r.stdout, /hunter2/)
      assert.equal(existsSync(join(dir, 'out.yaml')), false)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
