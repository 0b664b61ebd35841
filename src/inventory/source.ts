import {isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node} from 'yaml'
import {formatPath, type Path, type Problem} from './problems.js'

/** A parsed inventory file that can say where any field path came from. */
export class Source {
  readonly lineCounter = new LineCounter()
  readonly doc: Document.Parsed

  constructor(readonly file: string, readonly text: string) {
    // uniqueKeys: a key written twice is an error (the second silently winning hides mistakes).
    this.doc = parseDocument(text, {lineCounter: this.lineCounter, prettyErrors: false, uniqueKeys: true, strict: true})
  }

  /** Syntax errors from the YAML parser, as problems. */
  syntaxProblems(): Problem[] {
    return this.doc.errors.map((e) => {
      const pos = this.lineCounter.linePos(e.pos[0])
      return {
        file: this.file,
        line: pos.line,
        column: pos.col,
        path: '(syntax)',
        message: e.message.split('\n')[0],
        hint: e.code === 'DUPLICATE_KEY' ? 'remove one of the two keys' : 'fix the YAML syntax at this position',
      }
    })
  }

  /**
   * Position of the deepest node along `path` that exists. With `key`, points at the key of the last element
   * (useful for "unknown field" where the value may be long).
   */
  locate(path: Path, opts: {key?: boolean} = {}): {line: number; column: number} {
    let node: unknown = this.doc.contents
    let best: number | undefined = rangeStart(node)
    for (const part of path) {
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
    return {file: this.file, line, column, path: formatPath(path), message, hint}
  }
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | undefined)?.range
  return range ? range[0] : undefined
}
