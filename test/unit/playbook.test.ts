import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {InventoryError, formatProblem, loadInventory} from '../../src/inventory/index.js'
import {describeHolder, parseFactsAndLock} from '../../src/playbook/lock.js'
import {loadPlaybook} from '../../src/playbook/load.js'
import {lineage, nextReleaseId, parseReleaseState, prunable, type HistoryEntry} from '../../src/modules/release-history.js'
import {deployDecision, rollbackDecision} from '../../src/playbook/releases.js'
import {groupMembers, limitFilter, playHosts} from '../../src/playbook/targets.js'
import {evaluateWhen} from '../../src/playbook/when.js'

const {cluster} = loadInventory(join(import.meta.dirname, '..', 'fixtures', 'modules', 'cluster.yaml'))
const names = (hs: {name: string}[]) => hs.map((h) => h.name)

describe('when: expressions', () => {
  const ctx = {haproxy: true, lvs: false, host: 'lb1', groups: {canary: true}, vars: {tier: 'edge', n: 2}}
  for (const [expr, want] of [
    ['haproxy', true],
    ['lvs', false],
    ['not lvs', true],
    ['haproxy and not lvs', true],
    ['lvs or groups.canary', true],
    ["vars.tier == 'edge'", true],
    ['vars.tier != "edge"', false],
    ['vars.n == 2', true],
    ['(lvs or haproxy) and host == \'lb1\'', true],
    ['groups.missing', false],
  ] as const) {
    test(`${expr} → ${want}`, () => assert.equal(evaluateWhen(expr, ctx), want))
  }
  test('garbage is an error that quotes the expression, not false', () => {
    assert.throws(() => evaluateWhen('haproxy &&& lvs', ctx), /when: cannot read "&&& lvs" in "haproxy &&& lvs"/)
    assert.throws(() => evaluateWhen('(haproxy', ctx), /missing "\)"/)
  })
})

describe('targets: HA-safe groups and --limit', () => {
  test('backup_directors are the directors that master no instance; master_directors the others', () => {
    assert.deepEqual(names(groupMembers(cluster, 'backup_directors')!), ['lb2'])
    assert.deepEqual(names(groupMembers(cluster, 'master_directors')!), ['lb1'])
    assert.deepEqual(names(groupMembers(cluster, 'managed_real_servers')!), ['web1', 'web2'], 'LVS-DR real servers are managed')
  })
  test('a play naming an unknown group is an error, not an empty play', () => {
    assert.throws(() => playHosts(cluster, 'webservers'), /play targets "webservers", which is neither a group nor a host of inventory fixture/)
  })
  test('--limit takes hosts and groups, and ! excludes', () => {
    const all = [...cluster.directors, ...cluster.realServers]
    assert.deepEqual(names(all.filter(limitFilter(cluster, 'lb2,web1'))), ['lb2', 'web1'])
    assert.deepEqual(names(all.filter(limitFilter(cluster, 'directors'))), ['lb1', 'lb2'])
    assert.deepEqual(names(all.filter(limitFilter(cluster, '!lb1'))), ['lb2', 'web1', 'web2'])
    assert.throws(() => limitFilter(cluster, 'lb9'), /--limit: "lb9" is neither a host nor a group of inventory fixture/)
  })
})

describe('releases', () => {
  const h = (...xs: string[]): HistoryEntry[] => xs.map((x) => ({time: '-', action: x.startsWith('<') ? 'rollback' : 'deploy', id: x.replace('<', '')}))
  const state = (current: string, history: HistoryEntry[], ids = [...new Set(history.map((e) => e.id))]) =>
    parseReleaseState([`current ${current}`, ...history.map((e) => `history ${e.time} ${e.action} ${e.id}`), ...ids.map((id) => `release ${id} -`)].join('\n'))

  test('rollback returns to what ran before: A → B → rollback → C → rollback is A, not B', () => {
    assert.deepEqual(lineage(h('A', 'B', '<A', 'C')), ['A', 'C'])
    const decide = rollbackDecision(undefined, false)
    assert.deepEqual(decide(new Map([['lb1', state('C', h('A', 'B', '<A', 'C'))], ['lb2', state('C', h('A', 'B', '<A', 'C'))]])), {id: 'A', vars: {release: 'A', force: false}})
  })
  test('successive rollbacks walk back; at the first release there is nothing to roll back to', () => {
    assert.deepEqual(lineage(h('A', 'B', 'C', '<B')), ['A', 'B'])
    assert.match((rollbackDecision(undefined, false)(new Map([['lb1', state('A', h('A', 'B', '<A'))]])) as {refused: string}).refused, /release A is the oldest there is: nothing to roll back to/)
  })
  test('a deploy that stopped after the backup: the cluster rolls back to what both ran before', () => {
    const d = rollbackDecision(undefined, false)(new Map([['lb2', state('B', h('A', 'B'))], ['lb1', state('A', h('A'), ['A', 'B'])]]))
    assert.deepEqual(d, {id: 'A', vars: {release: 'A', force: false}})
  })
  test('hosts that went different ways, or lack the target, are named and refused unless --force', () => {
    const split = rollbackDecision(undefined, false)(new Map([['lb1', state('B', h('A', 'B'))], ['lb2', state('C', h('A', 'C'))]]))
    assert.match((split as {refused: string}).refused, /different releases \(lb1: A → B; lb2: A → C\); choose one with --to ID/)
    const states = new Map([['lb1', state('B', h('A', 'B'))], ['lb2', state('B', h('A', 'B'), ['B'])]])
    assert.match((rollbackDecision(undefined, false)(states) as {refused: string}).refused, /release A is not on lb2 \(pruned, or never deployed there\)/)
    assert.deepEqual(rollbackDecision(undefined, true)(states), {id: 'A', vars: {release: 'A', force: true}})
    assert.match((rollbackDecision('Z', false)(states) as {invalid: string}).invalid, /--to: no host has release Z \(known: A, B\)/)
  })
  test('pruning keeps the current release, the rollback target and the last activated, whatever their names', () => {
    // r1 is the oldest by name and by date, and the rollback target once r4 is active: it stays.
    const s = state('r1-x', h('r1-x', 'r2-x', 'r3-x', '<r1-x'))
    assert.deepEqual(prunable(s, {time: '-', action: 'deploy', id: 'r4-x'}, 2), ['r2-x', 'r3-x'])
  })
  test('IDs come from what the hosts hold, never from a clock; one desired state has one ID', () => {
    assert.equal(nextReleaseId([state('r9-a', h('r2-a', 'r9-a')), state('-', [])], 'beef0000cafe'), 'r10-beef0000')
    const decide = deployDecision(cluster)
    const first = decide(new Map([['lb1', state('-', [])]])) as {id: string; bundle: string}
    assert.equal(first.id.startsWith('r1-'), true)
    const again = decide(new Map([['lb1', parseReleaseState(`current r5-old\nrelease ${first.id.replace('r1', 'r4')} ${first.bundle}\nrelease r5-old -`)]]))
    assert.deepEqual(again, {id: first.id.replace('r1', 'r4'), bundle: first.bundle}, 'a host that holds this state names it')
  })
})

describe('lock', () => {
  test('facts and lock answer in one round trip', () => {
    const r = parseFactsAndLock('systemd=0\npm=apt-get\nos=debian 12\nlock=held\nholder={"runId":"r","user":"bob","controller":"ci-7","pid":12,"since":"2026-11-21T09:00:00.000Z","command":"rollback"}\n')
    assert.deepEqual(r.facts, {systemd: false, packageManager: 'apt', os: 'debian 12'})
    assert.equal(r.lock, 'held')
    assert.equal(r.holder?.user, 'bob')
  })
  test('a holder on another controller is reported as live; a dead pid here as stale', () => {
    const since = '2026-11-21T09:00:00.000Z'
    const now = Date.parse('2026-11-21T09:01:30.000Z')
    const live = describeHolder('lb1', {runId: 'r', user: 'bob', controller: 'ci-7', pid: 12, since, command: 'rollback'}, now)
    assert.equal(live.stale, false)
    assert.equal(live.message, `lb1 is locked by rollback by bob@ci-7 (pid 12) since ${since} (90s ago); wait for it to finish, or --break-lock if you are sure it is gone`)
    const dead = describeHolder('lb1', {runId: 'r', user: 'root', controller: hostname(), pid: 2 ** 22 + 17, since, command: 'deploy'}, now)
    assert.equal(dead.stale, true)
    assert.match(dead.message, /which is no longer running \(a stale lock\); re-run with --break-lock to take it over$/)
  })
})

describe('playbooks', () => {
  test('the shipped playbooks load', () => {
    for (const name of ['deploy', 'rollback']) assert.ok(loadPlaybook(name).playbook.plays.length >= 3)
  })
  test('a broken playbook is explained with file:line like an inventory', () => {
    const file = join(tmpdir(), 'lbctl-bad-playbook.yaml')
    writeFileSync(file, 'name: bad\nplays:\n  - name: p\n    hosts: directors\n    tasks:\n      - {name: t, modul: command}\n')
    try {
      loadPlaybook(file)
      assert.fail('loaded')
    } catch (e) {
      assert.ok(e instanceof InventoryError)
      const text = e.problems.map(formatProblem).join('\n')
      assert.match(text, /lbctl-bad-playbook\.yaml:6:\d+: plays\[0\]\.tasks\[0\]\.modul: unknown field "modul"\n  6 \|       - \{name: t, modul: command\}\n    \| +\^\n    fix: did you mean "module"\?/)
    }
  })
})
