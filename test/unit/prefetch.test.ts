import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {test} from 'node:test'
import {batchProbe, parseBatch} from '../../src/playbook/prefetch.js'
import {runStepBatch} from '../../src/playbook/step-batch.js'
import {cmd, raw, script} from '../../src/shell/index.js'

// A batch of probes as the host runs it: stdout and stderr are the channel's two streams.
const sh = (text: string, env?: NodeJS.ProcessEnv) => {
  const r = spawnSync('/bin/sh', ['-c', text], {encoding: 'utf8', ...(env ? {env} : {})})
  return {code: r.status, stdout: r.stdout, stderr: r.stderr}
}

test('a batched probe keeps each probe\'s stdout, stderr and exit code apart, as if sent alone', () => {
  const probes = [cmd`printf '%s\n' ${"it's"} a`, raw`echo oops >&2; exit 3`, raw`exit 0`, cmd`printf 'no newline'`]
  const out = sh(batchProbe(probes).text)
  assert.deepEqual(parseBatch(out.stdout, probes.length, undefined, false, out.stderr), [
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
  const probes = [raw`true`, raw`echo 'x begin 1'; echo e >&2; printf 'no newline' >&2`, raw`printf '\n'`, raw`printf 'end'`]
  const out = sh(batchProbe(probes).text)
  assert.deepEqual(parseBatch(out.stdout, 4, undefined, false, out.stderr), [
    {code: 0, stdout: '', stderr: ''},
    {code: 0, stdout: 'x begin 1\n', stderr: 'e\nno newline'},
    {code: 0, stdout: '\n', stderr: ''},
    {code: 0, stdout: 'end', stderr: ''},
  ])
})

// Every process of a probe batch is paid by every host at once (200 hosts on 2 cores): the framing is builtins only,
// under the one sh the batch starts (whatever the login shell); a script()'s body runs inside it, with no sh of its own.
test('a batch of probes starts no program but its sh, and scripts run inside it: a PATH with nothing but sh', () => {
  const bin = mkdtempSync(join(tmpdir(), 'lbctl-path-'))
  symlinkSync('/bin/sh', join(bin, 'sh'))
  const probes = [raw`echo one`, raw`echo two >&2; exit 4`, script(raw`echo "$# $2"; exit 5 # ends in a comment`, 'a', "b'c")]
  const out = sh(batchProbe(probes).text, {PATH: bin})
  assert.deepEqual(parseBatch(out.stdout, 3, undefined, false, out.stderr), [
    {code: 0, stdout: 'one\n', stderr: ''},
    {code: 4, stdout: '', stderr: 'two\n'},
    {code: 5, stdout: "2 b'c\n", stderr: ''},
  ])
  // Sent alone, a script is the same program under its own sh.
  assert.deepEqual(sh(probes[2].text, {PATH: bin}), {code: 5, stdout: "2 b'c\n", stderr: ''})
})

// The steps of a host's queued changes, sent in one round trip (playbook/step-batch.ts), run by a real sh.
const local = async (c: {text: string}, stdin?: string | Buffer) => {
  const r = spawnSync('/bin/sh', ['-c', c.text], {encoding: 'utf8', input: stdin ?? ''})
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr}
}

test('a batch of steps gives each step exactly its own stdin, even a step that stops reading early', async () => {
  const tar = Buffer.from([0, 1, 2, 255, 10, 0])
  const groups = [
    [{label: 'head', command: raw`head -c 2 >/dev/null; echo first`, stdin: 'abcdef'}],
    [{label: 'bytes', command: raw`od -An -tu1 | tr -s ' ' | sed 's/^ //'`, stdin: tar}, {label: 'none', command: raw`cat; echo none`}],
    [{label: 'text', command: raw`cat`, stdin: "it's\n"}],
  ]
  const b = await runStepBatch(local, groups, raw`echo probe`)
  assert.deepEqual(b.steps.map((g) => g.map((r) => [r.code, r.stdout])), [[[0, 'first\n']], [[0, '0 1 2 255 10 0\n'], [0, 'none\n']], [[0, "it's\n"]]])
  assert.equal(b.probe?.stdout, 'probe\n')
})

test("self-delimited steps read their own lines straight from the batch's stdin, between steps that get a copy", async () => {
  const reads = raw`n=0; while IFS= read -r l && [ "$l" != . ]; do n=$((n + 1)); printf '%s|' "$l"; done; echo " $n"`
  const groups = [
    [{label: 'lines', command: reads, stdin: 'a b\n\\x\n.\n', selfDelimited: true}],
    [{label: 'copy', command: raw`od -An -tu1 | tr -s ' ' | sed 's/^ //'`, stdin: Buffer.from([0, 10, 46, 10])}],
    [{label: 'lines again', command: reads, stdin: 'last\n.\n', selfDelimited: true}],
  ]
  const b = await runStepBatch(local, groups)
  assert.deepEqual(b.steps.map((g) => g.map((r) => [r.code, r.stdout])), [[[0, 'a b|\\x| 2\n']], [[0, '0 10 46 10\n']], [[0, 'last| 1\n']]])
})

test("a step's stderr reaches the controller with no file on the host, framed apart from the next step's", async () => {
  const groups = [[{label: 'warns', command: raw`echo warning >&2; echo out`}], [{label: 'quiet', command: raw`echo two`}]]
  const b = await runStepBatch((c, stdin) => local({text: `TMPDIR=/nonexistent; ${c.text}`}, stdin), groups)
  assert.deepEqual(b.steps.map((g) => g.map((r) => [r.code, r.stdout, r.stderr])), [[[0, 'out\n', 'warning\n']], [[0, 'two\n', '']]])
})

test('a batch stops at the first step that fails: the steps after it and the probe do not run', async () => {
  const groups = [[{label: 'a', command: raw`echo a`}], [{label: 'b', command: raw`echo no >&2; exit 65`}, {label: 'c', command: raw`touch /nonexistent/never`}], [{label: 'd', command: raw`echo d`}]]
  const b = await runStepBatch(local, groups, raw`echo probe`)
  assert.deepEqual(b.steps.map((g) => g.map((r) => [r.code, r.stdout, r.stderr])), [[[0, 'a\n', '']], [[65, '', 'no\n']], []])
  assert.equal(b.probe, undefined)
})
