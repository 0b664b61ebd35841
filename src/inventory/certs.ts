/**
 * Certificates lbctl delivers with the bundle: every SSL bind whose `ssl.pem` names a local PEM (certificate and
 * private key, HAProxy's format) or a directory of them. Read at load time, like ${file:…} secrets; checked here with
 * Node's X509 parser: a PEM without a certificate or a key, a key that does not match (HAProxy refuses both at
 * `haproxy -c`), an expired certificate are problems at the field; one that expires within `haproxy.cert_warn_days`
 * is a warning (checks/certs.ts). Content never reaches any output: only fingerprints and expiry dates do.
 */
import {X509Certificate, createPrivateKey} from 'node:crypto'
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {basename, dirname, isAbsolute, resolve} from 'node:path'
import type {Path, Problem} from './problems.js'
import type {Source} from './source.js'

export interface Certificate {
  /** Where the director gets it. */
  path: string
  content: string
  /** sha256 fingerprint of the certificate, "AB:CD:…". */
  fingerprint: string
  subject: string
  notAfter: string
  /** Where the inventory names it. */
  origin: Path
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g

/** What one PEM file holds, or why it is unfit. */
export function inspectPem(content: string, now = Date.now()): {cert?: X509Certificate; problems: string[]} {
  const blocks = [...content.matchAll(BLOCK)]
  const certBlock = blocks.find((b) => b[1] === 'CERTIFICATE')
  const keyBlock = blocks.find((b) => /PRIVATE KEY$/.test(b[1]))
  const problems: string[] = []
  if (!certBlock) problems.push('holds no certificate (-----BEGIN CERTIFICATE-----)')
  if (!keyBlock) problems.push('holds no private key: HAProxy wants the certificate and its key in one PEM file')
  if (!certBlock) return {problems}
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certBlock[0])
  } catch (e) {
    return {problems: [...problems, `has a certificate that cannot be read (${(e as Error).message})`]}
  }
  if (keyBlock) {
    try {
      if (!cert.checkPrivateKey(createPrivateKey(keyBlock[0]))) problems.push('has a private key that does not match its certificate (HAProxy refuses it)')
    } catch (e) {
      problems.push(`has a private key that cannot be read (${(e as Error).message})`)
    }
  }
  const left = (Date.parse(cert.validTo) - now) / 86_400_000
  if (left <= 0) problems.push(`holds a certificate that expired on ${new Date(cert.validTo).toISOString().slice(0, 10)}`)
  return {cert, problems}
}

/** Each PEM an `ssl.pem` names (a file, or every *.pem of a directory), with the path it gets on the directors. */
function pemFiles(ref: string, crt: string, baseDir: string): {local: string; remote: string}[] {
  const local = isAbsolute(ref) ? ref : resolve(baseDir, ref)
  if (statSync(local).isDirectory()) {
    return readdirSync(local)
      .filter((f) => f.endsWith('.pem'))
      .sort()
      .map((f) => ({local: resolve(local, f), remote: `${crt.replace(/\/+$/, '')}/${f}`}))
  }
  return [{local, remote: crt}]
}

export interface SslBind {
  crt: string
  pem?: string
  origin: Path
}

/** Loads every certificate the inventory delivers; problems at the `pem` field (expiry warnings: checks/certs.ts). */
export function loadCertificates(binds: SslBind[], source: Source, now = Date.now()): {certificates: Certificate[]; problems: Problem[]} {
  const certificates: Certificate[] = []
  const problems: Problem[] = []
  const baseDir = dirname(source.file)
  for (const b of binds.filter((x) => x.pem)) {
    const at = [...b.origin, 'ssl', 'pem']
    let files: {local: string; remote: string}[]
    try {
      files = pemFiles(b.pem!, b.crt, baseDir)
    } catch (e) {
      problems.push(source.problem(at, `cannot read ${b.pem}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'name a PEM file (certificate and key) or a directory of them, relative to the inventory'))
      continue
    }
    if (files.length === 0) problems.push(source.problem(at, `directory ${b.pem} holds no *.pem file`, 'put the PEM files (certificate and key each) there'))
    for (const f of files) {
      let content: string
      try {
        content = readFileSync(f.local, 'utf8')
      } catch (e) {
        problems.push(source.problem(at, `cannot read ${f.local}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'check the path and its permissions'))
        continue
      }
      const name = files.length > 1 ? basename(f.local) : b.pem!
      const {cert, problems: p} = inspectPem(content, now)
      for (const m of p) problems.push(source.problem(at, `${name} ${m}`, 'renew it, or fix the PEM (certificate first, then its private key)'))
      if (!cert || p.length) continue
      certificates.push({path: f.remote, content, fingerprint: cert.fingerprint256, subject: cert.subject.replace(/\n/g, ', '), notAfter: new Date(cert.validTo).toISOString(), origin: at})
    }
  }
  return {certificates, problems}
}

/** The private key lines of every delivered PEM: masked wherever they might appear. */
export function certificateSecrets(certs: Certificate[]): string[] {
  return certs.flatMap((c) => [...c.content.matchAll(BLOCK)].filter((b) => /PRIVATE KEY$/.test(b[1])).flatMap((b) => [b[0], ...b[0].split(/\r?\n/).filter((l) => l.length >= 16 && !l.startsWith('-----'))]))
}

/** A PEM as it may be shown: its certificate's fingerprint, subject and expiry, never the content. */
export function describePem(content: string | undefined): string {
  if (content === undefined) return '(none)'
  const block = [...content.matchAll(BLOCK)].find((b) => b[1] === 'CERTIFICATE')
  try {
    const c = new X509Certificate(block![0])
    return `certificate sha256 ${c.fingerprint256}, ${c.subject.replace(/\n/g, ', ')}, expires ${new Date(c.validTo).toISOString().slice(0, 10)}`
  } catch {
    return '(not a readable certificate)'
  }
}
