/**
 * lbctl deploy / rollback on a real lab: keepalived, HAProxy and sshd in namespaces, reached over SSH with host keys
 * verified. Each test builds on the cluster state the previous one left, like an operator's day.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {freshDir, lbctl, snapshot, upLab, type TestLab} from '../helpers/lab.js'

const NAME = 'itdeploy'
const SUBNET = '198.18.31.0/24'
const VIP = '198.18.31.100'

let lab: TestLab
let inventoryText: string

/** An inventory variant written next to the lab's own (same keys, same known_hosts). */
function variant(name: string, edit: (yaml: string) => string): string {
  const file = join(lab.inventoryDir, `${name}.yaml`)
  const out = edit(inventoryText)
  assert.notEqual(out, inventoryText, `variant ${name} changed nothing`)
  writeFileSync(file, out)
  return file
}

interface JsonRun {
  outcome: string
  failure?: {host: string; task: string; message: string}
  errors: string[]
  release: string
  hosts: Record<string, {changed: number; failed: boolean; tasks: {task: string; status: string; handler: boolean; message?: string}[]}>
}

async function deploy(inventory: string, ...flags: string[]): Promise<{code: number; run: JsonRun; stderr: string}> {
  const r = await lbctl(['deploy', inventory, '--json', ...flags])
  return {code: r.code, run: JSON.parse(r.stdout) as JsonRun, stderr: r.stderr}
}

const handlersRun = (run: JsonRun) =>
  Object.entries(run.hosts).flatMap(([h, s]) => s.tasks.filter((t) => t.handler && t.status === 'changed').map((t) => `${h}: ${t.task}`))

async function pid(host: string, file: string): Promise<string> {
  return (await lab.sh(host, `cat ${file}`)).stdout.trim()
}

async function httpFromClient(url: string): Promise<string> {
  return (await lab.sh('client', `curl -s -m 3 ${url}`)).stdout
}

async function sha(host: string, path: string): Promise<string> {
  return (await lab.sh(host, `sha256sum ${path} | cut -d' ' -f1`)).stdout.trim()
}

describe('lbctl deploy on the lab', {concurrency: false}, () => {
  before(async () => {
    lab = await upLab(NAME, SUBNET)
    inventoryText = readFileSync(lab.inventory, 'utf8')
  })
  after(async () => {
    await lab?.down()
  })

  test('deploy brings up the cluster: HTTP through the VIP answers from every real server', async () => {
    const {code, run} = await deploy(lab.inventory)
    assert.equal(code, 0, JSON.stringify(run.errors))
    assert.equal(run.outcome, 'ok')
    const seen = new Set<string>()
    for (let i = 0; i < 9; i++) seen.add((await httpFromClient(`http://${VIP}/`)).split('\n')[0])
    assert.deepEqual([...seen].sort(), ['server=web1', 'server=web2', 'server=web3'])
    const holders = await Promise.all(['lb1', 'lb2'].map(async (h) => ((await lab.sh(h, 'ip -4 -o addr show')).stdout.includes(` ${VIP}/`) ? h : '')))
    assert.deepEqual(holders.filter(Boolean), ['lb1'], 'the VIP is on the master, and only there')
  })

  test('a re-run with no inventory change reports 0 changed and reloads nothing', async () => {
    const before = {h: await pid('lb1', '/run/haproxy.pid'), k: await pid('lb1', '/run/keepalived.pid')}
    const workers = (await lab.sh('lb1', 'pgrep -P "$(cat /run/haproxy.pid)"')).stdout
    const {code, run} = await deploy(lab.inventory)
    assert.equal(code, 0)
    assert.equal(Object.values(run.hosts).reduce((n, h) => n + h.changed, 0), 0)
    assert.deepEqual(handlersRun(run), [])
    assert.equal(await pid('lb1', '/run/keepalived.pid'), before.k)
    assert.equal(await pid('lb1', '/run/haproxy.pid'), before.h)
    assert.equal((await lab.sh('lb1', 'pgrep -P "$(cat /run/haproxy.pid)"')).stdout, workers, 'HAProxy workers were not replaced')
  })

  test('changing one weight reloads only HAProxy, and the reload refuses no client request', async () => {
    const weighted = variant('weight', (y) => y.replace('servers: [web1, web2, web3]', 'servers: [{name: web1, weight: 3}, web2, web3]'))
    const keepalivedPid = await pid('lb1', '/run/keepalived.pid')
    // 200 requests through the VIP, 10 ms apart, while the deploy reloads HAProxy on both directors.
    const load = lab.sh('client', `ok=0; bad=0; i=0; while [ $i -lt 200 ]; do if curl -s -o /dev/null -m 2 -w '%{http_code}' http://${VIP}/ | grep -q 200; then ok=$((ok+1)); else bad=$((bad+1)); fi; i=$((i+1)); sleep 0.01; done; echo "ok=$ok bad=$bad"`)
    const {code, run} = await deploy(weighted)
    const counts = (await load).stdout.trim()
    assert.equal(code, 0, JSON.stringify(run.failure))
    assert.deepEqual(handlersRun(run).sort(), ['lb1: reload haproxy', 'lb2: reload haproxy'])
    assert.equal(await pid('lb1', '/run/keepalived.pid'), keepalivedPid, 'keepalived untouched')
    assert.match((await lab.sh('lb1', 'cat /etc/haproxy/haproxy.cfg')).stdout, /server web1 198\.18\.31\.21:80 weight 3 check/)
    assert.equal(counts, 'ok=200 bad=0')
  })

  test('--check changes no byte on any host and reports what would change', async () => {
    const changed = variant('check', (y) => y.replace('servers: [web1, web2, web3]', 'servers: [web1, web2]'))
    const hosts = ['lb1', 'lb2', 'web1', 'client']
    const before = await Promise.all(hosts.map((h) => snapshot(lab, h)))
    const {code, run} = await deploy(changed, '--check', '--diff')
    assert.equal(code, 0)
    assert.ok(run.hosts.lb1.tasks.some((t) => t.task === 'director files' && t.status === 'changed' && /^would change: /.test(t.message ?? '')))
    assert.deepEqual(await Promise.all(hosts.map((h) => snapshot(lab, h))), before)
    assert.equal((await lab.sh('lb1', 'test -e /var/lib/lbctl/lock && echo locked')).stdout, '', 'check takes no lock')
  })

  test('--diff shows the change per host and never a secret, even when the secret itself changes', async () => {
    const newPass = join(lab.inventoryDir, 'vrrp2.pass')
    writeFileSync(newPass, 'Nw8pZq2r\n', {mode: 0o600})
    const changed = variant('diff', (y) => y.replace(/auth_pass: .*/, `auth_pass: "\${file:${newPass}}"`))
    const r = await lbctl(['deploy', changed, '--check', '--diff'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /--- lb1:\/etc\/keepalived\/keepalived\.conf \(on the host\)/)
    assert.match(r.stdout, /--- lb1:\/etc\/keepalived\/keepalived\.conf \(on the host\)\n\+\+\+ .*\n@@ secret value\(s\) changed \(masked\) @@/, 'the change is named without showing it')
    const old = readFileSync(`/var/lib/lbctl-lab/${NAME}/vrrp.pass`, 'utf8').trim()
    for (const secret of [old, 'Nw8pZq2r']) assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'a VRRP password appeared')
  })

  test('a config haproxy -c refuses fails on the first director, its old config keeps serving, the master is untouched', async () => {
    // validate refuses whatever it can see (an unknown option, say); a certificate the directors do not have, it cannot.
    const bad = variant('bad', (y) => y.replace('web: { bind: ":80", default_backend: web }', 'web: { bind: [":80", {port: 443, ssl: {crt: /etc/haproxy/certs/no-such.pem}}], default_backend: web }'))
    const shaBefore = {lb1: await sha('lb1', '/etc/haproxy/haproxy.cfg'), lb2: await sha('lb2', '/etc/haproxy/haproxy.cfg')}
    const releasesBefore = (await lab.sh('lb1', 'ls /var/lib/lbctl/releases')).stdout
    const {code, run} = await deploy(bad)
    assert.equal(code, 1)
    assert.equal(run.outcome, 'failed')
    assert.equal(run.failure?.host, 'lb2')
    assert.equal(run.failure?.task, 'director files')
    assert.match(run.failure?.message ?? '', /haproxy -c rejected the new \/etc\/haproxy\/haproxy\.cfg \(the old one stays active; nothing was changed on this host\)/)
    assert.match(run.failure?.message ?? '', /no-such\.pem/)
    assert.equal(await sha('lb2', '/etc/haproxy/haproxy.cfg'), shaBefore.lb2, 'lb2 keeps its old file')
    assert.equal((await lab.sh('lb2', 'ls /etc/haproxy | grep lbctl-new')).stdout, '', 'no temp file left behind')
    assert.match(await httpFromClient('http://198.18.31.12/'), /^server=web/, 'lb2 still serves with its old config')
    assert.equal(await sha('lb1', '/etc/haproxy/haproxy.cfg'), shaBefore.lb1, 'the master was not touched')
    assert.equal((await lab.sh('lb1', 'ls /var/lib/lbctl/releases')).stdout, releasesBefore)
    assert.equal(run.hosts.lb1.tasks.length, 0, 'no task ran on the master')
  })

  test('rollback re-activates the previous release: every managed file matches its sha256', async () => {
    // Releases so far: the first deploy, then the weight change (current). Roll back to the first.
    const list = (await lab.sh('lb1', 'ls /var/lib/lbctl/releases | grep -v current')).stdout.trim().split('\n')
    assert.equal(list.length, 2, list.join(','))
    const r = await lbctl(['rollback', lab.inventory, '--json'])
    assert.equal(r.code, 0, r.stdout + r.stderr)
    const out = JSON.parse(r.stdout) as JsonRun & {target: string}
    assert.equal(out.target, list[0])
    for (const host of ['lb1', 'lb2']) {
      const check = await lab.sh(host, `cd /var/lib/lbctl/releases/${list[0]} && while read -r p s m v svc; do echo "$(sha256sum "$p" | cut -d' ' -f1) $s"; done < files.list`)
      for (const line of check.stdout.trim().split('\n')) {
        const [live, recorded] = line.split(' ')
        assert.equal(live, recorded, `${host}: ${line}`)
      }
      assert.equal((await lab.sh(host, 'readlink /var/lib/lbctl/releases/current')).stdout.trim(), list[0])
    }
    assert.doesNotMatch((await lab.sh('lb1', 'cat /etc/haproxy/haproxy.cfg')).stdout, /weight 3/)
    assert.match(await httpFromClient(`http://${VIP}/`), /^server=web/)
  })

  test('a second concurrent deploy is refused by the lock, with who holds it', async () => {
    await lab.sh('lb1', `mkdir -p /var/lib/lbctl/lock && printf '%s' '{"runId":"x","user":"alice","controller":"ops-box","pid":4242,"since":"2026-11-21T09:00:00.000Z","command":"deploy"}' > /var/lib/lbctl/lock/holder`)
    const before = await snapshot(lab, 'lb2')
    const {code, run} = await deploy(lab.inventory)
    assert.equal(code, 3)
    assert.equal(run.outcome, 'refused')
    assert.match(run.errors.join('\n'), /lb1 is locked by deploy by alice@ops-box \(pid 4242\) since 2026-11-21T09:00:00\.000Z/)
    assert.deepEqual(await snapshot(lab, 'lb2'), before, 'nothing ran on the other director')
    assert.equal((await lab.sh('lb2', 'test -e /var/lib/lbctl/lock && echo locked')).stdout, '', 'the lock taken on lb2 was given back')
  })

  test('a stale lock (holder gone on this machine) is explained and --break-lock takes it over', async () => {
    const {hostname} = await import('node:os')
    await lab.sh('lb1', `rm -rf /var/lib/lbctl/lock; mkdir -p /var/lib/lbctl/lock && printf '%s' '{"runId":"y","user":"root","controller":"${hostname()}","pid":999999,"since":"2026-11-21T09:00:00.000Z","command":"deploy"}' > /var/lib/lbctl/lock/holder`)
    const refused = await deploy(lab.inventory)
    assert.equal(refused.code, 3)
    assert.match(refused.run.errors.join('\n'), /no longer running \(a stale lock\); re-run with --break-lock/)
    const broken = await deploy(lab.inventory, '--break-lock')
    assert.equal(broken.code, 0, JSON.stringify(broken.run.errors))
    assert.equal((await lab.sh('lb1', 'test -e /var/lib/lbctl/lock && echo locked')).stdout, '', 'released after the run')
  })

  test('a deploy while another run holds the lock is refused; it goes through once that run ends', async () => {
    // A real concurrent run: a custom playbook that holds the lock on every director for a few seconds.
    const slow = join(lab.inventoryDir, 'slow.yaml')
    writeFileSync(slow, 'name: slow\nplays:\n  - name: hold\n    hosts: directors\n    tasks:\n      - {name: sleep, module: command, args: {cmd: "sleep 4"}}\n')
    const first = lbctl(['run', slow, lab.inventory, '--json'])
    for (let i = 0; i < 100 && (await lab.sh('lb1', 'test -e /var/lib/lbctl/lock && echo y')).stdout.trim() !== 'y'; i++) await new Promise((r) => setTimeout(r, 50))
    const second = await deploy(lab.inventory)
    assert.equal(second.code, 3)
    assert.match(second.run.errors.join('\n'), /is locked by run .*slow\.yaml by root@/)
    assert.equal((await first).code, 0)
    assert.equal((await deploy(lab.inventory)).code, 0, 'the lock was released')
  })

  test('--limit deploys only the named host; the other keeps its files', async () => {
    const changed = variant('limit', (y) => y.replace('servers: [web1, web2, web3]', 'servers: [web1, web2, {name: web3, weight: 4}]'))
    const lb1Before = await sha('lb1', '/etc/haproxy/haproxy.cfg')
    const {code, run} = await deploy(changed, '--limit', 'lb2')
    assert.equal(code, 0, JSON.stringify(run.failure))
    assert.deepEqual(Object.keys(run.hosts), ['lb2'])
    assert.match((await lab.sh('lb2', 'cat /etc/haproxy/haproxy.cfg')).stdout, /server web3 198\.18\.31\.23:80 weight 4 check/)
    assert.equal(await sha('lb1', '/etc/haproxy/haproxy.cfg'), lb1Before)
  })

  test('releases are listed per host, pruned to releases_keep, and rollback --to picks one by ID', async () => {
    const keep2 = (w: number) => variant(`keep${w}`, (y) => `${y.replace('servers: [web1, web2, web3]', `servers: [{name: web1, weight: ${w}}, web2, web3]`)}deploy: { releases_keep: 2 }\n`)
    for (const w of [5, 6, 7]) assert.equal((await deploy(keep2(w))).code, 0)
    const ids = (await lab.sh('lb1', 'ls /var/lib/lbctl/releases | grep -v current')).stdout.trim().split('\n')
    assert.equal(ids.length, 2, `kept: ${ids.join(', ')}`)
    const listed = await lbctl(['releases', lab.inventory])
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, new RegExp(`^lb1\\n {4}${ids[0]}  \\S+  \\d+ file\\(s\\)\\n  \\* ${ids[1]}  `, 'm'))
    const back = await lbctl(['rollback', lab.inventory, '--to', ids[0], '--json'])
    assert.equal(back.code, 0, back.stdout)
    assert.match((await lab.sh('lb1', 'cat /etc/haproxy/haproxy.cfg')).stdout, /server web1 198\.18\.31\.21:80 weight 6 check/)
    assert.equal((await lab.sh('lb2', 'readlink /var/lib/lbctl/releases/current')).stdout.trim(), ids[0])
  })

  test('a host whose key in known_hosts was altered is refused before anything runs anywhere', async () => {
    const known = readFileSync(`/var/lib/lbctl-lab/${NAME}/known_hosts`, 'utf8')
    const dir = freshDir('lbctl-kh-')
    const other = readFileSync(`/var/lib/lbctl-lab/${NAME}/hosts/lb2/ssh_host_ed25519_key.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ')
    // lb1's line now carries lb2's key: same type, different key = "REMOTE HOST IDENTIFICATION HAS CHANGED".
    const altered = known.split('\n').map((l) => (l.startsWith('198.18.31.11 ') ? `198.18.31.11 ${other}` : l)).join('\n')
    writeFileSync(join(dir, 'known_hosts'), altered)
    const before = await Promise.all(['lb1', 'lb2'].map((h) => snapshot(lab, h)))
    const r = await lbctl(['deploy', variant('kh', (y) => y.replace('servers: [web1, web2, web3]', 'servers: [web3, web2, web1]')), '--json', '--known-hosts', join(dir, 'known_hosts')])
    assert.equal(r.code, 3, r.stdout)
    const run = JSON.parse(r.stdout) as JsonRun
    assert.match(run.errors.join('\n'), /lb1.*(CHANGED|changed)/)
    assert.deepEqual(await Promise.all(['lb1', 'lb2'].map((h) => snapshot(lab, h))), before)
  })
})
