/**
 * ssh_config(5) `Include`, which Debian's default configs use: each named file (glob wildcards expanded, in
 * lexical order; a relative path is under ~/.ssh for the user's config) is read in place of the directive. Inside
 * a Host or Match block the included lines belong to that block, as in OpenSSH; if an included file opens blocks of
 * its own, the enclosing block is reopened after it so the lines that follow the Include stay where they were.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {isAbsolute, join} from 'node:path'

/** OpenSSH gives up at this depth (READCONF_MAX_DEPTH). */
const MAX_DEPTH = 16

const HEADER = /^\s*(host|match)\b/i
const INCLUDE = /^\s*include(?:\s*=\s*|\s+)(.*)$/i

export function expandIncludes(text: string, opts: {home: string; baseDir: string}, depth = 0): string {
  if (depth > MAX_DEPTH) throw new Error(`ssh config: Include nested more than ${MAX_DEPTH} deep`)
  const out: string[] = []
  let header: string | undefined
  for (const line of text.split(/\r?\n/)) {
    const inc = INCLUDE.exec(line)
    if (!inc) {
      if (HEADER.test(line)) header = line
      out.push(line)
      continue
    }
    let opened = false
    for (const file of words(inc[1]).flatMap((w) => matches(expandHome(w, opts.home), opts.baseDir))) {
      const body = expandIncludes(readFileSync(file, 'utf8'), opts, depth + 1)
      opened ||= body.split('\n').some((l) => HEADER.test(l))
      out.push(body)
    }
    // Lines after the Include belong to the block it was in (top-level lines apply to every host, like Host *).
    if (opened) out.push(header ?? 'Host *')
  }
  return out.join('\n')
}

/** Whitespace-separated words, with double-quoted ones kept whole. */
function words(s: string): string[] {
  return [...s.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!).filter((w) => w && !w.startsWith('#'))
}

function expandHome(p: string, home: string): string {
  return p === '~' || p.startsWith('~/') ? home + p.slice(1) : p
}

/** The files a pattern names, in lexical order; a pattern without wildcards names its file if it exists. */
function matches(pattern: string, baseDir: string): string[] {
  const abs = isAbsolute(pattern) ? pattern : join(baseDir, pattern)
  let paths = ['/']
  for (const part of abs.split('/').filter(Boolean)) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => join(p, part))
      continue
    }
    const re = globPart(part)
    paths = paths.flatMap((p) => {
      try {
        return readdirSync(p).filter((n) => re.test(n) && !(n.startsWith('.') && !part.startsWith('.'))).sort().map((n) => join(p, n))
      } catch {
        return []
      }
    })
  }
  return paths.filter((p) => existsSync(p) && statSync(p).isFile())
}

function globPart(part: string): RegExp {
  let re = ''
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = part.indexOf(']', i + 1)
      if (end < 0) re += '\\['
      else {
        re += `[${part.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}
