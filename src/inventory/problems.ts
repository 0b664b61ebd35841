/** One thing wrong with an inventory, pointing at where to fix it. */
export interface Problem {
  file: string
  line: number
  column: number
  /** Field path in the inventory, e.g. `vrrp_instances.VI_1.auth_pass`. */
  path: string
  /** What is wrong, as a sentence fragment that follows the path. */
  message: string
  /** How to fix it. */
  hint?: string
  /** The text of the offending line, shown under the message with a caret at the column. */
  source?: string
}

export type Path = ReadonlyArray<string | number>

export function formatPath(path: Path): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? part : `.${part}`
  }
  return out === '' ? '(top level)' : out
}

/** Like a compiler: `file:line:col: path: message`, the offending line with a caret under the column, then `fix:`. */
export function formatProblem(p: Problem): string {
  return render(p, true)
}

/** The same without the source excerpt: the words alone (what tests of the messages compare). */
export function problemText(p: Problem): string {
  return render(p, false)
}

function render(p: Problem, withSource: boolean): string {
  const lines = [`${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`]
  if (withSource && p.source !== undefined && p.line > 0) lines.push(...excerpt(p.source, p.line, p.column))
  if (p.hint) lines.push(`    fix: ${p.hint}`)
  return lines.join('\n')
}

// Long lines (a minified flow mapping, a billion-laughs line) are shown as a window around the column.
const WIDTH = 100

/** ` 12 | text` and `    |     ^`, the gutter as wide as the line number. */
function excerpt(text: string, line: number, column: number): string[] {
  // One column per character: a tab would move the caret by a terminal-dependent amount.
  let shown = text.replace(/\t/g, ' ')
  let caret = Math.max(1, Math.min(column, shown.length + 1))
  if (shown.length > WIDTH) {
    const start = Math.max(0, Math.min(caret - 1 - WIDTH / 2, shown.length - WIDTH))
    const head = start > 0 ? '…' : ''
    const tail = start + WIDTH < shown.length ? '…' : ''
    shown = `${head}${shown.slice(start, start + WIDTH)}${tail}`
    caret = caret - start + head.length
  }
  const gutter = String(line)
  return [`  ${gutter} | ${shown}`, `  ${' '.repeat(gutter.length)} | ${' '.repeat(caret - 1)}^`]
}

export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.path.localeCompare(b.path))
}

/** Thrown when an inventory cannot be used; carries every problem found, not just the first. */
export class InventoryError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the inventory:\n${sortProblems(problems).map(formatProblem).join('\n')}`)
    this.name = 'InventoryError'
  }
}
