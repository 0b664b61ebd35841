import {isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node} from 'yaml'

/**
 * Bounds on what one inventory may make lbctl build, so a hostile or broken file is a validation error at a line
 * rather than a crash. The bound is on the *expanded* size: aliases are fine (150 aliases to one `ssh:` mapping is a
 * normal file), a "billion laughs" of nested aliases is not. A real inventory is a few thousand values and under 15
 * levels deep.
 */
export const MAX_VALUES = 100_000
export const MAX_DEPTH = 64

export interface LimitHit {
  /** Offset in the text. */
  offset: number
  message: string
  hint: string
}

/**
 * How deep the text nests, without parsing it (the YAML parser itself recurses, and a file nested thousands of
 * levels deep exhausts its stack). Counts block indentation levels, `- ` entries and open flow brackets; quoted text
 * and comments are skipped. It may over-count a little, never under-count, which is why the limit is generous.
 */
export function nestingTooDeep(text: string): LimitHit | undefined {
  const indents: number[] = []
  let flow = 0
  let offset = 0
  for (const line of text.split('\n')) {
    const start = offset
    offset += line.length + 1
    const body = line.replace(/^\s+/, '')
    if (body === '' || body.startsWith('#')) continue
    const indent = line.length - body.length
    if (flow === 0) {
      while (indents.length > 0 && indents[indents.length - 1]! >= indent) indents.pop()
      indents.push(indent)
      for (let i = 0, m = /^-(\s+|$)/.exec(body.slice(i)); m; m = /^-(\s+|$)/.exec(body.slice(i))) {
        i += m[0].length
        indents.push(indent + i)
        if (m[1] === '') break
      }
    }
    let quote = ''
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!
      if (quote) {
        if (c === quote && !(quote === '"' && body[i - 1] === '\\')) quote = ''
        continue
      }
      if (c === '#' && (i === 0 || /\s/.test(body[i - 1]!))) break
      if (c === '"' || c === "'") quote = c
      else if (c === '[' || c === '{') flow++
      else if (c === ']' || c === '}') flow = Math.max(0, flow - 1)
      if (indents.length + flow > MAX_DEPTH) {
        return {
          offset: start + indent + i,
          message: `nests more than ${MAX_DEPTH} levels deep here: lbctl stops reading (an inventory needs about 10)`,
          hint: 'flatten the structure; a list or mapping this deep is not an inventory',
        }
      }
    }
    if (indents.length + flow > MAX_DEPTH) {
      return {offset: start + indent, message: `nests more than ${MAX_DEPTH} levels deep here: lbctl stops reading (an inventory needs about 10)`, hint: 'flatten the structure; a list or mapping this deep is not an inventory'}
    }
  }
  return undefined
}

/**
 * The number of values the document stands for once every alias is expanded, stopping at the first alias (in file
 * order) that takes the total past MAX_VALUES. Each anchored node's expanded size is computed once, so this is linear
 * in the file even when the expansion is exponential.
 */
export function aliasesTooLarge(doc: Document.Parsed): LimitHit | undefined {
  const sizes = new Map<Node, number>()
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      const target = node.resolve(doc)
      return target ? size(target) : 1
    }
    const n = node as Node
    const known = sizes.get(n)
    if (known !== undefined) return known
    let total = 1
    if (isMap(n)) for (const p of n.items) total += (isPair(p) ? size(p.key) + size(p.value) : 0)
    else if (isSeq(n)) for (const item of n.items) total += size(item)
    total = Math.min(total, Number.MAX_SAFE_INTEGER)
    sizes.set(n, total)
    return total
  }

  let running = 0
  let hit: LimitHit | undefined
  const walk = (node: unknown): void => {
    if (hit || node === null || node === undefined) return
    if (isAlias(node)) {
      running += size(node)
      if (running > MAX_VALUES) {
        hit = {
          offset: node.range?.[0] ?? 0,
          message: `the aliases up to here expand the inventory to more than ${MAX_VALUES} values (nested aliases, a "billion laughs"): lbctl stops reading`,
          hint: 'use aliases for shared settings, not aliases of aliases; or write the values out',
        }
      }
      return
    }
    running += 1
    if (isMap(node)) {
      for (const p of node.items) if (isPair(p)) {
        walk(p.key)
        walk(p.value)
      }
    } else if (isSeq(node)) for (const item of node.items) walk(item)
    else if (!isScalar(node)) return
  }
  walk(doc.contents)
  return hit
}
