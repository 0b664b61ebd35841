/**
 * The all-or-nothing install script and the tar or lines it reads, run for real on this machine (GNU tar, keepalived -t) in
 * a scratch directory standing in for a host's /etc and /var/lib/lbctl.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {INSTALL} from '../../src/modules/install.js'
import {asLines} from '../../src/modules/stdin-lines.js'
import {tarball} from '../../src/modules/tar.js'
import {freshDir} from '../helpers/lab.js'

interface File {
  path: string
  content: string
  mode: number
  validate: string
}

/** The files on stdin as a tar, or as lines read by sh itself (stdin-lines.ts), followed by bytes that are not theirs. */
function install(root: string, files: File[], services: string[], via: 'tar' | 'lines' = 'tar') {
  const state = join(root, 'state')
  const lines = asLines(files)!
  const [source, input] = via === 'tar' ? ['tar', tarball(files.map((f) => ({name: `${f.path.slice(1)}.lbctl-new`, content: f.content, mode: f.mode})))] : [`lines ${lines.shapes.join(' ')}`, Buffer.concat([lines.stdin, Buffer.from('the next step\n')])]
  return spawnSync('sh', ['-c', `${INSTALL.text}${via === 'lines' ? '; rc=$?; cat; exit $rc' : ''}`, 'lbctl', state, 'r7-test', source, ...services, '--', ...files.flatMap((f) => [f.path, f.validate])], {input, encoding: 'utf8'})
}

const script = (root: string): File => ({path: join(root, 'etc/keepalived/check.sh'), content: '#!/bin/sh\nexit 0\n', mode: 0o755, validate: 'shell'})
const keepalived = (root: string, extra = ''): File => ({
  path: join(root, 'etc/keepalived/keepalived.conf'),
  content: `vrrp_script chk {\n  script "${join(root, 'etc/keepalived/check.sh')}"\n  interval 1\n}\n${extra}`,
  mode: 0o644,
  validate: 'keepalived',
})

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

test('lines: a file travels byte for byte (every byte but NUL, no final newline, empty), with its mode; NUL or a big file goes as a tar', () => {
  const root = freshDir('lbctl-lines-')
  const odd = Buffer.concat([Buffer.from([...Array(255).keys()].map((i) => i + 1).filter((b) => b !== 10)), Buffer.from('\n  two\\\t \n\nlast, no newline')])
  const files = [
    {path: join(root, 'etc/odd.cfg'), content: odd.toString('latin1'), mode: 0o640, validate: 'none'},
    {path: join(root, 'etc/empty.cfg'), content: '', mode: 0o600, validate: 'none'},
    {path: join(root, 'etc/run.sh'), content: '#!/bin/sh\necho %s $1\n', mode: 0o755, validate: 'shell'},
  ]
  const shapes = asLines([{content: odd, mode: 0o640}, ...files.slice(1)])!
  const r = spawnSync('sh', ['-c', `${INSTALL.text}; rc=$?; cat; exit $rc`, 'lbctl', join(root, 'state'), 'r7-test', `lines ${shapes.shapes.join(' ')}`, '--', ...files.flatMap((f) => [f.path, f.validate])], {input: Buffer.concat([shapes.stdin, Buffer.from('the next step\n')])})
  assert.equal(r.status, 0, r.stderr.toString())
  assert.equal(r.stdout.toString(), 'the next step\n', 'the step read its own bytes and no more')
  assert.deepEqual(readFileSync(files[0].path), odd)
  assert.equal(readFileSync(files[1].path, 'utf8'), '')
  assert.equal(readFileSync(files[2].path, 'utf8'), '#!/bin/sh\necho %s $1\n')
  assert.deepEqual(files.map((f) => statSync(f.path).mode & 0o7777), [0o640, 0o600, 0o755])
  assert.equal(asLines([{content: Buffer.from([97, 0, 98]), mode: 0o644}]), undefined)
  assert.equal(asLines([{content: 'x'.repeat(70_000), mode: 0o644}]), undefined)
})

for (const via of ['tar', 'lines'] as const)
describe(`install (files as ${via}): all or nothing`, () => {
  test('a first deploy: keepalived.conf is checked against the script staged with it; all renamed, journal written', () => {
    const root = freshDir('lbctl-install-')
    const r = install(root, [script(root), keepalived(root)], ['keepalived'], via)
    assert.equal(r.status, 0, r.stderr)
    assert.ok(existsSync(join(root, 'etc/keepalived/keepalived.conf')) && existsSync(join(root, 'etc/keepalived/check.sh')))
    assert.equal(readFileSync(join(root, 'state/journal'), 'utf8'), 'release r7-test\nservice keepalived\n')
    assert.ok(existsSync(join(root, `state/originals${join(root, 'etc/keepalived/keepalived.conf')}.lbctl-absent`)), 'a path lbctl created is removed, not restored, later')
  })

  test('one file rejected: nothing on the host changes — no rename, no staged file, no journal', () => {
    const root = freshDir('lbctl-install-')
    mkdirSync(join(root, 'etc/keepalived'), {recursive: true})
    writeFileSync(join(root, 'etc/keepalived/check.sh'), '#!/bin/sh\nexit 1\n', {mode: 0o755})
    const r = install(root, [script(root), keepalived(root, 'no_such_keyword_at_all\n')], ['keepalived'], via)
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
    assert.equal(install(root, [{path: cfg, content: '# Managed by lbctl\n', mode: 0o644, validate: 'none'}], ['haproxy'], via).status, 0)
    assert.equal(install(root, [{path: cfg, content: '# Managed by lbctl v2\n', mode: 0o644, validate: 'none'}], ['haproxy'], via).status, 0)
    assert.equal(readFileSync(join(root, `state/originals${cfg}`), 'utf8'), '# the distribution default\n')
  })
})

test('stage release as lines: every file, its mode, 0700 directories, and only its own stdin read; a NUL byte goes as a tar', async () => {
  const {release} = await import('../../src/modules/release.js')
  const files = [
    {path: '/etc/lbctl/realserver.sh', content: '#!/bin/sh\necho start\n', mode: 0o755, validate: 'shell', service: 'realserver', kind: 'script'},
    {path: '/etc/sysctl.d/90-lbctl.conf', content: 'net.core.somaxconn = 1024', mode: 0o644, validate: 'none', service: 'sysctl', kind: 'sysctl'},
  ]
  const staged = (content: (f: (typeof files)[number]) => string | Buffer) => {
    const state = join(freshDir('lbctl-stage-'), 'state')
    const ctx = {cluster: {name: 'c', hash: 'h', deploy: {stateDir: state, releasesKeep: 5}}, host: {name: 'rs1', tuning: {sysctls: {'net.core.somaxconn': 1024}}}, files: files.map((f) => ({...f, content: content(f)})), releaseId: 'r1-abc', bundle: 'b', vars: {}}
    const step = release.plan!({stage: true}, {code: 0, stdout: 'current -\n', stderr: ''}, ctx as never).steps[0]
    const r = spawnSync('sh', ['-c', `${step.command.text}; rc=$?; cat; exit $rc`], {input: Buffer.concat([Buffer.isBuffer(step.stdin) ? step.stdin : Buffer.from(step.stdin ?? ''), Buffer.from('next\n')])})
    assert.equal(r.status, 0, r.stderr.toString())
    const tree = spawnSync('sh', ['-c', `cd ${state}/releases/r1-abc.tmp && find . -printf '%p %m\\n' | sort`], {encoding: 'utf8'}).stdout
    return {step, out: r.stdout.toString(), tree, dir: join(state, 'releases/r1-abc.tmp')}
  }
  const lines = staged((f) => f.content)
  assert.match(lines.step.command.text, / 'lines [^']*' /)
  assert.equal(lines.out, 'next\n', 'the step read its own bytes and no more')
  assert.equal(lines.tree, ['. 700', './files 700', './files.list 600', './files/etc 700', './files/etc/lbctl 700', './files/etc/lbctl/realserver.sh 755', './files/etc/sysctl.d 700', './files/etc/sysctl.d/90-lbctl.conf 644', './manifest.json 600', './sysctls 600', ''].join('\n'))
  assert.equal(readFileSync(join(lines.dir, 'files/etc/lbctl/realserver.sh'), 'utf8'), '#!/bin/sh\necho start\n')
  assert.equal(readFileSync(join(lines.dir, 'files/etc/sysctl.d/90-lbctl.conf'), 'utf8'), 'net.core.somaxconn = 1024')
  assert.equal(readFileSync(join(lines.dir, 'sysctls'), 'utf8'), 'net.core.somaxconn 1024\n')
  assert.equal(JSON.parse(readFileSync(join(lines.dir, 'manifest.json'), 'utf8')).id, 'r1-abc')

  const tar = staged((f) => (f.kind === 'script' ? Buffer.from('#!/bin/sh\n\0') : f.content))
  assert.match(tar.step.command.text, / tar$/)
  assert.deepEqual([...readFileSync(join(tar.dir, 'files/etc/lbctl/realserver.sh'))].slice(-2), [10, 0])
})
