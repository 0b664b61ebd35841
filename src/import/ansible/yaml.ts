/**
 * Ansible's YAML inventory format (`all: {hosts, vars, children: {GROUP: …}}`, any depth) and the JSON that
 * `ansible-inventory --list` prints (groups with host and child lists, every host's vars under `_meta.hostvars`).
 * JSON is YAML, so one parser gives both their lines.
 */
import {isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap} from 'yaml'
import {emptyInventory, expandHostPattern, groupOf, hostOf, problemAt, VAULTED, type AnsibleInventory, type Vars, type Written} from './model.js'

export function parseYaml(text: string, file: string): AnsibleInventory {
  const inv = emptyInventory(file, text)
  const counter = new LineCounter()
  const doc = parseDocument(text, {lineCounter: counter, uniqueKeys: true, prettyErrors: false})
  const at = (node: unknown, where: string): Written => {
    const pos = counter.linePos((node as Node | undefined)?.range?.[0] ?? 0)
    return {line: pos.line, column: pos.col, where}
  }
  for (const e of doc.errors) inv.problems.push(problemAt(inv, at({range: e.pos}, ''), '(syntax)', e.message.split('\n')[0]!, 'fix the YAML syntax at this position'))
  if (inv.problems.length > 0) return inv
  const root = doc.contents
  if (!isMap(root)) {
    inv.problems.push(problemAt(inv, at(root, ''), '(top level)', 'is not a mapping of groups', 'start with all: {children: {lb: {hosts: …}}}'))
    return inv
  }
  const ctx: Ctx = {inv, at}
  if (root.items.some((p) => isScalar(p.key) && p.key.value === '_meta')) listFormat(ctx, root)
  else for (const pair of root.items) group(ctx, String((pair.key as {value?: unknown}).value), pair.value, pair.key)
  if (!inv.groups.has('ungrouped')) inv.groups.set('ungrouped', {name: 'ungrouped', hosts: [], children: [], vars: {}, at: {line: 1, column: 1, where: 'ungrouped'}})
  return inv
}

interface Ctx {
  inv: AnsibleInventory
  at: (node: unknown, where: string) => Written
}

function vars(ctx: Ctx, node: unknown, where: string): Vars {
  const out: Vars = {}
  if (node === null || node === undefined || (isScalar(node) && node.value === null)) return out
  if (!isMap(node)) {
    ctx.inv.problems.push(problemAt(ctx.inv, ctx.at(node, where), where, 'is not a mapping of variables', 'write name: value pairs'))
    return out
  }
  for (const pair of node.items) {
    const key = String((pair.key as {value?: unknown}).value)
    const value = pair.value as Node | null
    // `!vault |` cannot be read without the vault password: kept as such, refused only if a mapped host uses it.
    const data = value?.tag === '!vault' ? VAULTED : value && 'toJSON' in value ? value.toJSON() : null
    out[key] = {...ctx.at(pair.key, where), value: data}
  }
  return out
}

function group(ctx: Ctx, name: string, node: unknown, keyNode: unknown): void {
  const where = name === 'all' ? 'all' : `group ${name}`
  const g = groupOf(ctx.inv, name, ctx.at(keyNode, where))
  if (node === null || (isScalar(node) && node.value === null)) return
  if (!isMap(node)) {
    ctx.inv.problems.push(problemAt(ctx.inv, ctx.at(node, where), name, 'is not a group (hosts, vars, children)', 'write GROUP: {hosts: {HOST: {…}}, vars: {…}, children: {…}}'))
    return
  }
  for (const pair of (node as YAMLMap).items) {
    const key = String((pair.key as {value?: unknown}).value)
    if (key === 'vars') Object.assign(g.vars, vars(ctx, pair.value, `${name}.vars`))
    else if (key === 'hosts') hosts(ctx, g.name, pair.value)
    else if (key === 'children') {
      if (pair.value === null || (isScalar(pair.value) && pair.value.value === null)) continue
      if (!isMap(pair.value)) {
        ctx.inv.problems.push(problemAt(ctx.inv, ctx.at(pair.value, name), `${name}.children`, 'is not a mapping of groups', 'write children: {GROUP: {hosts: …}}'))
        continue
      }
      for (const c of pair.value.items) {
        const child = String((c.key as {value?: unknown}).value)
        if (!g.children.includes(child)) g.children.push(child)
        group(ctx, child, c.value, c.key)
      }
    } else ctx.inv.problems.push(problemAt(ctx.inv, ctx.at(pair.key, name), `${name}.${key}`, `"${key}" is not part of an Ansible group`, 'a group has hosts, vars and children'))
  }
}

function hosts(ctx: Ctx, groupName: string, node: unknown): void {
  if (node === null || (isScalar(node) && node.value === null)) return
  if (!isMap(node)) {
    ctx.inv.problems.push(problemAt(ctx.inv, ctx.at(node, groupName), `${groupName}.hosts`, 'is not a mapping of hosts', 'write hosts: {HOST: {ansible_host: …}}'))
    return
  }
  for (const pair of node.items) {
    const pattern = String((pair.key as {value?: unknown}).value)
    const names = expandHostPattern(pattern)
    if (!names) {
      ctx.inv.problems.push(problemAt(ctx.inv, ctx.at(pair.key, groupName), `${groupName}.hosts`, `"${pattern}" has a host range Ansible would not expand`, 'write a range like web[01:04].example.com or db-[a:c]'))
      continue
    }
    for (const name of names) {
      const h = hostOf(ctx.inv, name, ctx.at(pair.key, `host ${name}`))
      Object.assign(h.vars, vars(ctx, pair.value, `host ${name}`))
      const g = groupOf(ctx.inv, groupName, h.at)
      if (!g.hosts.includes(name)) g.hosts.push(name)
    }
  }
}

/** `ansible-inventory --list`: GROUP: {hosts: [..], children: [..], vars}, and _meta.hostvars.HOST: {..}. */
function listFormat(ctx: Ctx, root: YAMLMap): void {
  for (const pair of root.items) {
    const name = String((pair.key as {value?: unknown}).value)
    if (name === '_meta') continue
    const g = groupOf(ctx.inv, name, ctx.at(pair.key, `group ${name}`))
    if (!isMap(pair.value)) continue
    for (const item of pair.value.items) {
      const key = String((item.key as {value?: unknown}).value)
      const list = isSeq(item.value) ? item.value.items.map((x) => ({name: String((x as {value?: unknown}).value), node: x})) : []
      if (key === 'hosts') {
        for (const h of list) {
          hostOf(ctx.inv, h.name, ctx.at(h.node, `host ${h.name}`))
          if (!g.hosts.includes(h.name)) g.hosts.push(h.name)
        }
      } else if (key === 'children') {
        for (const c of list) if (!g.children.includes(c.name)) g.children.push(c.name)
      } else if (key === 'vars') Object.assign(g.vars, vars(ctx, item.value, `${name}.vars`))
    }
  }
  const meta = root.get('_meta', true)
  const hostvars = isMap(meta) ? meta.get('hostvars', true) : undefined
  if (!isMap(hostvars)) return
  for (const pair of hostvars.items) {
    const name = String((pair.key as {value?: unknown}).value)
    Object.assign(hostOf(ctx.inv, name, ctx.at(pair.key, `host ${name}`)).vars, vars(ctx, pair.value, `_meta.hostvars.${name}`))
  }
}
