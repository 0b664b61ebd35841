import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {test} from 'node:test'
import {parse} from 'yaml'
import {generateSchema, SCHEMA_FILE} from '../../scripts/gen-schema.js'
import {ROOT} from './validate-helpers.js'

// schema/inventory.schema.json is generated from the zod schema (`npm run schema`) for editors; these tests keep
// it from going stale and check that it accepts the inventories lbctl accepts.

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as JsonSchema

test('the committed JSON Schema is what `npm run schema` generates now', () => {
  assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), generateSchema(), 'schema/inventory.schema.json is stale: run `npm run schema`')
})

test('the JSON Schema carries the field descriptions editors show on hover', () => {
  const instance = schema.properties!.vrrp_instances.additionalProperties as JsonSchema
  assert.equal(instance.properties!.virtual_router_id.description, 'VRID, the same on every director of the instance and unique on its L2 segment.')
})

test('the JSON Schema accepts every valid fixture and every example inventory', () => {
  const files = [...yamlFiles(join(ROOT, 'test/fixtures/valid')), ...yamlFiles(join(ROOT, 'inventories'))]
  for (const file of files) {
    assert.deepEqual(validate(schema, parse(readFileSync(file, 'utf8'), {maxAliasCount: -1}), ''), [], relative(ROOT, file))
  }
})

test('the JSON Schema catches what an editor should underline: an unknown field and a bad interface name', () => {
  const doc = parse(readFileSync(join(ROOT, 'test/fixtures/broken/03-unknown-field.yaml'), 'utf8'))
  assert.deepEqual(validate(schema, doc, ''), ['directors.lb1: unknown field prioirty', 'vrrp_instances.VI_1: unknown field advert_interval'])
  const bad = parse(readFileSync(join(ROOT, 'test/fixtures/broken/22-bad-interface-name.yaml'), 'utf8'))
  assert.deepEqual(validate(schema, bad, ''), ['directors.lb1.interface: does not match ^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$'])
})

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [] // inventories/ is written by others and may not exist yet
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  )
}

interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  propertyNames?: JsonSchema
  minProperties?: number
  items?: JsonSchema
  minItems?: number
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  pattern?: string
  minLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  description?: string
}

/**
 * Just enough of JSON Schema draft-07 for the keywords zod emits here (the test above lists them by failing on
 * anything it does not understand), so the check needs no validator dependency.
 */
function validate(s: JsonSchema, v: unknown, at: string): string[] {
  const here = at || '(top level)'
  const known = new Set(['$schema', 'title', 'description', 'format', 'type', 'properties', 'required', 'additionalProperties', 'propertyNames', 'minProperties', 'items', 'minItems', 'anyOf', 'oneOf', 'enum', 'const', 'pattern', 'minLength', 'minimum', 'maximum', 'exclusiveMinimum'])
  const unknown = Object.keys(s).filter((k) => !known.has(k))
  if (unknown.length) return [`${here}: the test validator does not know ${unknown.join(', ')}`]
  if (s.anyOf) return s.anyOf.some((o) => validate(o, v, at).length === 0) ? [] : [`${here}: matches none of anyOf`]
  if (s.oneOf) return s.oneOf.filter((o) => validate(o, v, at).length === 0).length === 1 ? [] : [`${here}: matches not exactly one of oneOf`]
  if ('const' in s && v !== s.const) return [`${here}: is not ${JSON.stringify(s.const)}`]
  if (s.enum && !s.enum.includes(v)) return [`${here}: is not one of ${s.enum.join(', ')}`]
  const types = s.type === undefined ? [] : ([] as string[]).concat(s.type)
  if (types.length && !types.some((t) => typeOk(t, v))) return [`${here}: is not ${types.join(' or ')}`]
  const out: string[] = []
  if (typeof v === 'string') {
    if (s.pattern && !new RegExp(s.pattern).test(v)) out.push(`${here}: does not match ${s.pattern}`)
    if (s.minLength !== undefined && v.length < s.minLength) out.push(`${here}: is too short`)
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${here}: is below ${s.minimum}`)
    if (s.maximum !== undefined && v > s.maximum) out.push(`${here}: is above ${s.maximum}`)
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) out.push(`${here}: is not above ${s.exclusiveMinimum}`)
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${here}: has too few items`)
    if (s.items) v.forEach((item, i) => out.push(...validate(s.items!, item, `${at}[${i}]`)))
  } else if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>
    const child = (k: string) => (at ? `${at}.${k}` : k)
    for (const r of s.required ?? []) if (!(r in o)) out.push(`${here}: missing ${r}`)
    if (s.minProperties !== undefined && Object.keys(o).length < s.minProperties) out.push(`${here}: has too few entries`)
    for (const [k, item] of Object.entries(o)) {
      if (s.propertyNames) out.push(...validate(s.propertyNames, k, child(k)))
      if (s.properties?.[k]) out.push(...validate(s.properties[k], item, child(k)))
      else if (s.additionalProperties === false) out.push(`${here}: unknown field ${k}`)
      else if (typeof s.additionalProperties === 'object') out.push(...validate(s.additionalProperties, item, child(k)))
    }
  }
  return out
}

function typeOk(t: string, v: unknown): boolean {
  if (t === 'integer') return Number.isInteger(v)
  if (t === 'array') return Array.isArray(v)
  if (t === 'object') return v !== null && typeof v === 'object' && !Array.isArray(v)
  if (t === 'null') return v === null
  return typeof v === t
}
