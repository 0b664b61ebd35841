/**
 * Writes schema/inventory.schema.json from the zod inventory schema, the one source of truth, so editors can
 * complete and check inventories: put `# yaml-language-server: $schema=../schema/inventory.schema.json` (path
 * relative to the inventory) on an inventory's first line. `npm run schema` regenerates it; a unit test fails when
 * the committed file is stale.
 */
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {z} from 'zod'
import {inventory} from '../src/inventory/schema/index.js'

export const SCHEMA_FILE = fileURLToPath(new URL('../schema/inventory.schema.json', import.meta.url))

export function generateSchema(): string {
  // draft-07: what yaml-language-server and most editors understand best.
  // Shared shapes stay inlined: zod would otherwise extract ~250 anonymous "__schemaN" definitions, and an editor
  // hovering a field would show a reference instead of the field's own description.
  const {$schema, ...json} = z.toJSONSchema(inventory, {io: 'input', target: 'draft-7', unrepresentable: 'any'})
  const doc = {$schema, title: 'lbctl inventory', ...json}
  return `${JSON.stringify(doc, null, 2)}\n`
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(SCHEMA_FILE, generateSchema())
  console.log(`wrote ${SCHEMA_FILE}`)
}
