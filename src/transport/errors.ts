import { quote } from '../shell/index.js'

/**
 * One typed error per way a host can fail. Every message is one line that
 * starts with the inventory host and says what to do, because it ends up in a
 * run report next to many other hosts.
 */

export interface Where {
  /** Inventory host name. */
  host: string
  /** The ProxyJump hop that failed, when it was not the host itself. */
  via?: string
}

export class TransportError extends Error {
  readonly host: string
  readonly via: string | undefined
  constructor(where: Where, message: string, options?: { cause?: unknown }) {
    super(`${where.host}${where.via ? ` (via jump ${where.via})` : ''}: ${message}`, options)
    this.name = new.target.name
    this.host = where.host
    this.via = where.via
  }
}

/** The server's key is not in known_hosts and --accept-new was not given. */
export class HostKeyUnknownError extends TransportError {
  constructor(
    where: Where,
    readonly info: { address: string; hostname: string; port: number; keyType: string; fingerprint: string; knownHostsFile: string },
  ) {
    super(
      where,
      `host key for ${info.address} is not known (${info.keyType} ${info.fingerprint}); nothing was run. Verify it, then ` +
        `\`ssh-keyscan -p ${info.port} ${quote(info.hostname)} >> ${quote(info.knownHostsFile)}\` or pass --accept-new`,
    )
  }
}

/** known_hosts has a key of the same type for this host, and it is different. */
export class HostKeyChangedError extends TransportError {
  constructor(
    where: Where,
    readonly info: { address: string; keyType: string; expected: string; offered: string; file: string; line: number },
  ) {
    super(
      where,
      `REMOTE HOST IDENTIFICATION HAS CHANGED for ${info.address}: ${info.file}:${info.line} has ${info.keyType} ` +
        `${info.expected}, server offered ${info.offered}; possible man-in-the-middle, nothing was run. ` +
        `If the change is expected: ssh-keygen -R ${quote(info.address)} -f ${quote(info.file)}`,
    )
  }
}

/** The offered key is marked @revoked in known_hosts. */
export class HostKeyRevokedError extends TransportError {
  constructor(where: Where, readonly info: { address: string; fingerprint: string; file: string; line: number }) {
    super(where, `host key ${info.fingerprint} of ${info.address} is REVOKED (${info.file}:${info.line}); nothing was run`)
  }
}

export class AuthError extends TransportError {
  constructor(
    where: Where,
    readonly info: { address: string; user: string; tried: string[]; allowed?: string[]; reason?: string },
  ) {
    const tried = info.tried.length ? info.tried.join(', ') : 'nothing: no agent and no readable identity file'
    const allowed = info.allowed?.length ? `; server accepts: ${info.allowed.join(',')}` : ''
    const reason = info.reason ? `; server said: ${info.reason}` : ''
    super(where, `authentication failed for ${info.user}@${info.address} (tried: ${tried}${allowed}${reason})`)
  }
}

export class UnreachableError extends TransportError {
  constructor(where: Where, readonly info: { address: string; reason: string }, options?: { cause?: unknown }) {
    super(where, `cannot reach ${info.address}: ${info.reason}`, options)
  }
}

/** The connection dropped (or was closed) while a command was in flight. */
export class ConnectionLostError extends TransportError {}

export class ExecTimeoutError extends TransportError {
  constructor(where: Where, readonly timeoutMs: number, readonly command: string) {
    super(where, `command timed out after ${timeoutMs} ms: ${oneLine(command)}`)
  }
}

/** put() could not write the file (permission, missing directory, sudo refused...). */
export class PutError extends TransportError {
  constructor(where: Where, readonly path: string, readonly code: number, readonly stderr: string) {
    super(where, `cannot write ${path} (exit ${code}): ${oneLine(stderr) || 'no error output'}`)
  }
}

export function oneLine(s: string, max = 200): string {
  const t = s.trim().replace(/\s*\n\s*/g, ' | ')
  return t.length > max ? t.slice(0, max) + '…' : t
}
