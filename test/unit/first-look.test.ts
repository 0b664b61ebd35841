/**
 * A health check's first look (modules/types.ts FirstLook): answered with the play's first round trip, it settles a
 * `wait_for` or `drains` task with no round trip of its own — only when the answer says so; otherwise the module
 * runs and asks the host itself.
 */
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {test} from 'node:test'
import {loadInventory} from '../../src/inventory/index.js'
import type {HostIO, ModuleContext} from '../../src/modules/types.js'
import {executeTask, firstLookOf, probeFor} from '../../src/playbook/execute.js'
import type {ExecResult} from '../../src/transport/types.js'

const {cluster} = loadInventory(join(import.meta.dirname, '..', 'fixtures', 'modules', 'cluster.yaml'))
const ctx = (check = false): ModuleContext => ({
  cluster,
  host: cluster.directors[0],
  files: [],
  facts: {systemd: false, packageManager: 'apt', os: 'debian 12'},
  check,
  diff: false,
  releaseId: 'r9-test',
  vars: {},
})

/** A host that answers every command with `answer` and counts them. */
function host(answer: ExecResult) {
  const sent: string[] = []
  const io: HostIO = {exec: async (c) => (sent.push(c.text), answer), peer: () => io}
  return {io, sent}
}
const up = {code: 0, stdout: '', stderr: ''}
const down = {code: 1, stdout: '', stderr: ''}
const haproxyUp = {name: 'haproxy healthy', module: 'wait_for', args: {service: 'haproxy', timeout: 1}}

test('a daemon running at the first look is healthy with no round trip of its own', async () => {
  const {io, sent} = host(up)
  const r = await executeTask(haproxyUp, ctx(), io, 'p', up)
  assert.deepEqual([r.status, r.message, sent.length], ['ok', 'haproxy running', 0])
})

test('a daemon not running at the first look is waited for, on the host', async () => {
  const {io, sent} = host(up)
  const r = await executeTask(haproxyUp, ctx(), io, 'p', down)
  assert.equal(r.status, 'ok')
  assert.ok(sent.length >= 1, 'the module asked the host itself')
})

test('without a fresh first look (something changed on the host since) the module asks the host', async () => {
  const {io, sent} = host(up)
  await executeTask(haproxyUp, ctx(), io, 'p', undefined)
  assert.ok(sent.length >= 1)
})

test('the VIP check and port waits have no first look: they always look now', () => {
  for (const args of [{vip: true}, {port: 80}, {service: 'haproxy', port: 80}]) {
    assert.equal(firstLookOf({module: 'wait_for', args}, ctx()), undefined, JSON.stringify(args))
    assert.equal(probeFor({module: 'wait_for', args}, ctx()), undefined)
  }
  assert.deepEqual(firstLookOf(haproxyUp, ctx())?.reads, ['service:haproxy', 'file', 'net'])
})

test('drains: an empty drained list at the first look settles it; a listed server makes it run', async () => {
  const task = {name: 'drains', module: 'drains', args: {}}
  const empty = host(up)
  const r = await executeTask(task, ctx(), empty.io, 'p', {code: 0, stdout: '@@ drained\n', stderr: ''})
  assert.deepEqual([r.status, r.message, empty.sent.length], ['ok', 'no drained server', 0])
  const listed = host({code: 0, stdout: '@@ drained\n', stderr: ''})
  await executeTask(task, ctx(), listed.io, 'p', {code: 0, stdout: '@@ drained\nweb web2\n', stderr: ''})
  assert.ok(listed.sent.length >= 1)
})
