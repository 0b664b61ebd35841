/**
 * OpenSSH known_hosts: parsing and matching (pure), plus one append function.
 * Semantics follow sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT" and OpenSSH's
 * check_key_in_hostkeys().
 */
import { createHash, createHmac } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'

export interface KnownHostEntry {
  file: string
  line: number
  marker?: 'revoked' | 'cert-authority'
  /** Plain patterns (lower-cased), `!` negations kept; absent for a hashed entry. */
  patterns?: string[]
  hashed?: { salt: Buffer; hash: Buffer }
  /** Key type from the key blob itself (e.g. ssh-ed25519, ssh-rsa). */
  keyType: string
  key: Buffer
}

export type VerifyStatus = 'ok' | 'unknown' | 'changed' | 'revoked'

export interface VerifyResult {
  status: VerifyStatus
  /** The entry that decided: the matching one (ok/revoked) or the first conflicting one (changed). */
  file?: string
  line?: number
  entry?: KnownHostEntry
}

/** The host string OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function hostString(host: string, port = 22): string {
  const h = host.toLowerCase()
  return port === 22 ? h : `[${h}]:${port}`
}

/** `SHA256:<base64 without padding>`, as ssh-keygen -l and ssh print it. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')
}

/** The key type recorded inside an SSH public key blob (its first string). */
export function blobKeyType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined
  const len = blob.readUInt32BE(0)
  if (len === 0 || len > 64 || 4 + len > blob.length) return undefined
  return blob.subarray(4, 4 + len).toString('latin1')
}

export function parseKnownHosts(text: string, file = 'known_hosts'): KnownHostEntry[] {
  const entries: KnownHostEntry[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/[ \t]+/)
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue
    let marker: KnownHostEntry['marker']
    if (fields[0]!.startsWith('@')) {
      const m = fields.shift()!
      if (m === '@revoked') marker = 'revoked'
      else if (m === '@cert-authority') marker = 'cert-authority'
      else continue // unknown marker: OpenSSH skips the line
    }
    const [hosts, type, b64] = fields
    if (!hosts || !type || !b64) continue
    // Like OpenSSH, a line whose key does not decode is skipped, not fatal.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) continue
    const key = Buffer.from(b64, 'base64')
    const keyType = blobKeyType(key)
    if (!keyType) continue
    const entry: KnownHostEntry = { file, line: i + 1, keyType, key }
    if (marker) entry.marker = marker
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|')
      if (!salt || !hash) continue
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') }
    } else {
      entry.patterns = hosts.toLowerCase().split(',').filter((p) => p !== '')
    }
    entries.push(entry)
  }
  return entries
}

/** Reads and parses files; a missing file contributes nothing (as in OpenSSH). */
export function loadKnownHosts(files: string[]): KnownHostEntry[] {
  const out: KnownHostEntry[] = []
  for (const f of files) {
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw e
    }
    out.push(...parseKnownHosts(text, f))
  }
  return out
}

/** Glob with `*` and `?` only, whole string, as OpenSSH match_pattern(). */
export function globMatch(pattern: string, s: string): boolean {
  const re = '^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$'
  return new RegExp(re, 's').test(s)
}

/** Does this entry name the host string? A matching `!pattern` vetoes the line. */
export function entryMatches(e: KnownHostEntry, hostStr: string): boolean {
  if (e.hashed) {
    const mac = createHmac('sha1', e.hashed.salt).update(hostStr).digest()
    return mac.length === e.hashed.hash.length && mac.equals(e.hashed.hash)
  }
  let positive = false
  for (const p of e.patterns ?? []) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), hostStr)) return false
    } else if (globMatch(p, hostStr)) positive = true
  }
  return positive
}

// OpenSSH compares key *types*, and all ECDSA curves are one type (KEY_ECDSA):
// an ecdsa-sha2-nistp384 key offered where a nistp256 one is known is "changed".
function typeFamily(t: string): string {
  return t.startsWith('ecdsa-sha2-') ? 'ecdsa' : t
}

/**
 * OpenSSH's decision for a key offered by host:port.
 * revoked: a matching @revoked line holds this key. ok: a plain line holds it.
 * changed: a plain line of the same key type holds another key. unknown: else
 * (a line of another type only is still "unknown", as in OpenSSH).
 */
export function verify(entries: KnownHostEntry[], host: string, port: number, keyType: string, keyBlob: Buffer): VerifyResult {
  const hs = hostString(host, port)
  const matching = entries.filter((e) => e.marker !== 'cert-authority' && entryMatches(e, hs))
  // @revoked applies to the key wherever it is listed; check it first.
  const revoked = matching.find((e) => e.marker === 'revoked' && e.key.equals(keyBlob))
  if (revoked) return { status: 'revoked', file: revoked.file, line: revoked.line, entry: revoked }
  const plain = matching.filter((e) => e.marker === undefined)
  const same = plain.find((e) => e.key.equals(keyBlob))
  if (same) return { status: 'ok', file: same.file, line: same.line, entry: same }
  const conflict = plain.find((e) => typeFamily(e.keyType) === typeFamily(keyType))
  if (conflict) return { status: 'changed', file: conflict.file, line: conflict.line, entry: conflict }
  return { status: 'unknown' }
}

/** Key types known for host:port, in file order: used to prefer them in the key exchange. */
export function knownKeyTypes(entries: KnownHostEntry[], host: string, port: number): string[] {
  const hs = hostString(host, port)
  const types: string[] = []
  for (const e of entries) {
    if (e.marker === undefined && entryMatches(e, hs) && !types.includes(e.keyType)) types.push(e.keyType)
  }
  return types
}

/** The line --accept-new records: `host type base64` (`[host]:port` when port != 22). */
export function formatKnownHostLine(host: string, port: number, keyBlob: Buffer): string {
  const type = blobKeyType(keyBlob)
  if (!type) throw new Error('not an SSH public key blob')
  return `${hostString(host, port)} ${type} ${keyBlob.toString('base64')}`
}

/** Appends the line (creating the file and its directory like ssh does); returns its line number. */
export function appendKnownHost(file: string, host: string, port: number, keyBlob: Buffer): number {
  const line = formatKnownHostLine(host, port, keyBlob)
  let existing = ''
  if (existsSync(file)) existing = readFileSync(file, 'utf8')
  else mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  // A file whose last line lacks "\n" would otherwise glue our entry onto it.
  const prefix = existing !== '' && !existing.endsWith('\n') ? '\n' : ''
  appendFileSync(file, prefix + line + '\n', { mode: 0o644 })
  const before = existing === '' ? 0 : (existing + prefix).split('\n').length - 1
  return before + 1
}
