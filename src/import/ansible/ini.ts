/**
 * Ansible's INI inventory format, as ansible/plugins/inventory/ini.py reads it: `[group]` lists hosts (a host
 * pattern, then key=value vars, split like a shell line), `[group:vars]` sets key=value per line, `[group:children]`
 * names child groups; hosts before any section are "ungrouped"; `#` and `;` start comment lines.
 */
import {emptyInventory, expandHostPattern, groupOf, hostOf, problemAt, type AnsibleInventory, type Written} from './model.js'

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:[#;].*)?$/

export function parseIni(text: string, file: string): AnsibleInventory {
  const inv = emptyInventory(file, text)
  let group = 'ungrouped'
  let kind: 'hosts' | 'vars' | 'children' = 'hosts'
  inv.lines.forEach((raw, i) => {
    const line = raw.trim()
    const indent = raw.length - raw.trimStart().length
    const at: Written = {line: i + 1, column: indent + 1, where: kind === 'vars' ? `[${group}:vars]` : `[${group}]`}
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return
    if (line.startsWith('[')) {
      const m = SECTION.exec(line)
      if (!m || (m[2] !== undefined && m[2] !== 'vars' && m[2] !== 'children')) {
        inv.problems.push(problemAt(inv, at, '(section)', `"${line}" is not a section Ansible knows`, 'write [GROUP], [GROUP:vars] or [GROUP:children]'))
        kind = 'vars' // ignore what follows until the next good header, without a problem per line
        group = '(invalid)'
        return
      }
      group = m[1]!
      kind = (m[2] as typeof kind | undefined) ?? 'hosts'
      groupOf(inv, group, {...at, where: `[${line.slice(1, line.indexOf(']'))}]`})
      return
    }
    if (group === '(invalid)') return
    if (kind === 'children') {
      const child = shellWords(line)[0]?.word ?? line
      groupOf(inv, group, at).children.push(child)
      groupOf(inv, child, at)
      return
    }
    if (kind === 'vars') {
      const eq = line.indexOf('=')
      if (eq < 1) {
        inv.problems.push(problemAt(inv, at, `[${group}:vars]`, `"${line}" is not key=value`, 'write one variable per line, like ansible_user=deploy'))
        return
      }
      const key = line.slice(0, eq).trim()
      groupOf(inv, group, at).vars[key] = {...at, where: `[${group}:vars]`, value: iniValue(line.slice(eq + 1).trim())}
      return
    }
    hostLine(inv, raw, at, group)
  })
  if (!inv.groups.has('ungrouped')) inv.groups.set('ungrouped', {name: 'ungrouped', hosts: [], children: [], vars: {}, at: {line: 1, column: 1, where: 'ungrouped'}})
  return inv
}

function hostLine(inv: AnsibleInventory, raw: string, at: Written, group: string): void {
  const [first, ...rest] = shellWords(raw)
  if (!first) return
  let pattern = first.word
  const vars: Record<string, {value: unknown; column: number}> = {}
  // host:port, as Ansible allows for IPv4 addresses and names (not for a bare IPv6 address).
  const port = /^([^:\[\]]+|[^:]*\[[^\]]*\][^:]*):(\d+)$/.exec(pattern)
  if (port) {
    pattern = port[1]!
    vars.ansible_port = {value: Number(port[2]), column: first.column}
  }
  for (const t of rest) {
    const eq = t.word.indexOf('=')
    if (eq < 1) {
      inv.problems.push(problemAt(inv, {line: at.line, column: t.column}, `[${group}]`, `"${t.word}" after the host is not key=value`, 'write host variables as key=value after the host name'))
      continue
    }
    vars[t.word.slice(0, eq)] = {value: iniValue(t.word.slice(eq + 1)), column: t.column}
  }
  const names = expandHostPattern(pattern)
  if (!names) {
    inv.problems.push(problemAt(inv, {line: at.line, column: first.column}, `[${group}]`, `"${pattern}" has a host range Ansible would not expand`, 'write a range like web[01:04].example.com or db-[a:c]'))
    return
  }
  for (const name of names) {
    const h = hostOf(inv, name, {...at, column: first.column, where: `[${group}]`})
    for (const [k, v] of Object.entries(vars)) h.vars[k] = {line: at.line, column: v.column, where: `host ${name} in [${group}]`, value: v.value}
    const g = groupOf(inv, group, at)
    if (!g.hosts.includes(name)) g.hosts.push(name)
  }
}

/**
 * A value as Ansible's INI reader turns it into data (it tries Python's literal_eval): whole and decimal numbers,
 * True/False, and a quoted string without its quotes; anything else stays text.
 */
export function iniValue(v: string): unknown {
  if (/^-?\d+$/.test(v)) return Number(v)
  if (/^-?\d+\.\d+$/.test(v)) return Number(v)
  if (v === 'True' || v === 'False') return v === 'True'
  const q = /^(['"])(.*)\1$/s.exec(v)
  if (q) return q[2]!.replace(/\\(.)/g, '$1')
  return v
}

/** A line split like a POSIX shell (Python's shlex with comments): quotes group, `#` at a word's start ends the line. */
export function shellWords(line: string): Array<{word: string; column: number}> {
  const out: Array<{word: string; column: number}> = []
  let word: string | undefined
  let start = 0
  let quote = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = ''
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i]!
      else word += c
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push({word, column: start + 1})
      word = undefined
    } else if (c === '#' && word === undefined) break
    else {
      if (word === undefined) [word, start] = ['', i]
      if (c === "'" || c === '"') quote = c
      else if (c === '\\' && i + 1 < line.length) word += line[++i]!
      else word += c
    }
  }
  if (word !== undefined) out.push({word, column: start + 1})
  return out
}
