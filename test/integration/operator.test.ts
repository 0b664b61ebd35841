/**
 * What an operator sees and controls during real runs on a lab of 5 deploy targets (2 directors + 3 managed real
 * servers): the live tree in a real terminal (tmux), the CI log of a piped run against its golden, --check
 * --detailed-exitcode for drift checks, command output (-v, --json, a failure's rc and streams), --start-at-task,
 * and Ctrl-C: a mixed pair reported after the first, the locks left named after a second.
 *
 * UPDATE_GOLDEN=1 node --import tsx --test test/integration/operator.test.ts   rewrites the tmux captures in
 * test/fixtures/tmux/ and the CI log in test/golden/ci-log/ from this run.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {after, before, describe, test} from 'node:test'
import {pausedCli} from '../helpers/faults.js'
import {ROOT, lbctl, upLab, waitFor, type TestLab} from '../helpers/lab.js'

const NAME = 'itview'
const NET = '198.18.71'
const TMUX_DIR = join(ROOT, 'test', 'fixtures', 'tmux')
const GOLDEN_DIR = join(ROOT, 'test', 'golden', 'ci-log')
const update = Boolean(process.env.UPDATE_GOLDEN)
const run = promisify(execFile)

let lab: TestLab
let original = ''
let secrets: string[] = []
const PLAYS = ['real servers (web1, web2, web3)', 'backup directors (lb2)', 'master directors (lb1)']
const HOSTS = ['lb1', 'lb2', 'web1', 'web2', 'web3']

/**
 * The lab's inventory with every real server carrying a sysctl, so lbctl manages it: 5 deploy targets. A new
 * somaxconn changes every real server, a new balance algorithm both directors (an HAProxy reload).
 */
function setInventory(somaxconn: number, balance: 'roundrobin' | 'leastconn'): void {
  const yaml = original
    .replace(/^ {2}(web\d+): \{ address: ([\d.]+), port: 80 \}$/gm, `  $1: { address: $2, port: 80, tuning: { sysctls: { net.core.somaxconn: ${somaxconn} } } }`)
    .replace('balance: roundrobin', `balance: ${balance}`)
  assert.notEqual(yaml, original)
  writeFileSync(lab.inventory, yaml)
}

function noSecret(text: string, where: string): void {
  for (const s of secrets) assert.ok(!text.includes(s), `a secret appears in ${where}`)
}

/** What may change from run to run without changing what the operator sees: times, release IDs, the lab's subnet. */
function stable(text: string): string {
  return text
    .replace(/\br\d+-[0-9a-f]{8}\b/g, 'rN-RELEASE')
    .replace(/\d+(\.\d+)? s\b/g, 'N s')
    .replaceAll(`${NET}.`, 'NET.')
}

/**
 * The shape of a terminal capture: lines without trailing blanks, spinner frames as one, the step a host is on as
 * TASK (which step a snapshot catches depends on the machine's speed), recap counts as N. Rows of plays other than
 * the three this deploy runs (a play added to deploy.yaml that a serving cluster skips) are left out; that no row
 * is drawn twice is checked on every snapshot whole.
 */
function shape(capture: string): string {
  const ours = ['connect', 'release', ...PLAYS.map((p) => p.replace(/ \(.*/, ''))]
  return stable(capture)
    .split('\n')
    .map((l) => l.trimEnd().replace(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g, '⠋').replace(/^( {4}› ).*/, '$1TASK').replace(/=\d+/g, '=N'))
    .filter((l) => !/^[✔❯◼⠋✖↓] /.test(l) || ours.some((o) => l.slice(2).startsWith(o)))
    .join('\n')
    .replace(/\n+$/, '')
}

/**
 * One tree, drawn once: each phase or play row at most once, at the left; host rows only under the play that runs,
 * each host once, named; a step line only under a host row.
 */
function assertOneTree(snapshot: string): void {
  const lines = snapshot.split('\n').map((l) => l.trimEnd()).filter(Boolean)
  const top = lines.filter((l) => !l.startsWith(' ') && /^[✔❯◼⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏✖↓] /.test(l)).map((l) => l.slice(2))
  assert.equal(new Set(top).size, top.length, `a row drawn twice:\n${snapshot}`)
  for (const p of PLAYS) assert.ok(top.filter((t) => t === p).length <= 1)
  const hostRows = lines.filter((l) => /^ {2}\S/.test(l)).map((l) => l.slice(4))
  assert.equal(new Set(hostRows).size, hostRows.length, `a host drawn twice:\n${snapshot}`)
  for (const h of hostRows) assert.ok(HOSTS.includes(h.split(' ')[0]), `a host row without a host name: "${h}"\n${snapshot}`)
  lines.forEach((l, i) => {
    if (/^ {4}› /.test(l)) assert.match(lines[i - 1] ?? '', /^ {2}\S|^ {4}› /, `a step line outside a host row:\n${snapshot}`)
    if (/^ {2}\S/.test(l)) {
      const play = lines.slice(0, i).reverse().find((x) => !x.startsWith(' '))!
      assert.match(play, /^[❯⚠✖] /, `a host row under a play that is neither running nor failed:\n${snapshot}`)
      assert.ok(play.includes(l.slice(4).split(' ')[0]), `${l.trim()} drawn under ${play}`)
    }
  })
}

/** The CI log in a comparable order: plays in order, and within a play each host's lines in order, hosts by name. */
function canonicalLog(stderr: string): string[] {
  const blocks: string[][] = [[]]
  for (const line of stable(stderr).split('\n').filter(Boolean)) {
    if (line.startsWith('PLAY [')) blocks.push([])
    blocks.at(-1)!.push(line)
  }
  const host = (l: string) => /^\S+: \[([^\]]+)\]/.exec(l)?.[1] ?? ''
  return blocks.flatMap((b) => b.map((l, i) => ({l, i, h: host(l)})).sort((a, b) => (a.h === b.h ? a.i - b.i : a.h < b.h ? -1 : 1)).map((x) => x.l))
}

function golden(file: string, actual: string): string {
  if (update) {
    mkdirSync(join(file, '..'), {recursive: true})
    writeFileSync(file, actual)
  }
  assert.ok(existsSync(file), `no golden ${file}: run with UPDATE_GOLDEN=1`)
  return readFileSync(file, 'utf8')
}

/** Whether a process is stopped (SIGSTOP): state T in /proc/PID/stat. */
const stopped = (pid: number) => / T /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/, ''))

/**
 * A command in a real terminal: a private tmux server, a 100×30 pane, no CI variable (so the live tree is drawn).
 * With `pauseAt` the run stops itself there (LBCTL_PAUSE_AT) and `atPause` sees the screen it left, frozen.
 */
async function inTmux(args: string[], onSnapshot: (visible: string) => void, pauseAt = '', atPause: (visible: string) => void = () => undefined, term = 'xterm-256color'): Promise<{code: number; history: string}> {
  // A server of its own, its socket in the lab's inventory directory (removed with the lab).
  const socket = join(lab.inventoryDir, 'tmux.sock')
  const tmux = (...a: string[]) => run('tmux', ['-S', socket, ...a], {env: {...process.env, TMUX: ''}}).then((r) => r.stdout)
  const line = `cd ${ROOT} && env -u CI TERM=${term} LBCTL_PAUSE_AT='${pauseAt}' node bin/run.js ${args.join(' ')}; echo "lbctl exited $?"; sleep 3600`
  await tmux('new-session', '-d', '-s', 'run', '-x', '100', '-y', '30', line)
  try {
    if (pauseAt) {
      const shell = Number((await tmux('display-message', '-p', '-t', 'run', '#{pane_pid}')).trim())
      const pid = await waitFor('lbctl to start in tmux', 60_000, async () => Number((await run('pgrep', ['-P', String(shell), 'node']).catch(() => ({stdout: ''}))).stdout.trim()) || undefined)
      await waitFor(`lbctl to pause at ${pauseAt}`, 600_000, async () => (stopped(pid) ? true : undefined))
      atPause(await tmux('capture-pane', '-p', '-t', 'run'))
      process.kill(pid, 'SIGCONT')
    }
    const code = await waitFor(`lbctl ${args[0]} to end in tmux`, 600_000, async () => {
      const visible = await tmux('capture-pane', '-p', '-t', 'run')
      const ended = /^lbctl exited (\d+)$/m.exec(visible)
      if (!ended) onSnapshot(visible)
      return ended ? Number(ended[1]) : undefined
    })
    return {code, history: await tmux('capture-pane', '-p', '-S', '-', '-E', '-', '-t', 'run')}
  } finally {
    await tmux('kill-server').catch(() => undefined)
    rmSync(socket, {force: true})
  }
}

/** Three command steps on every director: one that prints on both streams, one that failed_when fails, one never reached. */
function probePlaybook(): string {
  const playbook = join(lab.inventoryDir, 'probe.yaml')
  writeFileSync(
    playbook,
    `name: probe
lock: false
plays:
  - name: directors
    hosts: directors
    tasks:
      - {name: who, module: command, args: {cmd: "echo out-$(hostname); echo err-$(hostname) >&2"}, changed_when: false}
      - {name: degraded, module: command, args: {cmd: "echo state=DEGRADED; exit 0"}, changed_when: false, failed_when: "'DEGRADED' in stdout"}
      - {name: never, module: command, args: {cmd: "true"}}
`,
  )
  return playbook
}

describe('runs an operator can watch, read, stop and script', {concurrency: false}, () => {
  before(async () => {
    lab = await upLab(NAME, `${NET}.0/24`)
    original = readFileSync(lab.inventory, 'utf8')
    secrets = ['vrrp.pass', 'stats.pass'].map((f) => readFileSync(`/var/lib/lbctl-lab/${NAME}/${f}`, 'utf8').trim())
    setInventory(1024, 'roundrobin')
    const first = await lbctl(['deploy', lab.inventory])
    assert.equal(first.code, 0, first.stdout + first.stderr)
  })
  after(async () => {
    await lab?.down()
  })

  test('a 5-host deploy in tmux: one tree with host names, nothing repeated; its shape is the committed capture', async () => {
    setInventory(1025, 'leastconn')
    const running: string[] = []
    let frozen = ''
    const {code, history: raw} = await inTmux(
      ['deploy', lab.inventory],
      (visible) => {
        assertOneTree(visible)
        running.push(visible)
      },
      'before:every VIP on exactly one director@lb2',
      (visible) => (frozen = visible),
    )
    const history = raw.replace(/\s+$/, '\n')
    assert.equal(code, 0, history)
    noSecret(history + running.join('\n'), 'the terminal')
    // The whole scrollback: the tree once, the recap, the verdict — not one line twice.
    const lines = history.split('\n').map((l) => l.trimEnd()).filter(Boolean)
    assert.deepEqual(lines.filter((l, i) => lines.indexOf(l) !== i), [], `lines repeated in the scrollback:\n${history}`)
    for (const p of PLAYS) assert.ok(lines.includes(`✔ ${p}`), `no finished row for ${p}:\n${history}`)
    for (const h of HOSTS) assert.match(history, new RegExp(`^${h} +: ok=`, 'm'))
    // Frozen while the backup director works: the tree shows play → host → its step.
    assertOneTree(frozen)
    assert.match(frozen.replace(/ +$/gm, ''), /^❯ backup directors \(lb2\)\n {2}\S lb2\n {4}› /m, `the backup director at work:\n${frozen}`)
    const finalFile = join(TMUX_DIR, 'deploy-5-hosts.final.txt')
    const runningFile = join(TMUX_DIR, 'deploy-5-hosts.running.txt')
    assert.equal(shape(history), shape(golden(finalFile, history)))
    const caught = frozen.replace(/\s+$/, '\n')
    assert.equal(shape(caught), shape(golden(runningFile, caught)))
  })

  test('a step failing on both directors at once, in tmux: each host and the play marked failed, each at its own step, no tick over a failure', async () => {
    const {code, history: raw} = await inTmux(['run', probePlaybook(), lab.inventory], assertOneTree)
    const history = raw.replace(/\s+$/, '\n')
    assert.equal(code, 1, history)
    const lines = history.split('\n').map((l) => l.trimEnd())
    assert.deepEqual(lines.filter((l, i) => l && lines.indexOf(l) !== i), [], `lines repeated:\n${history}`)
    assert.ok(lines.some((l) => /^[⚠✖] directors \(lb1, lb2\)$/.test(l)), `the play is not marked failed:\n${history}`)
    for (const d of ['lb1', 'lb2']) {
      assert.ok(lines.includes(`  ✖ ${d}`), `${d} is not marked failed:\n${history}`)
      assert.ok(lines.includes(`    › ${d} — FAILED at degraded`), `${d}'s failed step is not named:\n${history}`)
    }
    assert.doesNotMatch(history, /^✔ directors|^ {2}✔ lb/m, 'a tick over a failure')
    assert.match(history, /^lb1 +: ok=1 +changed=0 +failed=1 /m)
    assert.match(history, /^run \S+probe\.yaml: FAILED — lb[12] failed at "degraded"/m)
  })

  test('TERM=dumb on a terminal: the log of finished steps, host-prefixed, and no tree', async () => {
    const {code, history} = await inTmux(['deploy', lab.inventory, '--check'], () => undefined, '', undefined, 'dumb')
    assert.equal(code, 0, history)
    assert.match(history, /^PLAY \[real servers\] web1, web2, web3$/m)
    for (const h of HOSTS) assert.match(history, new RegExp(`^ok: \\[${h}\\] packages — `, 'm'))
    assert.doesNotMatch(history, /[✔❯◼⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, 'a tree was drawn')
    assert.match(history, /^deploy --check: ok — no changes; nothing was changed/m)
    assert.match(history, /^release r\d+-[0-9a-f]{8}: current on every host$/m, 'a run in sync says its release is already current')
  })

  test('deploy --check --detailed-exitcode: 0 in sync, 2 with changes pending (nothing changed), 1 on an error', async () => {
    const inSync = await lbctl(['deploy', lab.inventory, '--check', '--detailed-exitcode'])
    assert.equal(inSync.code, 0, inSync.stdout + inSync.stderr)
    assert.match(inSync.stdout, /deploy --check: ok — no changes; nothing was changed/)
    setInventory(1026, 'roundrobin')
    const pending = await lbctl(['deploy', lab.inventory, '--check', '--detailed-exitcode'])
    assert.equal(pending.code, 2, pending.stdout + pending.stderr)
    assert.match(pending.stdout, /deploy --check: ok — \d+ change\(s\) pending on 5 host\(s\); nothing was changed/)
    assert.equal((await lab.sh('web1', 'sysctl -n net.core.somaxconn')).stdout.trim(), '1025', '--check changed a host')
    const broken = await lbctl(['deploy', lab.inventory, '--check', '--detailed-exitcode', '--known-hosts', '/dev/null'])
    assert.equal(broken.code, 1, broken.stdout + broken.stderr)
  })

  test('the CI log of a change on every host: one line per finished step, host-prefixed, as the golden log', async () => {
    const r = await lbctl(['deploy', lab.inventory])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    noSecret(r.stdout + r.stderr, 'the CI log')
    assert.doesNotMatch(r.stderr, /\x1b\[|[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/, 'no escape sequence or spinner in a log')
    assert.doesNotMatch(r.stdout, /^(ok|changed|failed|skipping): \[/m, 'progress stays on stderr')
    const log = canonicalLog(r.stderr)
    assert.deepEqual(log, canonicalLog(golden(join(GOLDEN_DIR, 'deploy-change.stderr.txt'), r.stderr)))
    assert.equal(new Set(log).size, log.length, 'no line printed twice')
    assert.equal(stable(r.stdout), stable(golden(join(GOLDEN_DIR, 'deploy-change.stdout.txt'), r.stdout)))
    // Ansible's meaning: ok counts every step that succeeded, changed ones included.
    for (const [, ok, changed] of r.stdout.matchAll(/^\S+ +: ok=(\d+) +changed=(\d+)/gm)) assert.ok(Number(ok) >= Number(changed), r.stdout)
    const after = await lbctl(['deploy', lab.inventory, '--check', '--detailed-exitcode'])
    assert.equal(after.code, 0, after.stdout)
  })

  test('command output: -v prints rc and both streams, --json carries them, changed_when/failed_when judge, a failure shows rc and streams', async () => {
    const playbook = probePlaybook()
    const v = await lbctl(['run', playbook, lab.inventory, '--limit', 'lb1', '-v'])
    assert.equal(v.code, 1, v.stdout + v.stderr)
    assert.match(v.stdout, /^==> lb1: who \(rc=0\) <==\nstdout:\nout-lb1\nstderr:\nerr-lb1$/m)
    assert.match(v.stdout, /^==> lb1: degraded \(rc=0\) <==\nstdout:\nstate=DEGRADED\nstderr: \(none\)$/m)
    assert.match(v.stderr, /^ok: \[lb1\] who — /m)
    assert.match(v.stderr, /^release r\d+-[0-9a-f]{8}: this playbook records none$/m)
    assert.match(v.stderr, /^failed: \[lb1\] degraded — .*rc=0/m)
    assert.match(v.stderr + v.stdout, /state=DEGRADED/)
    assert.match(v.stdout, /^lb1 +: ok=1 +changed=0 +failed=1 /m)
    assert.doesNotMatch(v.stderr, /\[lb1\] never/, 'the run stopped at the failure')
    const j = await lbctl(['run', playbook, lab.inventory, '--limit', 'lb2', '--json'])
    const tasks = (JSON.parse(j.stdout) as {hosts: Record<string, {tasks: {task: string; status: string; rc?: number; stdout?: string; stderr?: string}[]}>}).hosts.lb2.tasks
    assert.deepEqual(
      tasks.map((t) => [t.task, t.status, t.rc, t.stdout?.trim(), t.stderr?.trim()]),
      [
        ['who', 'ok', 0, 'out-lb2', 'err-lb2'],
        ['degraded', 'failed', 0, 'state=DEGRADED', ''],
      ],
    )
  })

  test('--start-at-task runs from that step on the lab; --list-hosts names the 5 targets and contacts nothing', async () => {
    const r = await lbctl(['deploy', lab.inventory, '--start-at-task', 'keepalived healthy', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const hosts = (JSON.parse(r.stdout) as {hosts: Record<string, {tasks: {task: string}[]}>}).hosts
    assert.deepEqual(hosts.lb2.tasks.map((t) => t.task), ['keepalived healthy', 'every VIP on exactly one director', 'record release'])
    // Like Ansible's: the plays after the one holding the task run whole.
    assert.equal(hosts.lb1.tasks[0].task, 'packages')
    assert.equal(hosts.lb1.tasks.at(-1)!.task, 'record release')
    assert.equal(hosts.web1, undefined, 'the real servers\' play comes before the task: they are not targets')
    const list = await lbctl(['deploy', lab.inventory, '--list-hosts'])
    assert.equal(list.code, 0, list.stderr)
    for (const h of HOSTS) assert.match(list.stdout, new RegExp(`^ {4}${h}$`, 'm'))
  })

  test('Ctrl-C after the backup renamed its files: exit 130, the mixed pair reported loudly, what changed named, no lock left', async () => {
    setInventory(1026, 'leastconn')
    const p = await pausedCli(['deploy', lab.inventory], 'after:director files@lb2')
    p.signal('SIGINT')
    p.resume()
    const r = await p.done
    assert.equal(r.code, 130, r.stdout + r.stderr)
    assert.match(r.stderr, /interrupted: finishing the step in flight, then releasing every lock/)
    // The real servers recorded the new release; lb2 runs the new files; lb1 was never started.
    assert.match(r.stdout, /^changed: web1, web2, web3, lb2$/m)
    assert.match(r.stdout, /^not changed: lb1$/m)
    assert.match(r.stdout, /^lb1 +: ok=0 .* not run$/m)
    assert.match(r.stdout, /^WARNING: the directors of VI_1 now run different releases: lb1 r\d+-[0-9a-f]{8}, lb2 r\d+-[0-9a-f]{8} \(files active, release not recorded\)\.$/m)
    assert.match(r.stdout, /Run `lbctl deploy` again to finish, or `lbctl rollback` to go back\./)
    assert.match(r.stdout, /^deploy: INTERRUPTED — 4 host\(s\) changed before it stopped; every lock released/m)
    for (const h of HOSTS) assert.equal((await lab.sh(h, 'ls -d /var/lib/lbctl/lock 2>/dev/null; true')).stdout.trim(), '', `${h} still locked`)
    const again = await lbctl(['deploy', lab.inventory])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    assert.doesNotMatch(again.stdout, /WARNING/)
  })

  test('a second Ctrl-C exits at once and names the locks it left; the next run calls them stale, --break-lock takes them over', async () => {
    setInventory(1026, 'roundrobin')
    const p = await pausedCli(['deploy', lab.inventory], 'after:director files@lb2')
    // Both wait while the run is stopped and arrive together: the first stops the run, the second ends it.
    p.signal('SIGINT')
    p.signal('SIGTERM')
    p.resume()
    const r = await p.done
    assert.equal(r.code, 130, r.stdout + r.stderr)
    assert.match(r.stderr, /^second interrupt: exiting now; the deploy lock stays on (lb1, lb2|lb2, lb1) \(the next run reports it as stale; --break-lock takes it over\)$/m)
    for (const h of ['lb1', 'lb2']) assert.equal((await lab.sh(h, 'ls -d /var/lib/lbctl/lock')).stdout.trim(), '/var/lib/lbctl/lock', `${h} lost its lock`)
    const refused = await lbctl(['deploy', lab.inventory])
    assert.equal(refused.code, 3, refused.stdout + refused.stderr)
    assert.match(refused.stdout + refused.stderr, /no longer running \(a stale lock\)/)
    const taken = await lbctl(['deploy', lab.inventory, '--break-lock'])
    assert.equal(taken.code, 0, taken.stdout + taken.stderr)
    const check = await lbctl(['deploy', lab.inventory, '--check', '--detailed-exitcode'])
    assert.equal(check.code, 0, check.stdout)
  })

  test('rollback --check --diff shows, per director, what the rollback would change, and changes nothing', async () => {
    // The release before the current one balanced with leastconn (the first Ctrl-C test's, finished by its re-run).
    const r = await lbctl(['rollback', lab.inventory, '--check', '--diff', '--detailed-exitcode'])
    assert.equal(r.code, 2, r.stdout + r.stderr)
    noSecret(r.stdout + r.stderr, 'the rollback diff')
    for (const d of ['lb1', 'lb2']) {
      const header = `--- ${d}:/etc/haproxy/haproxy.cfg (on the host)\n+++ ${d}:/etc/haproxy/haproxy.cfg (in the release)\n`
      assert.ok(r.stdout.includes(header), `no diff of ${d}'s haproxy.cfg:\n${r.stdout}`)
      const body = r.stdout.slice(r.stdout.indexOf(header) + header.length).split(/\n(?=--- )/)[0]
      assert.match(body, /^-\s+balance roundrobin$/m, body)
      assert.match(body, /^\+\s+balance leastconn$/m, body)
      assert.match((await lab.sh(d, 'grep balance /etc/haproxy/haproxy.cfg')).stdout, /balance roundrobin/, `${d} was changed by --check`)
    }
  })

  test('a deploy lock held by a running deploy: every command that takes the lock is refused with 3 and its holder; read-only ones are not', async () => {
    const holder = await pausedCli(['deploy', lab.inventory], 'before:packages@web1')
    try {
      for (const args of [['deploy', lab.inventory], ['rollback', lab.inventory], ['run', 'deploy', lab.inventory], ['drain', lab.inventory, 'web1', '--wait', '0'], ['undrain', lab.inventory, 'web1'], ['failover-test', lab.inventory, '--yes', '--scenario', 'haproxy-kill']]) {
        const r = await lbctl(args)
        assert.equal(r.code, 3, `${args[0]}: ${r.stdout}${r.stderr}`)
        assert.match(r.stdout + r.stderr, /locked by deploy/, `${args[0]} does not name the holder`)
      }
      for (const args of [['releases', lab.inventory], ['run', 'health', lab.inventory], ['deploy', lab.inventory, '--check']]) {
        const r = await lbctl(args)
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      }
    } finally {
      holder.signal('SIGINT')
      holder.resume()
    }
    assert.equal((await holder.done).code, 130)
    for (const h of HOSTS) assert.equal((await lab.sh(h, 'ls -d /var/lib/lbctl/lock 2>/dev/null; true')).stdout.trim(), '', `${h} still locked`)
  })

  test('SIGTERM while the real servers work in parallel: exit 130, the directors untouched and said so, no mixed pair, no lock', async () => {
    setInventory(1027, 'roundrobin')
    const p = await pausedCli(['deploy', lab.inventory], 'before:record release@web2')
    p.signal('SIGTERM')
    p.resume()
    const r = await p.done
    assert.equal(r.code, 130, r.stdout + r.stderr)
    assert.match(r.stdout, /^not changed: .*\blb1\b/m)
    assert.match(r.stdout, /^not changed: .*\blb2\b/m)
    assert.doesNotMatch(r.stdout, /WARNING/, 'the directors were not touched: no mixed pair')
    assert.doesNotMatch(r.stderr, /PLAY \[backup directors\]/, 'a play started after the signal')
    for (const h of HOSTS) assert.equal((await lab.sh(h, 'ls -d /var/lib/lbctl/lock 2>/dev/null; true')).stdout.trim(), '', `${h} still locked`)
    const again = await lbctl(['deploy', lab.inventory])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    const check = await lbctl(['deploy', lab.inventory, '--check', '--detailed-exitcode'])
    assert.equal(check.code, 0, check.stdout)
  })
})
