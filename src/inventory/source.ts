import {isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node} from 'yaml'
import {formatPath, type Path, type Problem} from './problems.js'
import {aliasesTooLarge, nestingTooDeep, type LimitHit} from './yaml-limits.js'

/** A parsed inventory file that can say where any field path came from. */
export class Source {
  readonly lineCounter = new LineCounter()
  readonly doc: Document.Parsed
  private readonly lines: string[]
  private readonly tooDeep: LimitHit | undefined
  private plainValue: {value: unknown} | undefined

  constructor(readonly file: string, readonly text: string) {
    this.lines = text.split(/\r?\n/)
    // The YAML parser recurses: a file nested thousands of levels deep would exhaust its stack, so it is not parsed.
    this.tooDeep = nestingTooDeep(text)
    // uniqueKeys: a key written twice is an error (the second silently winning hides mistakes).
    this.doc = this.tooDeep
      ? parseDocument('{}', {lineCounter: new LineCounter()})
      : parseDocument(text, {lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true, strict: true})
    if (this.tooDeep) {
      this.lineCounter.addNewLine(0)
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineCounter.addNewLine(i + 1)
    }
  }

  /** Syntax errors from the YAML parser, and the limits on nesting and alias expansion, as problems. */
  syntaxProblems(): Problem[] {
    if (this.tooDeep) return [this.at(this.tooDeep.offset, '(syntax)', this.tooDeep.message, this.tooDeep.hint)]
    const errors = this.doc.errors.map((e) =>
      this.at(e.pos[0], '(syntax)', e.message.split('\n')[0]!, e.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : 'fix the YAML syntax at this position'),
    )
    if (errors.length > 0) return errors
    const big = aliasesTooLarge(this.doc)
    return big ? [this.at(big.offset, '(aliases)', big.message, big.hint)] : []
  }

  /** The document as plain data, every alias expanded; call only once syntaxProblems() is empty. */
  plain(): unknown {
    // maxAliasCount off: aliasesTooLarge() already bounds what the aliases expand to, which is what matters.
    this.plainValue ??= {value: this.doc.toJS({maxAliasCount: -1})}
    return this.plainValue.value
  }

  /**
   * Position of the deepest node along `path` that exists. With `key`, points at the key of the last element
   * (useful for "unknown field" where the value may be long).
   */
  locate(path: Path, opts: {key?: boolean} = {}): {line: number; column: number} {
    let node: unknown = this.doc.contents
    let best: number | undefined = rangeStart(node)
    for (const part of path) {
      // A field reached through an alias (a playbook's `tasks: *director_tasks`) is fixed where the anchor is.
      if (isAlias(node)) node = node.resolve(this.doc) ?? node
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part))
        if (!pair) break
        const keyStart = rangeStart(pair.key)
        if (opts.key && part === path[path.length - 1] && keyStart !== undefined) {
          best = keyStart
          break
        }
        node = pair.value
        best = rangeStart(node) ?? keyStart ?? best
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part]
        if (item === undefined) break
        node = item
        best = rangeStart(node) ?? best
      } else {
        break
      }
    }
    const pos = this.lineCounter.linePos(best ?? 0)
    return {line: pos.line, column: pos.col}
  }

  problem(path: Path, message: string, hint?: string, opts: {key?: boolean} = {}): Problem {
    const {line, column} = this.locate(path, opts)
    return {file: this.file, line, column, path: formatPath(path), message, hint, source: this.lines[line - 1]}
  }

  private at(offset: number, path: string, message: string, hint: string): Problem {
    const pos = this.lineCounter.linePos(offset)
    return {file: this.file, line: pos.line, column: pos.col, path, message, hint, source: this.lines[pos.line - 1]}
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range
  return range ? range[0] : undefined
}
