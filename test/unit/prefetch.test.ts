import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {test} from 'node:test'
import {batchProbe, parseBatch} from '../../src/playbook/prefetch.js'
import {cmd, raw} from '../../src/shell/index.js'

test('a batched probe keeps each probe\'s stdout, stderr and exit code apart, as if sent alone', () => {
  const probes = [cmd`printf '%s\n' ${"it's"} a`, raw`echo oops >&2; exit 3`, raw`exit 0`, cmd`printf 'no newline'`]
  const out = execFileSync('/bin/sh', ['-c', batchProbe(probes).text], {encoding: 'utf8'})
  assert.deepEqual(parseBatch(out, probes.length), [
    {code: 0, stdout: "it's\na\n", stderr: ''},
    {code: 3, stdout: '', stderr: 'oops\n'},
    {code: 0, stdout: '', stderr: ''},
    {code: 0, stdout: 'no newline', stderr: ''},
  ])
})

test('a probe cannot read the batch\'s stdin or end the batch early', () => {
  const probes = [raw`cat; echo read`, raw`exit 7`, raw`echo after`]
  const out = execFileSync('/bin/sh', ['-c', batchProbe(probes).text], {encoding: 'utf8', input: 'secret input'})
  assert.deepEqual(parseBatch(out, 3).map((r) => [r.code, r.stdout]), [[0, 'read\n'], [7, ''], [0, 'after\n']])
})

test('records stay apart whether or not a probe wrote to stderr, and output cannot forge a record', () => {
  const probes = [raw`true`, raw`echo 'x begin 1'; echo e >&2`, raw`printf '\n'`, raw`printf 'end'`]
  const out = execFileSync('/bin/sh', ['-c', batchProbe(probes).text], {encoding: 'utf8'})
  assert.deepEqual(parseBatch(out, 4), [
    {code: 0, stdout: '', stderr: ''},
    {code: 0, stdout: 'x begin 1\n', stderr: 'e\n'},
    {code: 0, stdout: '\n', stderr: ''},
    {code: 0, stdout: 'end', stderr: ''},
  ])
})
