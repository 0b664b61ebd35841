/**
 * Reading rendered files back the way their programs do, to tell whether a value stayed a value: the tokens of each
 * line (keepalived, HAProxy and POSIX sh quoting and comment rules), and a skeleton — each line's first word and
 * how many words it has — that changes when a value adds a directive, a section or a command, or splits in two.
 */

/** keepalived: `#` and `!` start a comment outside double quotes; a double-quoted string is one word. */
export function keepalivedTokens(text: string): string[][] {
  return text.split('\n').map((line) => {
    const words: string[] = []
    let w: string | undefined
    let quoted = false
    for (const c of line) {
      if (quoted) {
        if (c === '"') quoted = false
        else w += c
      } else if (c === '#' || c === '!') break
      else if (c === '"') {
        quoted = true
        w ??= ''
      } else if (/\s/.test(c)) {
        if (w !== undefined) words.push(w)
        w = undefined
      } else w = (w ?? '') + c
    }
    if (w !== undefined) words.push(w)
    return words
  }).filter((l) => l.length > 0)
}

/** HAProxy 2.x: `#` comments, backslash escapes, '…' literal, "…" with escapes. */
export function haproxyTokens(text: string): string[][] {
  return text.split('\n').map((line) => posixish(line, {comment: () => true})).filter((l) => l.length > 0)
}

/** POSIX sh, enough for lbctl's scripts: `#` comments at a word start, quotes, backslashes. */
export function shellTokens(text: string): string[][] {
  return text.split('\n').map((line) => posixish(line, {comment: (word) => word === undefined})).filter((l) => l.length > 0)
}

function posixish(line: string, rules: {comment: (word: string | undefined) => boolean}): string[] {
  const words: string[] = []
  let w: string | undefined
  let q: '' | "'" | '"' = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (q === "'") {
      if (c === "'") q = ''
      else w += c
    } else if (q === '"') {
      if (c === '"') q = ''
      else if (c === '\\' && i + 1 < line.length) w += line[++i]
      else w += c
    } else if (c === '\\' && i + 1 < line.length) w = (w ?? '') + line[++i]
    else if (c === "'" || c === '"') {
      q = c
      w ??= ''
    } else if (c === '#' && rules.comment(w)) break
    else if (/\s/.test(c)) {
      if (w !== undefined) words.push(w)
      w = undefined
    } else w = (w ?? '') + c
  }
  if (w !== undefined) words.push(w)
  return words
}

export function tokensOf(path: string, kind: string, content: string): string[][] {
  if (kind === 'keepalived') return keepalivedTokens(content)
  if (kind === 'haproxy') return haproxyTokens(content)
  if (kind === 'script' || path.endsWith('.sh')) return shellTokens(content)
  // sysctl.d: KEY = VALUE, the value being everything after the "=".
  if (kind === 'sysctl') return content.split('\n').filter((l) => l.trim() !== '' && !/^[#;]/.test(l)).map((l) => [l.slice(0, l.indexOf('=')).trim(), '=', l.slice(l.indexOf('=') + 1).trim()])
  return content.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.trim().split(/\s+/))
}

/** Each line's first word and word count: what a new directive, section or command, or a split value, changes. */
export function skeleton(tokens: string[][]): string[] {
  return tokens.map((l) => `${l[0]} /${l.length}`)
}
