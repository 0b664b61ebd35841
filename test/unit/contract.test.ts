/**
 * validate is a contract (issue 11): what it accepts renders files keepalived -t, haproxy -c (without a warning) and
 * shellcheck accept; what it refuses, it refuses at a line; no string in any field adds a directive or a section.
 * A fixed-size sample here (the seed is fixed so the run is the same every time; LBCTL_CONTRACT_SEED and
 * LBCTL_CONTRACT_CASES change it); `npm run contract` runs as many as you like with a random seed.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import type {Keyword} from '../../src/inventory/grammar/args.js'
import {GLOBAL_DEFS} from '../../src/inventory/grammar/global-defs.js'
import {GLOBAL_KEYWORDS} from '../../src/inventory/grammar/haproxy-global.js'
import {OPTIONS, optionPlacementError, type SectionKind} from '../../src/inventory/grammar/haproxy-options.js'
import {generatedRun, HOSTILE, hostileRun, summary} from '../contract/run.js'
import {haproxyCheck, keepalivedCheck, prerequisites} from '../helpers/daemons.js'

const CASES = Number(process.env.LBCTL_CONTRACT_CASES ?? 24)
const SEED = Number(process.env.LBCTL_CONTRACT_SEED ?? 20261121)
const daemons = prerequisites('keepalived') ?? prerequisites('haproxy') ?? prerequisites('shellcheck')

describe('the contract: what validate accepts, the daemons accept', {skip: daemons ?? false}, () => {
  test(`${CASES} generated inventories (seed ${SEED}): every file of every accepted one passes its daemon`, async (t) => {
    const f = await generatedRun(CASES, SEED)
    t.diagnostic(summary('generated inventories', f))
    console.log(summary('generated inventories', f))
    assert.deepEqual(f.failures, [])
    assert.ok(f.rendered > 0 && f.rejected > 0, 'the sample exercises both sides of validate')
    assert.equal(f.accepted, f.files)
  })

  test('hostile strings in every string field and name: refused at their line, or inert', async (t) => {
    // Eight of the fixed ones (newline and brace injection, quotes, comments, shell, NUL, variables) and one drawn
    // per field; npm run contract puts every fixed one and more drawn ones.
    const fixed = [HOSTILE[0]!, HOSTILE[1]!, HOSTILE[3]!, HOSTILE[4]!, HOSTILE[6]!, HOSTILE[10]!, HOSTILE[12]!, HOSTILE[13]!]
    const f = await hostileRun(SEED, {fixed, randomPerField: 1})
    t.diagnostic(summary('hostile strings', f))
    console.log(summary('hostile strings', f))
    assert.deepEqual(f.failures, [])
    assert.ok(f.rejected > 0 && f.rendered > 0)
  })
})

/** A line per keyword with every argument at its lower (or upper) bound. */
function edgeLines(table: Readonly<Record<string, Keyword>>, edge: 'min' | 'max'): string[] {
  return Object.entries(table).map(([name, k]) => [name, ...k.args.map((a) => (a.kind === 'int' || a.kind === 'decimal' ? a[edge] : a.kind === 'enum' ? a.values[edge === 'min' ? 0 : a.values.length - 1] : a.kind === 'duration' ? (edge === 'min' ? (a.positive ? '1' : '0') : '24d') : a.example))].join(' '))
}

describe('the keyword tables validate checks raw lines against hold for the daemons', {skip: daemons ?? false}, () => {
  for (const edge of ['min', 'max'] as const) {
    test(`every global_defs keyword at its ${edge}imum passes keepalived -t`, async () => {
      const r = await keepalivedCheck(`global_defs {\n    script_user root\n${edgeLines(GLOBAL_DEFS, edge).map((l) => `    ${l}\n`).join('')}}\nvrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    virtual_ipaddress {\n        10.0.0.100/24\n    }\n}\n`)
      assert.ok(r.ok, r.output)
    })
    test(`every HAProxy global keyword at its ${edge}imum passes haproxy -c without a warning`, async () => {
      const lines = edgeLines(GLOBAL_KEYWORDS, edge).map((l) => (l.startsWith('description ') ? 'description web tier' : l))
      const r = await haproxyCheck(`global\n    log /dev/log local0\n${lines.map((l) => `    ${l}\n`).join('')}defaults\n    mode http\n    timeout connect 5s\n    timeout client 1m\n    timeout server 1m\nfrontend f\n    bind :80\n    default_backend b\nbackend b\n    server s 10.0.0.1:80\n`)
      assert.ok(r.ok && !/\[WARNING\]/.test(r.output), r.output)
    })
  }

  test('an option validate places in a section passes haproxy -c there; one it refuses there, HAProxy warns about', async () => {
    const wrong: string[] = []
    const section = (kind: SectionKind, mode: 'http' | 'tcp', option: string) => {
      const head = `global\n    log /dev/log local0\ndefaults\n    mode http\n    log global\n    timeout connect 5s\n    timeout client 1m\n    timeout server 1m\n`
      if (kind === 'defaults') return `${head.replace('mode http', `mode ${mode}`)}    option ${option}\nlisten l\n    bind :80\n    mode ${mode}\n    server s 10.0.0.1:80\n`
      const log = mode === 'tcp' && kind !== 'backend' ? '    option tcplog\n' : ''
      const body = kind === 'frontend' ? `    bind :80\n    mode ${mode}\n${log}    option ${option}\n    default_backend b\nbackend b\n    mode ${mode}\n    server s 10.0.0.1:80\n` : kind === 'backend' ? `    mode ${mode}\n    option ${option}\n    server s 10.0.0.1:80\nfrontend f\n    bind :80\n    mode ${mode}\n${mode === 'tcp' ? '    option tcplog\n' : ''}    default_backend x\n` : `    bind :80\n    mode ${mode}\n${log}    option ${option}\n    server s 10.0.0.1:80\n`
      return `${head}${kind} x\n${body}`
    }
    const checks: Promise<void>[] = []
    for (const [name, rule] of Object.entries(OPTIONS).filter(([n]) => n !== 'forwardfor')) {
      // With its required arguments, if any: the first value each one allows.
      const option = [name, ...rule.args.slice(0, rule.args.length - (rule.optional ?? 0)).map((a) => (a.kind === 'enum' ? a.values[0] : a.kind === 'int' ? a.min : ''))].join(' ')
      for (const kind of ['defaults', 'frontend', 'backend', 'listen'] as const) {
        for (const mode of ['http', 'tcp'] as const) {
          const placed = optionPlacementError(option, kind, mode) === undefined
          checks.push(haproxyCheck(section(kind, mode, option)).then((r) => {
            const clean = r.ok && !/\[WARNING\]/.test(r.output)
            if (clean !== placed) wrong.push(`option ${name} in a ${mode} ${kind}: validate ${placed ? 'accepts' : 'refuses'} it, haproxy -c ${clean ? 'is clean' : 'warns or fails'}`)
          }))
          // Two at a time: the machine may be busy.
          if (checks.length % 2 === 0) await Promise.all(checks.splice(0))
        }
      }
    }
    await Promise.all(checks)
    assert.deepEqual(wrong, [])
  })
})
