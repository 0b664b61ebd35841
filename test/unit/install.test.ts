/**
 * The all-or-nothing install script and the tar it reads, run for real on this machine (GNU tar, keepalived -t) in
 * a scratch directory standing in for a host's /etc and /var/lib/lbctl.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {INSTALL} from '../../src/modules/install.js'
import {tarball} from '../../src/modules/tar.js'
import {freshDir} from '../helpers/lab.js'

interface File {
  path: string
  content: string
  mode: number
  validate: string
}

function install(root: string, files: File[], services: string[]) {
  const state = join(root, 'state')
  const tar = tarball(files.map((f) => ({name: `${f.path.slice(1)}.lbctl-new`, content: f.content, mode: f.mode})))
  return spawnSync('sh', ['-c', INSTALL.text, 'lbctl', state, 'r7-test', 'tar', ...services, '--', ...files.flatMap((f) => [f.path, f.validate])], {input: tar, encoding: 'utf8'})
}

const script = (root: string): File => ({path: join(root, 'etc/keepalived/check.sh'), content: '#!/bin/sh\nexit 0\n', mode: 0o755, validate: 'shell'})
const keepalived = (root: string, extra = ''): File => ({
  path: join(root, 'etc/keepalived/keepalived.conf'),
  content: `vrrp_script chk {\n  script "${join(root, 'etc/keepalived/check.sh')}"\n  interval 1\n}\n${extra}`,
  mode: 0o644,
  validate: 'keepalived',
})

describe('install: all or nothing', () => {
  test('tar: GNU tar reads back names (also past 100 bytes), modes and bytes', () => {
    const dir = freshDir('lbctl-tar-')
    const long = `a/${'b'.repeat(90)}/${'c'.repeat(60)}.conf`
    writeFileSync(join(dir, 'x.tar'), tarball([{name: 'etc/x.cfg', content: 'x\n', mode: 0o600}, {name: long, content: Buffer.from([0, 1, 2]), mode: 0o755}]))
    const r = spawnSync('tar', ['-x', '-p', '-f', 'x.tar'], {cwd: dir, encoding: 'utf8'})
    assert.equal(r.status, 0, r.stderr)
    assert.equal(readFileSync(join(dir, 'etc/x.cfg'), 'utf8'), 'x\n')
    assert.equal(statSync(join(dir, 'etc/x.cfg')).mode & 0o777, 0o600)
    assert.deepEqual([...readFileSync(join(dir, long))], [0, 1, 2])
  })

  test('a first deploy: keepalived.conf is checked against the script staged with it; all renamed, journal written', () => {
    const root = freshDir('lbctl-install-')
    const r = install(root, [script(root), keepalived(root)], ['keepalived'])
    assert.equal(r.status, 0, r.stderr)
    assert.ok(existsSync(join(root, 'etc/keepalived/keepalived.conf')) && existsSync(join(root, 'etc/keepalived/check.sh')))
    assert.equal(readFileSync(join(root, 'state/journal'), 'utf8'), 'release r7-test\nservice keepalived\n')
    assert.ok(existsSync(join(root, `state/originals${join(root, 'etc/keepalived/keepalived.conf')}.lbctl-absent`)), 'a path lbctl created is removed, not restored, later')
  })

  test('one file rejected: nothing on the host changes — no rename, no staged file, no journal', () => {
    const root = freshDir('lbctl-install-')
    mkdirSync(join(root, 'etc/keepalived'), {recursive: true})
    writeFileSync(join(root, 'etc/keepalived/check.sh'), '#!/bin/sh\nexit 1\n', {mode: 0o755})
    const r = install(root, [script(root), keepalived(root, 'no_such_keyword_at_all\n')], ['keepalived'])
    assert.equal(r.status, 65)
    assert.match(r.stderr, /keepalived -t rejected the new .*keepalived\.conf \(the old one stays active; nothing was changed on this host\)/)
    assert.equal(readFileSync(join(root, 'etc/keepalived/check.sh'), 'utf8'), '#!/bin/sh\nexit 1\n', 'the script, valid on its own, was not installed either')
    assert.deepEqual(spawnSync('sh', ['-c', `ls ${join(root, 'etc/keepalived')}`], {encoding: 'utf8'}).stdout.trim().split('\n'), ['check.sh'])
    assert.equal(existsSync(join(root, 'state/journal')), false)
  })

  test('a file that was there before lbctl is saved once, so removing it later restores it', () => {
    const root = freshDir('lbctl-install-')
    const cfg = join(root, 'etc/haproxy/haproxy.cfg')
    mkdirSync(join(root, 'etc/haproxy'), {recursive: true})
    writeFileSync(cfg, '# the distribution default\n')
    assert.equal(install(root, [{path: cfg, content: '# Managed by lbctl\n', mode: 0o644, validate: 'none'}], ['haproxy']).status, 0)
    assert.equal(install(root, [{path: cfg, content: '# Managed by lbctl v2\n', mode: 0o644, validate: 'none'}], ['haproxy']).status, 0)
    assert.equal(readFileSync(join(root, `state/originals${cfg}`), 'utf8'), '# the distribution default\n')
  })
})
