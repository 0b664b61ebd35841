import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseJumpSpec, resolveTarget } from '../../src/transport/ssh-config.js'

let home: string
let cfg: string

before(() => {
  home = mkdtempSync(join(tmpdir(), 'lbctl-sshcfg-'))
  mkdirSync(join(home, '.ssh'))
  writeFileSync(join(home, '.ssh', 'id_ed25519'), 'x')
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'x')
  cfg = join(home, 'config')
  writeFileSync(
    cfg,
    `
Host lb1
  HostName 10.0.0.11
  User admin
  Port 2222
  IdentityFile ~/.ssh/lb_key
  ProxyJump bastion
  UserKnownHostsFile ~/kh_a ~/kh_b
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
  ServerAliveInterval 5

Host lb2
  HostName %h.dc1.example

Host bastion
  HostName bastion.example
  User jump
  Port 2022

Host lb-alias
  HostKeyAlias lb-real
  IdentityAgent none

Host *
  User fallback
`,
  )
})

after(() => rmSync(home, { recursive: true, force: true }))

test('config fills in what the target leaves out', () => {
  const r = resolveTarget({ name: 'lb1', host: 'lb1' }, { sshConfigPath: cfg, home })
  assert.equal(r.hostname, '10.0.0.11')
  assert.equal(r.user, 'admin')
  assert.equal(r.port, 2222)
  assert.deepEqual(r.identityFiles, [join(home, '.ssh/lb_key')])
  assert.deepEqual(r.knownHostsFiles, [join(home, 'kh_a'), join(home, 'kh_b')])
  assert.equal(r.strictHostKeyChecking, 'accept-new')
  assert.equal(r.connectTimeoutSec, 7)
  assert.equal(r.serverAliveIntervalSec, 5)
  assert.equal(r.hostKeyName, '10.0.0.11')
  assert.equal(r.jumps.length, 1)
  const j = r.jumps[0]!
  assert.deepEqual([j.hostname, j.user, j.port], ['bastion.example', 'jump', 2022])
  assert.equal(j.jumps.length, 0)
})

test('explicit target fields win over config', () => {
  const r = resolveTarget(
    { name: 'lb1', host: 'lb1', user: 'root', port: 22, identityFile: '/k/id', proxyJump: 'none', knownHosts: '/k/kh', connectTimeoutSec: 3 },
    { sshConfigPath: cfg, home },
  )
  assert.equal(r.hostname, '10.0.0.11') // the alias still maps through HostName
  assert.equal(r.user, 'root')
  assert.equal(r.port, 22)
  assert.deepEqual(r.identityFiles, ['/k/id', join(home, '.ssh/lb_key')])
  assert.deepEqual(r.knownHostsFiles, ['/k/kh'])
  assert.equal(r.jumps.length, 0)
  assert.equal(r.connectTimeoutSec, 3)
})

test('the run-wide known_hosts path wins over everything, alone', () => {
  const r = resolveTarget({ name: 'lb1', host: 'lb1', knownHosts: '/k/kh' }, { sshConfigPath: cfg, home, knownHostsPath: '/run/kh' })
  assert.deepEqual(r.knownHostsFiles, ['/run/kh'])
  assert.deepEqual(r.jumps[0]!.knownHostsFiles, ['/run/kh'])
})

test('defaults: root@host:22 (unless Host * says otherwise), default keys that exist, default known_hosts', () => {
  const none = resolveTarget({ name: 'x', host: '192.0.2.1' }, { sshConfigPath: join(home, 'missing'), home })
  assert.deepEqual([none.hostname, none.user, none.port], ['192.0.2.1', 'root', 22])
  assert.deepEqual(none.identityFiles, [join(home, '.ssh/id_ed25519'), join(home, '.ssh/id_rsa')])
  assert.equal(none.knownHostsFiles[0], join(home, '.ssh/known_hosts'))
  assert.ok(none.knownHostsFiles.includes('/etc/ssh/ssh_known_hosts'))
  const star = resolveTarget({ name: 'x', host: '192.0.2.1' }, { sshConfigPath: cfg, home })
  assert.equal(star.user, 'fallback')
})

test('%h token, HostKeyAlias, IdentityAgent none', () => {
  assert.equal(resolveTarget({ name: 'lb2', host: 'lb2' }, { sshConfigPath: cfg, home }).hostname, 'lb2.dc1.example')
  const a = resolveTarget({ name: 'a', host: 'lb-alias' }, { sshConfigPath: cfg, home })
  assert.equal(a.hostKeyName, 'lb-real')
  assert.equal(a.identityAgent, 'none')
})

test('ProxyJump chain a,b with user@host:port; hops inherit the target key', () => {
  const r = resolveTarget(
    { name: 'lb9', host: '10.9.9.9', proxyJump: 'ops@gw1:2201,bastion', identityFile: '/k/id' },
    { sshConfigPath: cfg, home },
  )
  assert.equal(r.jumps.length, 2)
  assert.deepEqual([r.jumps[0]!.hostname, r.jumps[0]!.user, r.jumps[0]!.port], ['gw1', 'ops', 2201])
  assert.equal(r.jumps[0]!.identityFiles[0], '/k/id')
  assert.deepEqual([r.jumps[1]!.hostname, r.jumps[1]!.user, r.jumps[1]!.port], ['bastion.example', 'jump', 2022])
})

test('parseJumpSpec', () => {
  assert.deepEqual(parseJumpSpec('h'), { host: 'h' })
  assert.deepEqual(parseJumpSpec('u@h:2'), { user: 'u', host: 'h', port: 2 })
  assert.deepEqual(parseJumpSpec('ssh://u@h:2'), { user: 'u', host: 'h', port: 2 })
  assert.deepEqual(parseJumpSpec('[::1]:2200'), { host: '::1', port: 2200 })
  assert.deepEqual(parseJumpSpec('u@[fe80::1]'), { user: 'u', host: 'fe80::1' })
})

test('Include: relative to ~/.ssh, globs in lexical order, inside a Host block, and the block goes on after it', () => {
  mkdirSync(join(home, '.ssh', 'config.d'), { recursive: true })
  writeFileSync(join(home, '.ssh', 'config.d', '10-lb.conf'), 'Host lb-inc\n  HostName 10.0.0.51\n  User incl\n')
  writeFileSync(join(home, '.ssh', 'config.d', '20-web.conf'), 'Host web-inc\n  Port 2201\n')
  writeFileSync(join(home, '.ssh', 'config.d', 'README'), 'Host lb-inc\n  HostName 10.9.9.9\n')
  writeFileSync(join(home, '.ssh', 'jump-port'), '  Port 2022\n')
  const inc = join(home, 'config-with-include')
  writeFileSync(inc, 'Host gw\n  HostName gw.example\n  Include jump-port\n  User gwuser\nInclude config.d/*.conf ~/.ssh/missing-*.conf\nHost *\n  User fallback\n')
  const lb = resolveTarget({ name: 'lb', host: 'lb-inc' }, { sshConfigPath: inc, home })
  assert.deepEqual([lb.hostname, lb.user], ['10.0.0.51', 'incl'], 'Debian\'s "Include config.d/*.conf" is honoured; README does not match *.conf')
  assert.equal(resolveTarget({ name: 'w', host: 'web-inc' }, { sshConfigPath: inc, home }).port, 2201)
  const gw = resolveTarget({ name: 'gw', host: 'gw' }, { sshConfigPath: inc, home })
  assert.deepEqual([gw.hostname, gw.port, gw.user], ['gw.example', 2022, 'gwuser'], 'an Include inside Host gw adds to gw')
})
