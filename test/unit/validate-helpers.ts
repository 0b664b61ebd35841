import assert from 'node:assert/strict'
import {fileURLToPath} from 'node:url'
import {formatProblem, InventoryError, loadInventory, sortProblems} from '../../src/inventory/index.js'

/** The repository root: fixtures are loaded from here, so messages show `test/fixtures/…` paths. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * What `lbctl validate` prints for a broken inventory: every problem, sorted by position, formatted as
 * `file:line:column: path: message` + `fix:` line. Fails the test if the inventory loads.
 */
export function problemsOf(fixture: string, env: NodeJS.ProcessEnv = {}): string {
  let error: unknown
  try {
    loadInventory(`test/fixtures/broken/${fixture}`, {cwd: ROOT, env})
  } catch (e) {
    error = e
  }
  assert.ok(error instanceof InventoryError, `${fixture} should not load (got ${String(error)})`)
  return sortProblems(error.problems).map(formatProblem).join('\n')
}

/** Warnings of an inventory that loads. */
export function warningsOf(fixture: string, env: NodeJS.ProcessEnv = {}): string {
  const {warnings} = loadInventory(`test/fixtures/valid/${fixture}`, {cwd: ROOT, env})
  return sortProblems(warnings).map(formatProblem).join('\n')
}
