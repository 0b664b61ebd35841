/**
 * A minimal ustar archive: how a set of files travels to a host in one round trip, on stdin (never in a command
 * line, where another user could read a secret in `ps`). GNU tar on the host unpacks it; every Linux host lbctl
 * targets has one.
 */
export interface TarEntry {
  /** Relative path inside the archive. */
  name: string
  content: string | Buffer
  mode: number
}

const BLOCK = 512

function field(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8')
}

function octal(n: number, length: number): string {
  return `${n.toString(8).padStart(length - 1, '0')}\0`
}

/** ustar keeps names up to 100 bytes, or 255 split at a slash into prefix and name. */
function splitName(name: string): {prefix: string; base: string} {
  if (Buffer.byteLength(name) <= 100) return {prefix: '', base: name}
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i)
    const base = name.slice(i + 1)
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return {prefix, base}
  }
  throw new Error(`tar: path too long for ustar: ${name}`)
}

function header(name: string, size: number, mode: number): Buffer {
  const h = Buffer.alloc(BLOCK)
  const {prefix, base} = splitName(name)
  field(h, 0, 100, base)
  field(h, 100, 8, octal(mode & 0o7777, 8))
  field(h, 108, 8, octal(0, 8))
  field(h, 116, 8, octal(0, 8))
  field(h, 124, 12, octal(size, 12))
  // No timestamps: the host stamps files when it unpacks them (tar -m), so nothing depends on this machine's clock.
  field(h, 136, 12, octal(0, 12))
  field(h, 148, 8, '        ')
  field(h, 156, 1, '0')
  field(h, 257, 6, 'ustar\0')
  field(h, 263, 2, '00')
  field(h, 265, 32, 'root')
  field(h, 297, 32, 'root')
  field(h, 345, 155, prefix)
  let sum = 0
  for (const b of h) sum += b
  field(h, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
  return h
}

export function tarball(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    const body = typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : e.content
    parts.push(header(e.name, body.length, e.mode), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK))
  }
  parts.push(Buffer.alloc(BLOCK * 2))
  return Buffer.concat(parts)
}
