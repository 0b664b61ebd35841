/**
 * Problems quote the offending line with a caret under the column, like a compiler, on a terminal and in plain
 * output alike — and never a password written on that line.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {formatProblem, InventoryError, loadInventory, loadInventoryText, sortProblems} from '../../src/inventory/index.js'
import {ROOT} from './validate-helpers.js'

function printed(load: () => unknown): string {
  try {
    load()
  } catch (e) {
    if (e instanceof InventoryError) return sortProblems(e.problems).map(formatProblem).join('\n')
    throw e
  }
  assert.fail('the inventory loaded')
}

test('the line and a caret under the column, between the problem and its fix', () => {
  assert.equal(
    printed(() => loadInventory('test/fixtures/broken/06-vrid-out-of-range.yaml', {cwd: ROOT, env: {}})),
    `test/fixtures/broken/06-vrid-out-of-range.yaml:6:29: vrrp_instances.VI_1.virtual_router_id: must be from 1 to 255 (keepalived refuses 0) (got 256)
  6 |   VI_1: {virtual_router_id: 256, vips: [10.0.0.100/24]}
    |                             ^
    fix: use a whole number from 1 to 255
test/fixtures/broken/06-vrid-out-of-range.yaml:7:29: vrrp_instances.VI_2.virtual_router_id: must be from 1 to 255 (keepalived refuses 0) (got 0)
  7 |   VI_2: {virtual_router_id: 0, vips: [10.0.0.101/24]}
    |                             ^
    fix: use a whole number from 1 to 255`,
  )
})

test('a long line is shown as a window around the column, the caret still under it', () => {
  const long = `name: shop\ndescription: x\ndirectors: {${Array.from({length: 12}, (_, i) => `lb${i}: {address: 10.0.0.${i + 10}}`).join(', ')}, lbX: {address: 10.0.0.300}}\nvrrp_instances: {VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24]}}\n`
  const text = printed(() => loadInventoryText(long, 'long.yaml', {env: {}}))
  const [head, line, caret] = text.split('\n')
  assert.match(head!, /^long\.yaml:3:\d+: directors\.lbX\.address: is not an IPv4 address/)
  assert.ok(line!.startsWith('  3 | …') && line!.endsWith('}') && line!.length <= 110, line)
  assert.equal(line![caret!.indexOf('^')], '1', `caret under the value:\n${line}\n${caret}`)
})

test('a password written on the offending line is masked there too', () => {
  const yaml = 'name: shop\ndirectors: {lb1: {address: 10.0.0.11}}\nvrrp_instances:\n  VI_1:\n    virtual_router_id: 51\n    vips: [10.0.0.100/24]\n    auth_pass: hunter2-longer\n'
  assert.equal(
    printed(() => loadInventoryText(yaml, 'shop.yaml', {env: {}})),
    `shop.yaml:7:16: vrrp_instances.VI_1.auth_pass: is 14 characters long, but VRRP carries 8: keepalived keeps only the first 8 ("Truncating auth_pass to 8 characters"), so any password sharing them would be accepted
  7 |     auth_pass: ********
    |                ^
    fix: use a password of at most 8 characters`,
  )
})
