import assert from 'node:assert/strict'
import {test} from 'node:test'
import {loadInventory, loadInventoryText} from '../../src/inventory/index.js'
import {problemsOf, ROOT} from './validate-helpers.js'

// Issue 11, "YAML limits": a hostile or broken file is a validation error at a line (exit 2), never a crash. The
// bound is on what the aliases expand to, not on how many there are.

test('nested aliases (a "billion laughs") stop at the alias that expands too far', () => {
  assert.equal(
    problemsOf('60-billion-laughs.yaml'),
    `test/fixtures/broken/60-billion-laughs.yaml:8:8: (aliases): the aliases up to here expand the inventory to more than 100000 values (nested aliases, a "billion laughs"): lbctl stops reading
    fix: use aliases for shared settings, not aliases of aliases; or write the values out`,
  )
})

test('a value nested 200 levels deep stops at the line that goes past 64, before the YAML parser recurses', () => {
  assert.equal(
    problemsOf('61-deep-nesting.yaml'),
    `test/fixtures/broken/61-deep-nesting.yaml:4:68: (syntax): nests more than 64 levels deep here: lbctl stops reading (an inventory needs about 10)
    fix: flatten the structure; a list or mapping this deep is not an inventory`,
  )
})

test('150 aliases to one anchored ssh mapping load: a normal inventory, however many aliases', () => {
  const {cluster} = loadInventory('test/fixtures/valid/many-aliases.yaml', {cwd: ROOT, env: {}})
  assert.equal(cluster.realServers.length, 149)
  assert.deepEqual(cluster.realServers.map((r) => r.ssh.port), Array(149).fill(2222))
})

test('a file nested thousands of levels deep is refused without exhausting the stack', () => {
  for (const text of [`name: x\nv: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`, `name: x\nv:\n${Array.from({length: 3000}, (_, i) => `${' '.repeat(i + 2)}- `).join('\n')}1\n`]) {
    assert.throws(() => loadInventoryText(text, 'deep.yaml', {env: {}}), /deep\.yaml:\d+:\d+: \(syntax\): nests more than 64 levels deep here/)
  }
})
