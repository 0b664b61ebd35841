/**
 * The contract run: generated inventories through validate → render → daemons, and hostile strings through every
 * field of test/fixtures/valid/every-field.yaml. Used by test/unit/contract.test.ts (a fixed-size sample in every
 * test run) and by `npm run contract` (as many as you like).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {parse, stringify} from 'yaml'
import {checkInventory, daemonStats} from './check.js'
import {inventory} from './generate.js'
import {FIXTURE_HOSTS} from '../helpers/names.js'
import {HOSTILE, randomHostile, stringFields, tryHostile} from './hostile.js'

export const EVERY_FIELD = join(import.meta.dirname, '..', 'fixtures', 'valid', 'every-field.yaml')
export const EVERY_FIELD_ENV = {LBCTL_TEST_STATS_PASS: 'St4ts pw', LBCTL_TEST_VRRP_PASS: 'vr7p'}

export interface Figures {
  seed: number
  cases: number
  rejected: number
  rendered: number
  /** Files a daemon (keepalived -t, haproxy -c, shellcheck) read, and how many it accepted. */
  files: number
  accepted: number
  failures: string[]
}

const empty = (seed: number): Figures => ({seed, cases: 0, rejected: 0, rendered: 0, files: 0, accepted: 0, failures: []})

/** `cases` inventories drawn with `seed`; each validated, and if accepted rendered and checked by the daemons. */
export async function generatedRun(cases: number, seed: number): Promise<Figures> {
  const f = empty(seed)
  // fc.sample rather than fc.assert: every case runs and counts (the figures are the point), and a failure names
  // the seed and the inventory so it can be replayed and shrunk by hand.
  const drawn = fc.sample(inventory, {numRuns: cases, seed})
  await Promise.all(
    drawn.map(async (d, i) => {
      const text = stringify(d.inventory)
      const o = await checkInventory(text, d.env, {hosts: d.hosts})
      f.cases++
      if (o.verdict === 'rejected') f.rejected++
      else {
        f.rendered++
        const checked = o.files.filter((x) => x.validate === 'keepalived' || x.validate === 'haproxy' || x.kind === 'script')
        f.files += checked.length
        f.accepted += checked.length - o.failures.filter((x) => /refused|warned/.test(x)).length
      }
      if (o.failures.length) f.failures.push(`case ${i} of seed ${seed}:\n${o.failures.join('\n')}\n--- inventory (env ${JSON.stringify(d.env)}, hosts ${JSON.stringify(d.hosts)}):\n${text}`)
    }),
  )
  return f
}

/** Every fixed hostile string and `randomPerField` drawn ones in every string field and name of every-field.yaml. */
export async function hostileRun(seed: number, opts: {fixed: readonly string[]; randomPerField: number}): Promise<Figures> {
  const f = empty(seed)
  const text = readFileSync(EVERY_FIELD, 'utf8')
  const base = parse(text)
  const own = await checkInventory(text, EVERY_FIELD_ENV, {hosts: FIXTURE_HOSTS})
  if (own.verdict !== 'rendered' || own.failures.length) return {...f, failures: [`every-field.yaml itself: ${own.failures.join('\n') || own.problems.map((p) => p.message).join('; ')}`]}
  const fields = stringFields(base)
  const random = fc.sample(randomHostile, {numRuns: fields.length * opts.randomPerField, seed})
  for (const [i, field] of fields.entries()) {
    for (const value of [...opts.fixed, ...random.slice(i * opts.randomPerField, (i + 1) * opts.randomPerField)]) {
      const r = await tryHostile(base, own.files, EVERY_FIELD_ENV, field, value)
      f.cases++
      if (r.verdict === 'rejected') f.rejected++
      else f.rendered++
      f.failures.push(...r.failures)
    }
  }
  return f
}

export function summary(name: string, f: Figures): string {
  const pct = f.files ? ` — daemons accepted ${f.accepted}/${f.files} files (${((100 * f.accepted) / f.files).toFixed(1)} %)` : ''
  return `${name}: ${f.cases} cases (seed ${f.seed}): ${f.rejected} rejected by validate, ${f.rendered} rendered${pct}; ${f.failures.length} broken promise(s); ${daemonStats().distinctChecks} distinct daemon checks`
}

export {HOSTILE}
