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

/** `file:line:col: path: message` then an indented `fix:` line, like a compiler. */
export function formatProblem(p: Problem): string {
  const head = `${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`
  return p.hint ? `${head}\n    fix: ${p.hint}` : head
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
