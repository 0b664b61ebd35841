import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  appendKnownHost,
  blobKeyType,
  entryMatches,
  fingerprint,
  globMatch,
  hostString,
  knownKeyTypes,
  loadKnownHosts,
  parseKnownHosts,
  verify,
} from '../../src/transport/known-hosts.js'

interface Key {
  type: string
  b64: string
  blob: Buffer
  pubPath: string
}

let dir: string
const keys: Record<string, Key> = {}

function gen(name: string, type: string, bits?: number): Key {
  const path = join(dir, name)
  execFileSync('ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', '', '-f', path], { stdio: 'ignore' })
  const [t, b64] = readFileSync(`${path}.pub`, 'utf8').trim().split(/\s+/)
  return { type: t!, b64: b64!, blob: Buffer.from(b64!, 'base64'), pubPath: `${path}.pub` }
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lbctl-kh-'))
  keys.a = gen('a', 'ed25519')
  keys.b = gen('b', 'ed25519')
  keys.e256 = gen('e256', 'ecdsa', 256)
  keys.e384 = gen('e384', 'ecdsa', 384)
})

after(() => rmSync(dir, { recursive: true, force: true }))

const line = (hosts: string, k: Key, marker = '') => `${marker ? marker + ' ' : ''}${hosts} ${k.type} ${k.b64}`

test('hostString: bare on 22, [host]:port otherwise, lower-cased', () => {
  assert.equal(hostString('LB1.Example', 22), 'lb1.example')
  assert.equal(hostString('10.0.0.1', 2222), '[10.0.0.1]:2222')
})

test('fingerprint matches ssh-keygen -l', () => {
  const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', keys.a!.pubPath], { encoding: 'utf8' })
  assert.equal(out.split(/\s+/)[1], fingerprint(keys.a!.blob))
  assert.match(fingerprint(keys.a!.blob), /^SHA256:[A-Za-z0-9+/]{43}$/)
})

test('blobKeyType reads the type inside the blob', () => {
  assert.equal(blobKeyType(keys.a!.blob), 'ssh-ed25519')
  assert.equal(blobKeyType(keys.e384!.blob), 'ecdsa-sha2-nistp384')
  assert.equal(blobKeyType(Buffer.from('xx')), undefined)
})

test('parse: comments, blanks, lists, markers, broken lines skipped', () => {
  const text = [
    '# a comment',
    '',
    '   ',
    line('lb1,10.0.0.1,[10.0.0.1]:2222', keys.a!),
    line('*.example.com', keys.b!, '@revoked'),
    line('*.example.com', keys.b!, '@cert-authority'),
    line('x', keys.a!, '@weird'),
    'lb2 ssh-ed25519 !!!notbase64',
    'lb3 ssh-ed25519',
    '\tlb4   ' + keys.a!.type + '   ' + keys.a!.b64 + '   a comment with spaces',
  ].join('\n')
  const es = parseKnownHosts(text, 'F')
  assert.equal(es.length, 4)
  assert.deepEqual(es[0]!.patterns, ['lb1', '10.0.0.1', '[10.0.0.1]:2222'])
  assert.equal(es[0]!.line, 4)
  assert.equal(es[0]!.file, 'F')
  assert.equal(es[1]!.marker, 'revoked')
  assert.equal(es[2]!.marker, 'cert-authority')
  assert.deepEqual(es[3]!.patterns, ['lb4'])
  assert.equal(es[3]!.line, 10)
})

test('glob and negation as OpenSSH match_pattern_list', () => {
  assert.ok(globMatch('*.example.com', 'lb1.example.com'))
  assert.ok(globMatch('lb?', 'lb1'))
  assert.ok(!globMatch('lb?', 'lb12'))
  assert.ok(globMatch('[10.0.0.*]:2222', '[10.0.0.7]:2222'))
  const [e] = parseKnownHosts(line('*.example.com,!bad.example.com', keys.a!))
  assert.ok(entryMatches(e!, 'good.example.com'))
  assert.ok(!entryMatches(e!, 'bad.example.com'))
  assert.ok(!entryMatches(e!, 'example.org'))
})

test('verify: ok, unknown, changed, port-specific entries', () => {
  const es = parseKnownHosts([line('lb1', keys.a!), line('[lb1]:2222', keys.b!)].join('\n'), 'kh')
  assert.equal(verify(es, 'lb1', 22, 'ssh-ed25519', keys.a!.blob).status, 'ok')
  assert.equal(verify(es, 'LB1', 22, 'ssh-ed25519', keys.a!.blob).status, 'ok')
  assert.equal(verify(es, 'lb1', 2222, 'ssh-ed25519', keys.b!.blob).status, 'ok')
  // A bare entry does not cover another port, and vice versa (OpenSSH).
  assert.equal(verify(es, 'lb1', 2200, 'ssh-ed25519', keys.a!.blob).status, 'unknown')
  assert.equal(verify(es, 'lb2', 22, 'ssh-ed25519', keys.a!.blob).status, 'unknown')
  const changed = verify(es, 'lb1', 22, 'ssh-ed25519', keys.b!.blob)
  assert.deepEqual({ status: changed.status, file: changed.file, line: changed.line }, { status: 'changed', file: 'kh', line: 1 })
})

test('verify: an entry of another key type only is unknown, not changed', () => {
  const es = parseKnownHosts(line('lb1', keys.e256!))
  assert.equal(verify(es, 'lb1', 22, 'ssh-ed25519', keys.a!.blob).status, 'unknown')
  assert.deepEqual(knownKeyTypes(es, 'lb1', 22), ['ecdsa-sha2-nistp256'])
})

test('verify: ECDSA curves are one key type for "changed", as in OpenSSH', () => {
  const es = parseKnownHosts(line('lb1', keys.e256!))
  assert.equal(verify(es, 'lb1', 22, 'ecdsa-sha2-nistp384', keys.e384!.blob).status, 'changed')
})

test('verify: any matching line with the key wins over a conflicting one', () => {
  const es = parseKnownHosts([line('lb1', keys.b!), line('lb1', keys.a!)].join('\n'))
  assert.equal(verify(es, 'lb1', 22, 'ssh-ed25519', keys.a!.blob).status, 'ok')
})

test('verify: @revoked refuses even when also listed as good; @cert-authority ignored', () => {
  const es = parseKnownHosts([line('lb1', keys.a!), line('*', keys.a!, '@revoked'), line('lb1', keys.b!, '@cert-authority')].join('\n'), 'kh')
  const r = verify(es, 'lb1', 22, 'ssh-ed25519', keys.a!.blob)
  assert.equal(r.status, 'revoked')
  assert.equal(r.line, 2)
  // The CA line does not vouch for b; lb1's plain ed25519 line makes b "changed".
  assert.equal(verify(es, 'lb1', 22, 'ssh-ed25519', keys.b!.blob).status, 'changed')
  const caOnly = parseKnownHosts(line('lb1', keys.b!, '@cert-authority'))
  assert.equal(verify(caOnly, 'lb1', 22, 'ssh-ed25519', keys.b!.blob).status, 'unknown')
})

test('hashed entries made by real `ssh-keygen -H` match, for port 22 and [host]:port', () => {
  const f = join(dir, 'hashed')
  writeFileSync(f, [line('lb1.example.com', keys.a!), line('[10.1.2.3]:2222', keys.b!)].join('\n') + '\n')
  execFileSync('ssh-keygen', ['-H', '-f', f], { stdio: 'ignore' })
  const text = readFileSync(f, 'utf8')
  assert.ok(!text.includes('lb1.example.com'), 'ssh-keygen hashed the names')
  const es = loadKnownHosts([f, join(dir, 'does-not-exist')])
  assert.equal(es.length, 2)
  assert.ok(es.every((e) => e.hashed))
  assert.equal(verify(es, 'lb1.example.com', 22, 'ssh-ed25519', keys.a!.blob).status, 'ok')
  assert.equal(verify(es, '10.1.2.3', 2222, 'ssh-ed25519', keys.b!.blob).status, 'ok')
  assert.equal(verify(es, '10.1.2.3', 22, 'ssh-ed25519', keys.b!.blob).status, 'unknown')
  assert.equal(verify(es, 'lb1.example.com', 22, 'ssh-ed25519', keys.b!.blob).status, 'changed')
})

test('appendKnownHost: creates file and dir, fixes a missing final newline, readable by ssh-keygen -F', () => {
  const f = join(dir, 'sub', 'known_hosts')
  assert.equal(appendKnownHost(f, '127.0.0.1', 2222, keys.a!.blob), 1)
  assert.equal(readFileSync(f, 'utf8'), `[127.0.0.1]:2222 ssh-ed25519 ${keys.a!.b64}\n`)
  writeFileSync(f, readFileSync(f, 'utf8') + '# no newline at end')
  assert.equal(appendKnownHost(f, 'lb9', 22, keys.b!.blob), 3)
  assert.equal(readFileSync(f, 'utf8').split('\n')[2], `lb9 ssh-ed25519 ${keys.b!.b64}`)
  const found = execFileSync('ssh-keygen', ['-F', '[127.0.0.1]:2222', '-f', f], { encoding: 'utf8' })
  assert.match(found, /Host \[127\.0\.0\.1\]:2222 found: line 1/)
  assert.equal(verify(loadKnownHosts([f]), 'lb9', 22, 'ssh-ed25519', keys.b!.blob).status, 'ok')
})
