import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {InventoryError, formatProblem, loadInventory} from '../../src/inventory/index.js'
import {describeHolder, parseFactsAndLock} from '../../src/playbook/lock.js'
import {loadPlaybook} from '../../src/playbook/load.js'
import {newReleaseId, parseReleaseList, rollbackTarget} from '../../src/playbook/releases.js'
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
  test('IDs sort by time and carry the inventory hash', () => {
    const a = newReleaseId(cluster, new Date('2026-11-21T09:30:00.123Z'))
    assert.equal(a, `20261121T093000123Z-${cluster.hash.slice(0, 8)}`)
    assert.ok(newReleaseId(cluster, new Date('2026-11-21T09:30:00.124Z')) > a)
  })
  test('rollback goes to the newest release before the cluster\'s current one; hosts may lack it', () => {
    const perHost = new Map([
      ['lb1', parseReleaseList('A-1 - 2026 3\nB-2 - 2026 3\nC-3 current 2026 3\n')],
      ['lb2', parseReleaseList('A-1 - 2026 3\nC-3 current 2026 3\n')],
    ])
    assert.deepEqual(rollbackTarget(perHost), {id: 'B-2'})
    assert.deepEqual(rollbackTarget(perHost, 'A-1'), {id: 'A-1'})
    assert.match(rollbackTarget(perHost, 'Z-9').error!, /no host has release Z-9 \(known: A-1, B-2, C-3\)/)
    assert.match(rollbackTarget(new Map([['lb1', parseReleaseList('A-1 current 2026 3\n')]])).error!, /A-1 is the oldest there is: nothing to roll back to/)
    assert.match(rollbackTarget(new Map([['lb1', []]])).error!, /no host has a current release: deploy first/)
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
