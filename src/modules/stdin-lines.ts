import {raw} from '../shell/index.js'

/*
 * Files on a step's stdin as plain lines, written on the host by sh's own `read` and `printf`: no tar(1), and no
 * `head -c` copy in a batch either (the step reads exactly its lines; see prefetch.ts selfDelimited). Every process
 * counts when 50 hosts share two cores. dash's `read -r` with an empty IFS keeps every byte of a line but NUL (checked
 * for bytes 1–255), so a file with a NUL, or too big for byte-wise reads, travels as a tar instead.
 *
 * A file's shape is LINES/NL/UMASK[/MODE]: LINES lines on stdin, the last one without its newline in the file when
 * NL is 0 (one was added on the way), created under UMASK (0666 & ~UMASK is its mode) and chmod'ed to MODE only when
 * the mode has bits a umask cannot give (an executable script).
 */
export const PUT_FILE = raw`put_file() {
  n=\${1%%/*}; r=\${1#*/}; nl=\${r%%/*}; r=\${r#*/}; um=\${r%%/*}; m=\${r#"$um"}; m=\${m#/}
  { [ ! -e "$2" ] && [ ! -L "$2" ]; } || rm -f "$2" || return 1
  umask "$um"
  { while [ "$n" -gt 1 ]; do IFS= read -r l || return 1; printf '%s\n' "$l" || return 1; n=$((n - 1)); done
    [ "$n" = 0 ] || { IFS= read -r l || return 1; if [ "$nl" = 1 ]; then printf '%s\n' "$l"; else printf '%s' "$l"; fi; }
  } > "$2" || return 1
  [ -z "$m" ] || chmod "$m" "$2"
}`

/** Past this a byte-wise read (one read(2) per byte) costs more than the tar it saves. */
const MAX_BYTES = 64 * 1024

export interface LinesFile {
  content: string | Buffer
  mode: number
}

/** The files' shapes and stdin, or undefined when one of them must travel as a tar (a NUL byte, or too big). */
export function asLines(files: LinesFile[]): {shapes: string[]; stdin: Buffer} | undefined {
  const parts: Buffer[] = []
  const shapes: string[] = []
  let total = 0
  for (const f of files) {
    const b = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, 'utf8')
    if (b.includes(0)) return undefined
    total += b.length + 1
    if (total > MAX_BYTES) return undefined
    const nl = b.length === 0 || b[b.length - 1] === 0x0a
    let lines = 0
    for (const c of b) if (c === 0x0a) lines++
    if (!nl) lines++
    const mode = f.mode & 0o7777
    const umask = (0o777 & ~mode).toString(8).padStart(4, '0')
    const extra = mode & ~0o666 ? `/${mode.toString(8).padStart(4, '0')}` : ''
    shapes.push(`${lines}/${nl ? 1 : 0}/${umask}${extra}`)
    parts.push(b, nl ? Buffer.alloc(0) : Buffer.from('\n'))
  }
  return {shapes, stdin: Buffer.concat(parts)}
}
