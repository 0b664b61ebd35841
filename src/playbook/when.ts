/**
 * `when:` expressions, deliberately tiny: names (dotted paths into the context), literals ('text', numbers, true,
 * false), ==, !=, not, and, or, parentheses. No function calls, no side effects, nothing from the host.
 */
type Token = {t: 'name' | 'str' | 'num' | 'op' | 'lp' | 'rp'; v: string}

function tokenize(src: string): Token[] {
  const out: Token[] = []
  const re = /\s*(?:(\()|(\))|(==|!=)|'([^']*)'|"([^"]*)"|(-?\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_.]*))/y
  let i = 0
  while (i < src.length) {
    if (/^\s*$/.test(src.slice(i))) break
    re.lastIndex = i
    const m = re.exec(src)
    if (!m) throw new Error(`when: cannot read "${src.slice(i).trim()}" in "${src}"`)
    i = re.lastIndex
    if (m[1]) out.push({t: 'lp', v: '('})
    else if (m[2]) out.push({t: 'rp', v: ')'})
    else if (m[3]) out.push({t: 'op', v: m[3]})
    else if (m[4] !== undefined) out.push({t: 'str', v: m[4]})
    else if (m[5] !== undefined) out.push({t: 'str', v: m[5]})
    else if (m[6] !== undefined) out.push({t: 'num', v: m[6]})
    else if (['and', 'or', 'not'].includes(m[7])) out.push({t: 'op', v: m[7]})
    else out.push({t: 'name', v: m[7]})
  }
  return out
}

export function evaluateWhen(src: string, ctx: Record<string, unknown>): boolean {
  const toks = tokenize(src)
  let pos = 0
  const peek = () => toks[pos]
  const take = () => toks[pos++]
  const lookup = (path: string): unknown => {
    if (path === 'true') return true
    if (path === 'false') return false
    let v: unknown = ctx
    for (const part of path.split('.')) {
      if (v === null || typeof v !== 'object' || !(part in (v as object))) return undefined
      v = (v as Record<string, unknown>)[part]
    }
    return v
  }
  const primary = (): unknown => {
    const tok = take()
    if (!tok) throw new Error(`when: unexpected end of "${src}"`)
    if (tok.t === 'lp') {
      const v = or()
      if (take()?.t !== 'rp') throw new Error(`when: missing ")" in "${src}"`)
      return v
    }
    if (tok.t === 'op' && tok.v === 'not') return !truthy(cmp())
    if (tok.t === 'str') return tok.v
    if (tok.t === 'num') return Number(tok.v)
    if (tok.t === 'name') return lookup(tok.v)
    throw new Error(`when: unexpected "${tok.v}" in "${src}"`)
  }
  const cmp = (): unknown => {
    const left = primary()
    const op = peek()
    if (op?.t === 'op' && (op.v === '==' || op.v === '!=')) {
      take()
      const right = primary()
      return op.v === '==' ? left === right : left !== right
    }
    return left
  }
  const and = (): unknown => {
    let v = cmp()
    while (peek()?.t === 'op' && peek()!.v === 'and') {
      take()
      const r = cmp()
      v = truthy(v) && truthy(r)
    }
    return v
  }
  const or = (): unknown => {
    let v = and()
    while (peek()?.t === 'op' && peek()!.v === 'or') {
      take()
      const r = and()
      v = truthy(v) || truthy(r)
    }
    return v
  }
  const result = or()
  if (pos !== toks.length) throw new Error(`when: unexpected "${toks[pos].v}" in "${src}"`)
  return truthy(result)
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  return Boolean(v)
}
