/**
 * The sysctl module's probe, run for real under this machine's sh (dash on Debian) against its own kernel, with a
 * scratch directory standing in for a host's /var/lib/lbctl.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'
import {APPLY_DROPINS, parseSysctlFacts, planSysctls, sysctl} from '../../src/modules/sysctl.js'
import {script} from '../../src/shell/index.js'
import type {ModuleContext} from '../../src/modules/types.js'
import {freshDir} from '../helpers/lab.js'

const live = (key: string) => readFileSync(`/proc/sys/${key.replaceAll('.', '/')}`, 'utf8').trim()

function probe(state: string, keys: string[]) {
  const ctx = {cluster: {deploy: {stateDir: state}}, host: {tuning: {sysctls: Object.fromEntries(keys.map((k) => [k, '1']))}}} as unknown as ModuleContext
  const command = sysctl.probe!({}, ctx)!
  const r = spawnSync('sh', ['-c', command.text], {encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  return parseSysctlFacts(r.stdout)
}

test('sysctl probe: whole values (not the first digit a byte-wise read of /proc/sys gets), tabs of multi-value keys kept', () => {
  const facts = probe(freshDir('lbctl-sysctl-'), ['net.core.somaxconn', 'net.ipv4.ip_local_port_range'])
  assert.equal(facts.live['net.core.somaxconn'], live('net.core.somaxconn'))
  assert.equal(facts.live['net.ipv4.ip_local_port_range'], live('net.ipv4.ip_local_port_range'))
  assert.match(facts.live['net.ipv4.ip_local_port_range'], /^\d+\t\d+$/)
})

test('sysctl probe: the recorded originals, with their keys read live too; a key this kernel lacks is missing', () => {
  const state = freshDir('lbctl-sysctl-')
  writeFileSync(join(state, 'sysctl.orig'), 'net.core.somaxconn=128\nnet.ipv4.no_such_key=1\n')
  const facts = probe(state, ['net.ipv4.no_such_key_either'])
  assert.deepEqual(facts.original, {'net.core.somaxconn': '128', 'net.ipv4.no_such_key': '1'})
  assert.deepEqual(facts.live, {'net.core.somaxconn': live('net.core.somaxconn')})
  const plan = planSysctls({'net.ipv4.no_such_key_either': '1'}, facts, state, true)
  assert.deepEqual([plan.status, plan.message], ['failed', 'this kernel has no sysctl net.ipv4.no_such_key_either'])
})

test('sysctl probe: a value already in place plans nothing', () => {
  const state = freshDir('lbctl-sysctl-')
  const facts = probe(state, ['net.ipv4.ip_local_port_range'])
  const words = live('net.ipv4.ip_local_port_range').split(/\s+/).join(' ')
  assert.equal(planSysctls({'net.ipv4.ip_local_port_range': words}, facts, state, false).status, 'ok')
})

/** The plan's step run for real in a network namespace of its own (its net.* sysctls are its own), then `after`. */
function applyInNetns(state: string, want: Record<string, string>, facts: ReturnType<typeof parseSysctlFacts>, after: string) {
  const plan = planSysctls(want, facts, state, true)
  assert.equal(plan.status, 'changed')
  const step = plan.steps[0]
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${step.command.text}; rc=$?; ${after}; exit $rc`], {input: step.stdin, encoding: 'utf8'})
  return {...r, plan}
}

const inNetns = spawnSync('unshare', ['-n', 'true']).status === 0

test('sysctl apply: records each value before lbctl first sets it, sets all at once; restore puts it back and leaves the record', {skip: !inNetns && 'needs root (unshare -n)'}, () => {
  const state = join(freshDir('lbctl-sysctl-'), 'state')
  const before = {'net.core.somaxconn': '4096', 'net.ipv4.ip_local_port_range': '32768\t60999'}
  const facts = {live: before, original: {}}
  const r = applyInNetns(state, {'net.core.somaxconn': '1000', 'net.ipv4.ip_local_port_range': '20000 30000'}, facts, 'sysctl -n net.core.somaxconn net.ipv4.ip_local_port_range')
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, '1000\n20000\t30000\n')
  // What the namespace had before: a fresh one's defaults, read on the host at apply time (not the probe's answer).
  const fresh = spawnSync('unshare', ['-n', 'sysctl', '-n', 'net.core.somaxconn', 'net.ipv4.ip_local_port_range'], {encoding: 'utf8'}).stdout.split('\n')
  assert.equal(readFileSync(join(state, 'sysctl.orig'), 'utf8'), `net.core.somaxconn=${fresh[0]}\nnet.ipv4.ip_local_port_range=${fresh[1].replace('\t', ' ')}\n`)

  // The inventory drops somaxconn: it goes back to its original, and leaves the record; the other key stays recorded.
  const now = {live: {'net.core.somaxconn': '1000', 'net.ipv4.ip_local_port_range': '20000\t30000'}, original: parseSysctlFacts(readFileSync(join(state, 'sysctl.orig'), 'utf8').replace(/^/gm, 'ORIG ')).original}
  const back = applyInNetns(state, {'net.ipv4.ip_local_port_range': '20000 30000'}, now, 'sysctl -n net.core.somaxconn')
  assert.equal(back.status, 0, back.stderr)
  assert.match(back.plan.message ?? '', /net\.core\.somaxconn: 1000 → \d+ \(as before lbctl\)/)
  assert.equal(back.stdout, `${fresh[0]}\n`)
  assert.equal(readFileSync(join(state, 'sysctl.orig'), 'utf8'), `net.ipv4.ip_local_port_range=${fresh[1].replace('\t', ' ')}\n`)
})

test('sysctl apply: when the record cannot be written, no sysctl is changed (exit 65, a message saying so)', {skip: !inNetns && 'needs root (unshare -n)'}, () => {
  const state = freshDir('lbctl-sysctl-')
  writeFileSync(join(state, 'sysctl.orig'), 'net.ipv4.tcp_fin_timeout=60\n')
  symlinkSync('/dev/full', join(state, 'sysctl.orig.new')) // every write to the new record fails with ENOSPC
  const r = applyInNetns(state, {'net.core.somaxconn': '1000'}, {live: {'net.core.somaxconn': '4096'}, original: {}}, 'sysctl -n net.core.somaxconn')
  assert.equal(r.status, 65)
  assert.match(r.stderr, /cannot record sysctl values in .*sysctl\.orig \(disk full\?\); no sysctl was changed/)
  assert.equal(r.stdout, `${spawnSync('unshare', ['-n', 'sysctl', '-n', 'net.core.somaxconn'], {encoding: 'utf8'}).stdout}`)
  assert.equal(readFileSync(join(state, 'sysctl.orig'), 'utf8'), 'net.ipv4.tcp_fin_timeout=60\n')
})

test('sysctl apply: a key already recorded is set with no new record; the step reads its stdin to "." and no further', {skip: !inNetns && 'needs root (unshare -n)'}, () => {
  const state = freshDir('lbctl-sysctl-')
  writeFileSync(join(state, 'sysctl.orig'), 'net.core.somaxconn=4096\n')
  const plan = planSysctls({'net.core.somaxconn': '1000'}, {live: {'net.core.somaxconn': '2000'}, original: {'net.core.somaxconn': '4096'}}, state, true)
  const step = plan.steps[0]
  // What follows the step's own bytes is the next step's: it must still be there for `cat`.
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${step.command.text}; rc=$?; sysctl -n net.core.somaxconn; cat; exit $rc`], {input: `${step.stdin}next step\n`, encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, '1000\nnext step\n')
  assert.equal(readFileSync(join(state, 'sysctl.orig'), 'utf8'), 'net.core.somaxconn=4096\n')
})

test('sysctl apply: a value the kernel refuses fails the step with the key and the value', {skip: !inNetns && 'needs root (unshare -n)'}, () => {
  const r = applyInNetns(freshDir('lbctl-sysctl-'), {'net.core.somaxconn': 'lots'}, {live: {'net.core.somaxconn': '4096'}, original: {}}, 'true')
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /cannot set sysctl net\.core\.somaxconn to lots \(no such key, or the kernel refused the value\)/)
})

test('sysctl drop-ins are applied as sysctl -p would: comments skipped, spaces trimmed, a missing file skipped, a slash key', {skip: !inNetns && 'needs root (unshare -n)'}, () => {
  const dir = freshDir('lbctl-sysctl-')
  writeFileSync(join(dir, 'a.conf'), '# Managed by lbctl\n\nnet.core.somaxconn = 1234\n  net.ipv4.ip_local_port_range =\t20000 30000  \n; old style comment\nnet/ipv4/conf/lo/arp_ignore=1')
  const apply = script(APPLY_DROPINS, join(dir, 'a.conf'), join(dir, 'missing.conf'))
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `${apply.text} && sysctl -n net.core.somaxconn net.ipv4.ip_local_port_range net.ipv4.conf.lo.arp_ignore`], {encoding: 'utf8'})
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout, '1234\n20000\t30000\n1\n')
  writeFileSync(join(dir, 'b.conf'), 'net.ipv4.no_such_key = 1\n')
  const bad = spawnSync('unshare', ['-n', 'sh', '-c', script(APPLY_DROPINS, join(dir, 'b.conf')).text], {encoding: 'utf8'})
  assert.notEqual(bad.status, 0)
  assert.match(bad.stderr, /cannot set sysctl net\.ipv4\.no_such_key to 1/)
})
