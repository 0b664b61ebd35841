/**
 * Certificates delivered with the bundle (haproxy ... ssl.pem): read at load time, refused at their line when expired,
 * keyless or mismatched, warned about before they expire; rendered to the directors as 0600 files; shown only by
 * fingerprint and expiry — in render, render --json and --diff — never by content.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {describePem} from '../../src/inventory/certs.js'
import {InventoryError, formatProblem, loadInventoryText} from '../../src/inventory/index.js'
import {certificateDiff} from '../../src/modules/template.js'
import {renderHost} from '../../src/render/index.js'
import {SHOP_VIP} from '../helpers/shop.js'

const dir = mkdtempSync(join(tmpdir(), 'lbctl-certs-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/** A self-signed PEM (certificate then key) valid for `days` (negative: already expired). */
function pem(name: string, days: number, keyOf?: string): string {
  const key = join(dir, `${name}.key`)
  const csr = join(dir, `${name}.csr`)
  const crt = join(dir, `${name}.crt`)
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}.example`, '-keyout', key, '-out', csr], {stdio: 'ignore'})
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-signkey', key, '-days', String(days), '-out', crt], {stdio: 'ignore'})
  const file = join(dir, `${name}.pem`)
  writeFileSync(file, readFileSync(crt, 'utf8') + readFileSync(keyOf ? join(dir, `${keyOf}.key`) : key, 'utf8'))
  return file
}

const www = pem('www', 365)
const inventory = (pemRef: string, crt = '/etc/haproxy/certs/www.pem') => `${SHOP_VIP}haproxy:
  frontends:
    web:
      bind:
        - ":80"
        - {port: 443, ssl: {crt: ${crt}, pem: "${pemRef}"}}
      default_backend: web
  backends:
    web: {servers: [web1]}
`
const file = join(dir, 'shop.yaml')
const load = (yaml: string) => loadInventoryText(yaml, file, {env: {}})
const problems = (yaml: string) => {
  try {
    load(yaml)
    return []
  } catch (e) {
    return (e as InventoryError).problems.map(formatProblem)
  }
}

describe('certificates in the bundle', () => {
  test('a PEM named by path (relative to the inventory) or ${file:…} goes to every director as a 0600 certificate file', () => {
    for (const ref of ['www.pem', `\${file:${www}}`]) {
      const {cluster} = load(inventory(ref))
      for (const d of ['lb1', 'lb2']) {
        const f = renderHost(cluster, d).find((x) => x.path === '/etc/haproxy/certs/www.pem')
        assert.ok(f, `${ref} on ${d}`)
        assert.deepEqual([f.kind, f.mode, f.service, f.content], ['certificate', 0o600, 'haproxy', readFileSync(www, 'utf8')])
      }
    }
  })

  test('a directory of PEMs: each one into the crt directory', () => {
    const certs = join(dir, 'certs')
    mkdirSync(certs, {recursive: true})
    writeFileSync(join(certs, 'a.pem'), readFileSync(www))
    writeFileSync(join(certs, 'b.pem'), readFileSync(pem('b', 365)))
    const {cluster} = load(inventory('certs', '/etc/haproxy/certs/'))
    assert.deepEqual(renderHost(cluster, 'lb1').filter((f) => f.kind === 'certificate').map((f) => f.path), ['/etc/haproxy/certs/a.pem', '/etc/haproxy/certs/b.pem'])
  })

  test('refused at the field\'s line: expired, no key, a key of another certificate, a missing file', () => {
    const at = /^.*shop\.yaml:14:\d+: haproxy\.frontends\.web\.bind\[1\]\.ssl\.pem: /
    const expired = pem('old', -1)
    assert.match(problems(inventory(expired)).join('\n'), new RegExp(`${at.source}${expired.replaceAll('.', '\\.')} holds a certificate that expired on \\d{4}-\\d\\d-\\d\\d`, 'm'))
    const mismatch = pem('mix', 365, 'www')
    assert.match(problems(inventory(mismatch)).join('\n'), /has a private key that does not match its certificate \(HAProxy refuses it\)/)
    const nokey = join(dir, 'nokey.pem')
    writeFileSync(nokey, readFileSync(join(dir, 'www.crt')))
    assert.match(problems(inventory(nokey)).join('\n'), /holds no private key: HAProxy wants the certificate and its key in one PEM file/)
    assert.match(problems(inventory('nope.pem')).join('\n'), /shop\.yaml:14:\d+: haproxy\.frontends\.web\.bind\[1\]\.ssl\.pem: cannot read nope\.pem: ENOENT/)
  })

  test('warned about 21 days before it expires (haproxy.cert_warn_days changes that)', () => {
    const soon = pem('soon', 10)
    const {warnings} = load(inventory(soon))
    assert.match(warnings.map(formatProblem).join('\n'), /ssl\.pem: the certificate for CN=soon\.example \(\/etc\/haproxy\/certs\/www\.pem\) expires in \d day\(s\), on /)
    assert.equal(load(inventory(soon).replace('haproxy:\n', 'haproxy:\n  cert_warn_days: 5\n')).warnings.length, 0)
  })

  test('shown by fingerprint, subject and expiry, never by content; its key is a secret to every mask', () => {
    const content = readFileSync(www, 'utf8')
    const text = describePem(content)
    assert.match(text, /^certificate sha256 ([0-9A-F]{2}:){31}[0-9A-F]{2}, CN=www\.example, expires \d{4}-\d\d-\d\d$/)
    const d = certificateDiff('/etc/haproxy/certs/www.pem', undefined, content)
    assert.match(d.patch, /@@ certificate replaced \(contents not shown\) @@\n-\(none\)\n\+certificate sha256 /)
    assert.doesNotMatch(d.patch, /PRIVATE KEY|BEGIN CERTIFICATE/)
    const {cluster} = load(inventory('www.pem'))
    const keyLine = content.split('\n').find((l) => l.length === 64 && content.indexOf(l) > content.indexOf('PRIVATE KEY'))!
    assert.ok(cluster.secrets.includes(keyLine), 'every line of the key is masked wherever it would show')
  })
})
