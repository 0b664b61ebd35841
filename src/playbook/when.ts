/**
 * `when:`, `changed_when:` and `failed_when:` expressions, deliberately tiny: names (dotted paths into the context),
 * literals ('text', numbers, true, false), ==, !=, `in` (a substring, or a member of a list), not, and, or,
 * parentheses. No function calls, no side effects, nothing from the host but a command's own rc/stdout/stderr.
 * Parsed once when the playbook is loaded, so a typo is a problem at its line before any host is contacted.
 */
type Token = {t: 'name' | 'str' | 'num' | 'op' | 'lp' | 'rp'; v: string}

export type Expr =
  | {k: 'lit'; v: unknown}
  | {k: 'name'; path: string}
  | {k: 'not'; e: Expr}
  | {k: 'bin'; op: '==' | '!=' | 'in' | 'and' | 'or'; l: Expr; r: Expr}

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
    else if (['and', 'or', 'not', 'in'].includes(m[7])) out.push({t: 'op', v: m[7]})
    else out.push({t: 'name', v: m[7]})
  }
  return out
}

/** Parses an expression; a syntax error throws with the expression quoted. */
export function parseWhen(src: string): Expr {
  const toks = tokenize(src)
  let pos = 0
  const peek = () => toks[pos]
  const take = () => toks[pos++]
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v
  const primary = (): Expr => {
    const tok = take()
    if (!tok) throw new Error(`when: unexpected end of "${src}"`)
    if (tok.t === 'lp') {
      const e = or()
      if (take()?.t !== 'rp') throw new Error(`when: missing ")" in "${src}"`)
      return e
    }
    if (tok.t === 'op' && tok.v === 'not') return {k: 'not', e: cmp()}
    if (tok.t === 'str') return {k: 'lit', v: tok.v}
    if (tok.t === 'num') return {k: 'lit', v: Number(tok.v)}
    if (tok.t === 'name') return tok.v === 'true' ? {k: 'lit', v: true} : tok.v === 'false' ? {k: 'lit', v: false} : {k: 'name', path: tok.v}
    throw new Error(`when: unexpected "${tok.v}" in "${src}"`)
  }
  const cmp = (): Expr => {
    const l = primary()
    for (const op of ['==', '!=', 'in'] as const) {
      if (isOp(op)) {
        take()
        return {k: 'bin', op, l, r: primary()}
      }
    }
    return l
  }
  const chain = (op: 'and' | 'or', next: () => Expr) => (): Expr => {
    let e = next()
    while (isOp(op)) {
      take()
      e = {k: 'bin', op, l: e, r: next()}
    }
    return e
  }
  const and = chain('and', cmp)
  const or = chain('or', and)
  const e = or()
  if (pos !== toks.length) throw new Error(`when: unexpected "${toks[pos].v}" in "${src}"`)
  return e
}

/** The first part of every name an expression reads (`vars.tier` → `vars`): what a playbook check compares with the context's names. */
export function namesIn(e: Expr): string[] {
  switch (e.k) {
    case 'lit':
      return []
    case 'name':
      return [e.path.split('.')[0]]
    case 'not':
      return namesIn(e.e)
    case 'bin':
      return [...namesIn(e.l), ...namesIn(e.r)]
  }
}

export function evaluate(e: Expr, ctx: Record<string, unknown>): unknown {
  switch (e.k) {
    case 'lit':
      return e.v
    case 'name': {
      let v: unknown = ctx
      for (const part of e.path.split('.')) {
        if (v === null || typeof v !== 'object' || !(part in (v as object))) return undefined
        v = (v as Record<string, unknown>)[part]
      }
      return v
    }
    case 'not':
      return !truthy(evaluate(e.e, ctx))
    case 'bin': {
      const l = evaluate(e.l, ctx)
      if (e.op === 'and') return truthy(l) && truthy(evaluate(e.r, ctx))
      if (e.op === 'or') return truthy(l) || truthy(evaluate(e.r, ctx))
      const r = evaluate(e.r, ctx)
      if (e.op === '==') return l === r
      if (e.op === '!=') return l !== r
      if (Array.isArray(r)) return r.includes(l)
      return typeof r === 'string' && typeof l === 'string' ? r.includes(l) : false
    }
  }
}

export function evaluateWhen(src: string, ctx: Record<string, unknown>): boolean {
  return truthy(evaluate(parseWhen(src), ctx))
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0
  return Boolean(v)
}
