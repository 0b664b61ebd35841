import assert from 'node:assert/strict'
import {fileURLToPath} from 'node:url'
import {InventoryError, loadInventory, problemText, sortProblems} from '../../src/inventory/index.js'

/** The repository root: fixtures are loaded from here, so messages show `test/fixtures/…` paths. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * What `lbctl validate` prints for a broken inventory: every problem, sorted by position, formatted as
 * `file:line:column: path: message` + `fix:` line — without the source excerpt between the two, which
 * validate-excerpt.test.ts covers. Fails the test if the inventory loads.
 */
export function problemsOf(fixture: string, env: NodeJS.ProcessEnv = {}): string {
  let error: unknown
  try {
    loadInventory(`test/fixtures/broken/${fixture}`, {cwd: ROOT, env})
  } catch (e) {
    error = e
  }
  assert.ok(error instanceof InventoryError, `${fixture} should not load (got ${String(error)})`)
  return sortProblems(error.problems).map(problemText).join('\n')
}
