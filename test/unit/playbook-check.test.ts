/**
 * A playbook is checked whole before any host is contacted: every mistake of every play, at its line, like an
 * inventory's — not found on the second play after the first one has changed every director.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, test} from 'node:test'
import {InventoryError, loadInventory, problemText} from '../../src/inventory/index.js'
import {loadPlaybook} from '../../src/playbook/load.js'
import {startAtTask} from '../../src/playbook/targets.js'
import {evaluateWhen} from '../../src/playbook/when.js'

const {cluster} = loadInventory(join(import.meta.dirname, '..', 'fixtures', 'modules', 'cluster.yaml'))
const dir = mkdtempSync(join(tmpdir(), 'lbctl-playbooks-'))

function problems(name: string, text: string): string[] {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, text)
  try {
    loadPlaybook(file, cluster)
  } catch (e) {
    if (!(e instanceof InventoryError)) throw e
    return e.problems.map((p) => problemText({...p, file: `${name}.yaml`}))
  }
  return []
}

describe('lbctl checks a playbook whole', () => {
  test('the second play\'s mistakes are found before the first play runs, each at its line', () => {
    const text = `name: maintenance
plays:
  - name: fine
    hosts: directors
    tasks:
      - {name: ok, module: command, args: {cmd: "true"}}
  - name: broken
    hosts: [directors, webservers]
    tasks:
      - {name: typo, module: comand, args: {cmd: uptime}}
      - {name: args, module: sysctl, args: {valeus: {net.core.somaxconn: 1024}}}
      - {name: cond, module: command, args: {cmd: uptime}, when: "haproy and not lvs"}
      - {name: syntax, module: command, args: {cmd: uptime}, when: "haproxy &&& lvs"}
      - {name: judged, module: template, changed_when: "false"}
      - {name: told, module: command, args: {cmd: uptime}, notify: [reload haproxy]}
    handlers:
      haproxy: {name: reload haproxy, module: service, args: {name: haproxy, state: reloaded}}
`
    assert.deepEqual(problems('maintenance', text), [
      'maintenance.yaml:8:24: plays[1].hosts[1]: "webservers" is neither a group nor a host of inventory fixture\n    fix: use one of: all, directors, real_servers, managed_real_servers, backup_directors, master_directors, lb1, lb2, web1, web2',
      'maintenance.yaml:10:30: plays[1].tasks[0].module: unknown module "comand"\n    fix: did you mean "command"?',
      'maintenance.yaml:11:45: plays[1].tasks[1].args.valeus: sysctl: unknown field "valeus"\n    fix: did you mean "values"?',
      'maintenance.yaml:12:66: plays[1].tasks[2].when: unknown name "haproy" in "haproy and not lvs"\n    fix: did you mean "haproxy"?',
      'maintenance.yaml:13:68: plays[1].tasks[3].when: cannot read "&&& lvs" in "haproxy &&& lvs"\n    fix: write names, \'text\', numbers, ==, !=, in, not, and, or, ( )',
      'maintenance.yaml:14:56: plays[1].tasks[4].changed_when: changed_when applies to the command module only (this task uses template)\n    fix: remove changed_when, or run the check with a command task',
      'maintenance.yaml:15:69: plays[1].tasks[5].notify[0]: no handler "reload haproxy" in this play\n    fix: handlers: haproxy',
    ])
  })

  test('a task shared through a YAML anchor is reported where the anchor is written', () => {
    const text = `name: anchored
plays:
  - name: one
    hosts: directors
    tasks: &shared
      - {name: a, module: sysctl, args: {bogus: 1}}
  - name: two
    hosts: directors
    tasks: *shared
`
    const found = problems('anchored', text)
    assert.equal(found.length, 2)
    for (const p of found) assert.match(p, /^anchored\.yaml:6:\d+: plays\[[01]\]\.tasks\[0\]\.args\.bogus: sysctl: unknown field "bogus"/)
  })

  test('the playbooks lbctl ships pass', () => {
    for (const name of ['deploy', 'rollback', 'health']) assert.doesNotThrow(() => loadPlaybook(name, cluster), name)
  })
})

describe('expressions and --start-at-task', () => {
  test('changed_when / failed_when read the command\'s rc, stdout and stderr; `in` finds text', () => {
    const r = {rc: 3, stdout: 'restarted nginx\n', stderr: '', haproxy: true}
    assert.equal(evaluateWhen("'restarted' in stdout", r), true)
    assert.equal(evaluateWhen('rc != 0 and rc != 3', r), false)
    assert.equal(evaluateWhen("'lb1' in groups_list", {groups_list: ['lb1', 'lb2']}), true)
    assert.equal(evaluateWhen('false', r), false)
  })

  test('--start-at-task leaves out the plays and steps before the named task', () => {
    const {playbook} = loadPlaybook('deploy', cluster)
    const from = startAtTask(playbook, 'director files')!
    assert.deepEqual(from.plays.map((p) => p.name), ['backup directors', 'directors together (new cluster)', 'master directors'])
    assert.equal(from.plays[0].tasks[0].name, 'director files')
    assert.deepEqual(from.plays[1].tasks.map((t) => t.name), playbook.plays[2].tasks.map((t) => t.name), 'later plays whole')
    assert.equal(startAtTask(playbook, 'VIPs back on their master')!.plays[0].tasks.length, 0, 'a post-task: the play\'s tasks are left out')
    assert.equal(startAtTask(playbook, 'no such task'), undefined)
  })
})
