/**
 * What an operator reads after and during a run, from the run's own record: the PLAY RECAP, the verdict, what a
 * stopped run changed and which directors it left on different releases, the CI log's lines, and the exit code.
 */
import assert from 'node:assert/strict'
import {describe, test} from 'node:test'
import {exitCode} from '../../src/cli/run-command.js'
import {progressMode} from '../../src/cli/run-flags.js'
import type {TaskResult} from '../../src/playbook/execute.js'
import {releaseTitle, type RunResult} from '../../src/playbook/runner.js'
import {runLogLines} from '../../src/report/run-log.js'
import {commandOutputText, recapText, runJson, stopText, summaryText, verdictText} from '../../src/report/run-view.js'

type Host = RunResult['hosts'][string]
const host = (over: Partial<Host> = {}): Host => ({ok: 0, changed: 0, skipped: 0, failed: false, unreachable: false, refused: false, activated: false, recorded: false, releaseAfter: 'r1-aaaaaaaa', releaseBefore: 'r1-aaaaaaaa', ...over})
const run = (over: Partial<RunResult>): RunResult => ({outcome: 'ok', playbook: 'deploy', command: 'deploy', check: false, releaseId: 'r2-bbbbbbbb', results: [], hosts: {}, mixed: [], errors: [], durationMs: 12_345, ...over})
const result = (over: Partial<TaskResult>): TaskResult => ({host: 'lb1', play: 'backup directors', task: 'sysctls', module: 'sysctl', status: 'ok', changed: false, durationMs: 120, ...over})

describe('PLAY RECAP and verdict', () => {
  test('one row per host in Ansible\'s columns, names sorted, and why a host did not run', () => {
    const r = run({
      outcome: 'unreachable',
      hosts: {
        web10: host(),
        web2: host({ok: 5, changed: 2}),
        lb1: host({unreachable: true, error: 'lb1: cannot reach 198.18.70.11: connect ECONNREFUSED'}),
        lb2: host({refused: true, error: 'lb2: host key for 198.18.70.12 is not known'}),
      },
    })
    assert.equal(
      recapText(r),
      `PLAY RECAP
lb1   : ok=0   changed=0   failed=0  unreachable=1  skipped=0  unreachable: lb1: cannot reach 198.18.70.11: connect ECONNREFUSED
lb2   : ok=0   changed=0   failed=0  unreachable=0  skipped=0  refused: lb2: host key for 198.18.70.12 is not known
web2  : ok=5   changed=2   failed=0  unreachable=0  skipped=0
web10 : ok=0   changed=0   failed=0  unreachable=0  skipped=0  not run`,
    )
    assert.equal(verdictText(r), 'deploy: UNREACHABLE — nothing was changed (12.3 s)')
  })

  test('the release is named only when one was recorded; a no-op and a --check say so', () => {
    assert.equal(verdictText(run({hosts: {lb1: host({changed: 3, recorded: true}), lb2: host({changed: 1, recorded: true})}})), 'deploy: ok — 2 of 2 host(s) changed, release r2-bbbbbbbb recorded on 2 host(s) (12.3 s)')
    assert.equal(verdictText(run({hosts: {lb1: host({ok: 12}), lb2: host({ok: 12})}})), 'deploy: ok — nothing changed (12.3 s)')
    assert.equal(verdictText(run({check: true, hosts: {lb1: host({changed: 3}), lb2: host()}})), 'deploy --check: ok — 3 change(s) pending on 1 host(s); nothing was changed (12.3 s)')
    assert.equal(verdictText(run({check: true, hosts: {lb1: host({ok: 9})}})), 'deploy --check: ok — no changes; nothing was changed (12.3 s)')
    assert.equal(verdictText(run({outcome: 'failed', failure: {host: 'lb2', task: 'director files', message: 'haproxy -c rejected'}, hosts: {web1: host({changed: 2}), lb2: host({failed: true})}})), 'deploy: FAILED — lb2 failed at "director files"; 1 host(s) changed before it stopped (12.3 s)')
  })

  test('the release line says what the run does with the release: record, would record, already current, none', () => {
    const step = (module: string) => ({name: module, module, args: {}})
    const state = (modules: string[], current: string, check = false) =>
      ({
        plays: [{play: {name: 'p', hosts: 'all', tasks: modules.map(step)}, hosts: []}],
        targets: [{name: 'lb1'}, {name: 'lb2'}],
        releases: new Map(['lb1', 'lb2'].map((h) => [h, {current}])),
        opts: {check, diff: false},
      }) as unknown as Parameters<typeof releaseTitle>[0]
    assert.equal(releaseTitle(state(['template', 'release'], 'r1-aaaaaaaa'), 'r2-bbbbbbbb'), 'release r2-bbbbbbbb')
    assert.equal(releaseTitle(state(['template', 'release'], 'r1-aaaaaaaa', true), 'r2-bbbbbbbb'), 'release r2-bbbbbbbb: would be recorded')
    assert.equal(releaseTitle(state(['template', 'release'], 'r2-bbbbbbbb'), 'r2-bbbbbbbb'), 'release r2-bbbbbbbb: current on every host')
    assert.equal(releaseTitle(state(['command'], 'r1-aaaaaaaa'), 'r2-bbbbbbbb'), 'release r2-bbbbbbbb: this playbook records none')
  })

  test('a refused host\'s reason is printed once, on its row', () => {
    const why = 'lb1 is locked by deploy by alice@ops-box (pid 4242) since 2026-11-21T09:00:00.000Z (90s ago); wait for it to finish, or --break-lock if you are sure it is gone'
    const text = summaryText(run({outcome: 'refused', errors: [why], hosts: {lb1: host({refused: true, error: why}), lb2: host()}}))
    assert.equal(text.split(why).length - 1, 1, text)
  })
})

describe('a run that stopped half-way', () => {
  const interrupted = run({
    outcome: 'interrupted',
    hosts: {web1: host({changed: 2}), lb2: host({changed: 2, activated: true}), lb1: host()},
    mixed: [{instance: 'VI_1', directors: [{name: 'lb1', release: 'r1-aaaaaaaa'}, {name: 'lb2', release: 'r2-bbbbbbbb (files active, release not recorded)'}]}],
  })

  test('Ctrl-C: which hosts changed and which did not, and a loud warning for a mixed pair', () => {
    assert.equal(
      stopText(interrupted),
      `interrupted: the steps in flight finished, no other started, and every lock was released.
changed: web1, lb2
not changed: lb1
WARNING: the directors of VI_1 now run different releases: lb1 r1-aaaaaaaa, lb2 r2-bbbbbbbb (files active, release not recorded).
  A failover now changes the configuration that serves. Run \`lbctl deploy\` again to finish, or \`lbctl rollback\` to go back.`,
    )
    assert.equal(verdictText(interrupted), 'deploy: INTERRUPTED — 2 host(s) changed before it stopped; every lock released (12.3 s)')
  })

  test('--json carries the same: outcome, mixed_releases, each host\'s release before and after, snake_case only', () => {
    const json = JSON.parse(runJson(interrupted)) as Record<string, unknown> & {hosts: Record<string, Record<string, unknown>>}
    assert.equal(json.schema_version, 1)
    assert.equal(json.outcome, 'interrupted')
    assert.deepEqual(json.mixed_releases, interrupted.mixed)
    assert.deepEqual([json.hosts.lb2.release_before, json.hosts.lb2.release_after], ['r1-aaaaaaaa', 'r1-aaaaaaaa'])
    const keys = JSON.stringify(json).match(/"[A-Za-z_]+":/g) ?? []
    assert.deepEqual(keys.filter((k) => /[a-z][A-Z]/.test(k)), [], 'no camelCase key')
  })
})

describe('the CI log', () => {
  test('one line per finished step, prefixed with its host; a failure\'s further lines indented under it', () => {
    assert.deepEqual(runLogLines({type: 'play', name: 'real servers', hosts: ['web1', 'web2']}), ['PLAY [real servers] web1, web2'])
    assert.deepEqual(runLogLines({type: 'task-start', host: 'lb1', task: 'sysctls'}), [])
    assert.deepEqual(runLogLines({type: 'task', result: result({status: 'changed', message: 'net.ipv4.ip_nonlocal_bind: 0 → 1'})}), ['changed: [lb1] sysctls — net.ipv4.ip_nonlocal_bind: 0 → 1 (0.12 s)'])
    assert.deepEqual(runLogLines({type: 'task', result: result({status: 'skipped', task: 'haproxy healthy', message: 'when: haproxy'})}), ['skipping: [lb1] haproxy healthy — when: haproxy (0.12 s)'])
    assert.deepEqual(runLogLines({type: 'task', result: result({status: 'changed', task: 'reload haproxy', handler: true, message: 'reload haproxy'})}), ['changed: [lb1] reload haproxy (handler) — reload haproxy (0.12 s)'])
    assert.deepEqual(runLogLines({type: 'task', result: result({status: 'failed', task: 'check disk', message: 'df -h /: rc=1\nstdout: (none)\nstderr: \ndf: /nope: No such file'})}), [
      'failed: [lb1] check disk — df -h /: rc=1 (0.12 s)',
      '    stdout: (none)',
      '    stderr: ',
      '    df: /nope: No such file',
    ])
    assert.deepEqual(runLogLines({type: 'not-run', host: 'lb1', task: 'handlers', why: 'interrupted'}), ['not run: [lb1] handlers — interrupted'])
  })

  test('the live tree only on a terminal, never in CI or with TERM=dumb', () => {
    assert.equal(progressMode({}, true), 'tree')
    assert.equal(progressMode({CI: '1'}, true), 'lines')
    assert.equal(progressMode({TERM: 'dumb'}, true), 'lines')
    assert.equal(progressMode({}, false), 'lines')
  })

  test('-v: each command\'s rc and both streams', () => {
    assert.equal(commandOutputText([result({task: 'disk', module: 'command', rc: 0, stdout: '/dev/sda1 40%\n', stderr: ''}), result({task: 'sysctls'})]), '==> lb1: disk (rc=0) <==\nstdout:\n/dev/sda1 40%\nstderr: (none)')
  })
})

describe('exit codes', () => {
  const hosts = (changed: number) => ({lb1: host({changed})})
  test('the README\'s table', () => {
    assert.deepEqual((['ok', 'failed', 'invalid', 'refused', 'unreachable', 'interrupted'] as const).map((outcome) => exitCode({outcome, hosts: hosts(0)}, false)), [0, 1, 2, 3, 4, 130])
  })
  test('--check --detailed-exitcode: 0 in sync, 2 changes pending, 1 any error, 130 on Ctrl-C', () => {
    assert.equal(exitCode({outcome: 'ok', hosts: hosts(0)}, true), 0)
    assert.equal(exitCode({outcome: 'ok', hosts: hosts(3)}, true), 2)
    for (const outcome of ['failed', 'invalid', 'refused', 'unreachable'] as const) assert.equal(exitCode({outcome, hosts: hosts(3)}, true), 1, outcome)
    assert.equal(exitCode({outcome: 'interrupted', hosts: hosts(3)}, true), 130)
  })
})
