/**
 * Module planning, pyinfra-style: each fixture under test/fixtures/modules/<module>/ holds the args and the facts a
 * module reads (its probe's answer) and the commands it must yield. One runner turns every file into a test.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {loadInventory} from '../../src/inventory/index.js'
import {MODULES} from '../../src/modules/index.js'
import type {ModuleContext} from '../../src/modules/types.js'
import {renderHost, type RenderedFile} from '../../src/render/index.js'

const dir = join(import.meta.dirname, '..', 'fixtures', 'modules')
const {cluster} = loadInventory(join(dir, 'cluster.yaml'))

interface Fixture {
  description: string
  module: string
  args: Record<string, unknown>
  host?: string
  facts?: Partial<ModuleContext['facts']>
  vars?: Record<string, unknown>
  files?: RenderedFile[] | 'rendered'
  probe?: {code: number; stdout: string; stderr?: string}
  expect: {
    status: string
    probe?: string
    message?: string
    messageStartsWith?: string
    services?: string[]
    commands?: string[]
    commandsStartWith?: string[]
    commandsEndWith?: string[]
  }
}

for (const mod of readdirSync(dir).filter((d) => !d.includes('.'))) {
  for (const file of readdirSync(join(dir, mod)).filter((f) => f.endsWith('.json'))) {
    const fx = JSON.parse(readFileSync(join(dir, mod, file), 'utf8')) as Fixture
    test(`${fx.module}: ${fx.description}`, () => {
      const hostName = fx.host ?? 'lb1'
      const host = [...cluster.directors, ...cluster.realServers].find((h) => h.name === hostName)!
      const ctx: ModuleContext = {
        cluster,
        host,
        files: fx.files === 'rendered' ? renderHost(cluster, hostName) : (fx.files ?? []),
        facts: {systemd: false, packageManager: 'apt', os: 'debian 12', ...fx.facts},
        check: false,
        diff: false,
        releaseId: 'r9-test',
        vars: fx.vars ?? {},
      }
      const m = MODULES[fx.module]
      const args = m.args.parse(fx.args) as never
      if (fx.expect.probe) assert.equal(m.probe!(args, ctx).text, fx.expect.probe)
      const probe = fx.probe ? {stderr: '', ...fx.probe} : undefined
      const plan = m.plan!(args, probe, ctx)
      assert.equal(plan.status, fx.expect.status, plan.message)
      const commands = plan.steps.map((s) => s.command.text)
      if (fx.expect.commands) assert.deepEqual(commands, fx.expect.commands)
      if (fx.expect.message) assert.equal(plan.message, fx.expect.message)
      if (fx.expect.messageStartsWith) assert.ok(plan.message?.startsWith(fx.expect.messageStartsWith), plan.message)
      if (fx.expect.services) assert.deepEqual(plan.services, fx.expect.services)
      fx.expect.commandsStartWith?.forEach((p, i) => assert.ok(commands[i]?.startsWith(p), commands[i]))
      fx.expect.commandsEndWith?.forEach((p, i) => assert.ok(commands[i]?.endsWith(p), commands[i]))
    })
  }
}
