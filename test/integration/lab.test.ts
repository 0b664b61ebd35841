/**
 * `lbctl lab` for real: namespaces, sshd, keepalived and lighttpd on this machine, no mocks. Needs root and the
 * Debian packages lab up checks for. Uses its own lab names and subnets (itlab 198.18.20.0/24, itlab2
 * 198.18.21.0/24) and an inventory directory in /tmp, so a developer's own lab is never touched.
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse as parseYaml} from 'yaml'
import {labDown, labExec, labSshArgv, labStatus, labUp, LabError, type LabStatus} from '../../src/lab/index.js'
import {bridgeName, linkTag, stateDirOf} from '../../src/lab/plan.js'
import {run, sleep, type RunResult} from '../../src/lab/run.js'
import {waitFor} from '../helpers/lab.js'
import {loadInventory} from '../../src/inventory/index.js'
import {renderHost} from '../../src/render/index.js'

const LAB = 'itlab'
const SUBNET = '198.18.20.0/24'
const LAB2 = 'itlab2'
const SUBNET2 = '198.18.21.0/24'
const at = (n: number) => `198.18.20.${n}`

const skip = process.platform !== 'linux' || process.getuid?.() !== 0 ? 'needs root on Linux' : false

/** The system ssh binary, StrictHostKeyChecking=yes against the known_hosts lab up wrote (what `lbctl lab ssh` runs). */
async function ssh(host: string, command: string, input?: string, lab = LAB): Promise<RunResult> {
  const argv = await labSshArgv(lab, host, [command])
  return run(argv, {input, timeoutMs: 20_000})
}

async function sshOk(host: string, command: string, input?: string): Promise<string> {
  const r = await ssh(host, command, input)
  assert.equal(r.code, 0, `ssh ${host} ${command}: exit ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** Everything of a lab the machine could still hold after `lab down`. */
async function leftovers(name: string, inventoryPath: string): Promise<string[]> {
  const left: string[] = []
  const stateDir = stateDirOf(name)
  for (const ns of readdirSync('/run/netns', {withFileTypes: true}).map((d) => d.name)) {
    if (ns.startsWith(`lbctl.${name}.`)) left.push(`netns ${ns}`)
  }
  const links = JSON.parse((await run(['ip', '-j', 'link', 'show'])).stdout) as Array<{ifname: string}>
  for (const l of links) {
    if (l.ifname.startsWith(`lbv${linkTag(name)}`) || l.ifname === bridgeName(name)) left.push(`link ${l.ifname}`)
  }
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) if (line.includes(stateDir)) left.push(`mount ${line}`)
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`${stateDir}/`)) left.push(`process ${pid}`)
    } catch {}
  }
  if (existsSync(stateDir)) left.push(`dir ${stateDir}`)
  if (existsSync(inventoryPath)) left.push(`file ${inventoryPath}`)
  return left
}

const vipHolders = (s: LabStatus, vip: string) => s.vips.find((v) => v.address === vip)?.holders ?? []

describe('lbctl lab', {skip, timeout: 120_000}, () => {
  const invDir = mkdtempSync(join(tmpdir(), 'lbctl-lab-test-'))
  const inventory = join(invDir, `${LAB}.yaml`)

  before(async () => {
    // A lab left by an interrupted earlier run.
    await labDown({name: LAB, inventoryDir: invDir})
    await labDown({name: LAB2, inventoryDir: invDir})
  })

  after(async () => {
    await labDown({name: LAB, inventoryDir: invDir}).catch((err) => console.error(`lab down ${LAB}: ${err}`))
    await labDown({name: LAB2, inventoryDir: invDir}).catch((err) => console.error(`lab down ${LAB2}: ${err}`))
    rmSync(invDir, {recursive: true, force: true})
  })

  test('lab up builds the hosts, the inventory and known_hosts', async () => {
    const up = await labUp({name: LAB, subnet: SUBNET, inventoryDir: invDir})
    assert.equal(up.up, true)
    assert.deepEqual(up.hosts.map((h) => [h.name, h.role, h.address]), [
      ['client', 'client', at(5)],
      ['lb1', 'director', at(11)],
      ['lb2', 'director', at(12)],
      ['web1', 'real_server', at(21)],
      ['web2', 'real_server', at(22)],
      ['web3', 'real_server', at(23)],
    ])
    assert.ok(up.elapsedMs < 5000, `lab up took ${up.elapsedMs} ms`)
    const inv = readFileSync(inventory, 'utf8')
    assert.match(inv, /^# yaml-language-server: \$schema=\.\.\/schema\/inventory\.schema\.json\n/)
    const doc = parseYaml(inv)
    assert.deepEqual(doc.groups.all.ssh, {user: 'root', identity_file: `${stateDirOf(LAB)}/id_ed25519`, known_hosts: `${stateDirOf(LAB)}/known_hosts`})
    assert.deepEqual(doc.directors, {lb1: {address: at(11), priority: 101}, lb2: {address: at(12), priority: 100}})
    assert.deepEqual(doc.vrrp_instances.VI_1.vips, [`${at(100)}/24`])
    assert.equal(doc.vrrp_instances.VI_1.auth_pass, `\${file:${stateDirOf(LAB)}/vrrp.pass}`)
    assert.match(readFileSync(`${stateDirOf(LAB)}/vrrp.pass`, 'utf8'), /^[A-Za-z0-9]{8}\n$/)
    assert.deepEqual(doc.haproxy.backends.web.servers, ['web1', 'web2', 'web3'])
    // The known_hosts holds the real host keys: one line per host, matching the key its sshd serves.
    const kh = readFileSync(`${stateDirOf(LAB)}/known_hosts`, 'utf8').trim().split('\n')
    assert.equal(kh.length, 6)
    const lb1Key = readFileSync(`${stateDirOf(LAB)}/hosts/lb1/ssh_host_ed25519_key.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
    assert.ok(kh.includes(`${at(11)} ${lb1Key} lb1.${LAB}.lab`))
  })

  test('the generated inventory loads with lbctl\'s own inventory loader', async (t) => {
    let load: {loadInventory: (ref: string) => {cluster: {name: string; directors: unknown[]; realServers: unknown[]}}}
    try {
      load = await import('../../src/inventory/load.js')
    } catch (err) {
      t.skip(`inventory loader not loadable: ${(err as Error).message}`)
      return
    }
    // Schema, cluster-wide checks and the ${file:…} secrets it points at.
    const {cluster} = load.loadInventory(inventory)
    assert.equal(cluster.name, LAB)
    assert.equal(cluster.directors.length, 2)
    assert.equal(cluster.realServers.length, 3)
  })

  test('every host answers ssh with its own hostname, host key checked', async () => {
    const status = await labStatus({name: LAB})
    const names = await Promise.all(status.hosts.map(async (h) => (await sshOk(h.name, 'hostname')).trim()))
    assert.deepEqual(names, status.hosts.map((h) => h.name))
    // A wrong host key is refused: StrictHostKeyChecking is really on.
    const argv = await labSshArgv(LAB, 'lb1', ['true'])
    const badKh = join(invDir, 'bad_known_hosts')
    const other = readFileSync(`${stateDirOf(LAB)}/hosts/lb2/ssh_host_ed25519_key.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
    writeFileSync(badKh, `${at(11)} ${other}\n`)
    const r = await run(argv.map((a) => (a.startsWith('UserKnownHostsFile=') ? `UserKnownHostsFile=${badKh}` : a)))
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
  })

  test('hosts have private /etc/keepalived, processes and hostname', async () => {
    await sshOk('lb1', 'echo lb1 > /etc/keepalived/marker; sleep 4242 >/dev/null 2>&1 &')
    assert.equal((await sshOk('lb1', 'cat /etc/keepalived/marker')).trim(), 'lb1')
    assert.equal((await ssh('lb2', 'test -e /etc/keepalived/marker')).code, 1, 'lb2 sees lb1\'s /etc/keepalived')
    assert.ok(!existsSync('/etc/keepalived/marker'), 'the machine sees lb1\'s /etc/keepalived')
    await waitFor('sleep on lb1', 3000, async () => ((await ssh('lb1', 'killall -0 sleep')).code === 0 ? true : undefined))
    assert.equal((await ssh('lb2', 'killall -0 sleep')).code, 1, 'lb2 sees lb1\'s processes')
    // PID 1 of every host is its own tini.
    assert.match(await sshOk('lb2', 'cat /proc/1/comm'), /^tini/)
    // Without ssh too: nsenter into the host's namespaces.
    const ex = await labExec(LAB, 'web2', ['sh', '-c', 'hostname; cat /etc/keepalived/marker 2>/dev/null; pgrep -x sleep'])
    assert.equal(ex.stdout.trim(), 'web2')
    // The hosts' bind mounts never show on the machine.
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(stateDirOf(LAB)))
  })

  test('keepalived + HAProxy started by hand with the lab-rendered configs: the VIP sits on exactly one director, and moves when its HAProxy dies', async () => {
    const vip = at(100)
    // The files lbctl renders for this lab inventory, put in place and started by hand (no deploy engine): the lab
    // is checked against the real configs. chk_haproxy is `killall -0 haproxy`: it only works because each director
    // sees its own processes alone.
    const {cluster} = loadInventory(inventory)
    for (const host of ['lb1', 'lb2']) {
      for (const f of renderHost(cluster, host).filter((f) => f.kind === 'keepalived' || f.kind === 'haproxy')) {
        await sshOk(host, `cat > ${f.path}`, f.content)
      }
      await sshOk(host, 'keepalived -t -f /etc/keepalived/keepalived.conf && haproxy -c -q -f /etc/haproxy/haproxy.cfg')
      await sshOk(host, 'haproxy -W -D -p /run/haproxy.pid -f /etc/haproxy/haproxy.cfg 2>/dev/null')
      await sshOk(host, 'keepalived -f /etc/keepalived/keepalived.conf -p /run/keepalived.pid -r /run/vrrp.pid -c /run/checkers.pid')
    }
    const holders = await waitFor('the VIP on a director', 10_000, async () => {
      const h = vipHolders(await labStatus({name: LAB}), vip)
      return h.length > 0 ? h : undefined
    })
    assert.deepEqual(holders, ['lb1'])
    // Still exactly one a few adverts later (no split brain), and `ip addr` on the directors agrees.
    await sleep(2000)
    assert.deepEqual(vipHolders(await labStatus({name: LAB}), vip), ['lb1'])
    assert.match(await sshOk('lb1', 'ip -4 addr show dev eth0'), new RegExp(`inet ${vip.replaceAll('.', '\\.')}/24`))
    assert.doesNotMatch(await sshOk('lb2', 'ip -4 addr show dev eth0'), new RegExp(vip.replaceAll('.', '\\.')))
    // Through the VIP from the client: round robin over the three real servers, X-Forwarded-For added by HAProxy.
    const through = await sshOk('client', `for i in 1 2 3; do busybox wget -q -O - http://${vip}/echo; done`)
    assert.deepEqual(through.split('\n').filter((l) => l.startsWith('server=')).sort(), ['server=web1', 'server=web2', 'server=web3'])
    assert.ok(through.includes(`x-forwarded-for: ${at(5)}`), through)
    // HAProxy dies on lb1 only: lb1's check fails (it cannot see lb2's haproxy), the VIP moves to lb2.
    await sshOk('lb1', 'kill $(cat /run/haproxy.pid)')
    await waitFor('the VIP on lb2', 10_000, async () => {
      const h = vipHolders(await labStatus({name: LAB}), vip)
      return h.length === 1 && h[0] === 'lb2' ? h : undefined
    })
    assert.equal((await ssh('lb2', 'killall -0 haproxy')).code, 0)
    assert.match(await sshOk('client', `busybox wget -q -O - http://${vip}/`), /^server=web[123]\n/)
  })

  test('a real server answers / with its name from a static file, and /echo with the request headers too', async () => {
    assert.equal(await sshOk('client', `busybox wget -q -O - http://${at(21)}/`), 'server=web1\n')
    const out = await sshOk('client', `busybox wget -q -O - --header 'X-Forwarded-For: 203.0.113.9' --header 'Cookie: SRV=web1' http://${at(21)}/echo`)
    const lines = out.split('\n')
    assert.equal(lines[0], 'server=web1')
    assert.ok(lines.some((l) => /^request: GET \/echo HTTP\/1\.[01]$/.test(l)), out)
    assert.ok(lines.includes(`host: ${at(21)}`), out)
    assert.ok(lines.includes('x-forwarded-for: 203.0.113.9'), out)
    assert.ok(lines.includes('cookie: SRV=web1'), out)
    assert.ok(lines.includes(`remote: ${at(5)}:`) || lines.some((l) => l.startsWith(`remote: ${at(5)}:`)), out)
    const health = await sshOk('client', `busybox wget -q -S -O - http://${at(23)}/health 2>&1`)
    assert.match(health, /HTTP\/1\.[01] 200 OK/)
  })

  test('lab up again keeps every host as it is', async () => {
    const before = await labStatus({name: LAB})
    const kh = readFileSync(`${stateDirOf(LAB)}/known_hosts`, 'utf8')
    const again = await labUp({name: LAB, inventoryDir: invDir})
    assert.equal(again.up, true)
    assert.deepEqual(again.kept, before.hosts.map((h) => h.name))
    assert.deepEqual(again.created, [])
    assert.deepEqual(again.repaired, [])
    assert.deepEqual(again.hosts.map((h) => h.initPid), before.hosts.map((h) => h.initPid))
    assert.equal(readFileSync(`${stateDirOf(LAB)}/known_hosts`, 'utf8'), kh)
    assert.deepEqual(vipHolders(again, at(100)), ['lb2'], 'lab up disturbed the running keepalived')
  })

  test('another lab on another subnet coexists; an overlapping subnet is refused', async () => {
    await assert.rejects(labUp({name: LAB2, subnet: '198.18.20.0/23', inventoryDir: invDir}), (err: Error) => {
      assert.ok(err instanceof LabError)
      assert.match(err.message, /198\.18\.20\.0\/23 is already in use .*route 198\.18\.20\.0\/24 dev lbb/)
      return true
    })
    const two = await labUp({name: LAB2, subnet: SUBNET2, directors: 1, realServers: 1, inventoryDir: invDir})
    assert.equal(two.up, true)
    assert.equal((await ssh('web1', 'hostname', undefined, LAB2)).stdout.trim(), 'web1')
    assert.equal((await labStatus({name: LAB})).up, true)
    await labDown({name: LAB2})
    assert.deepEqual(await leftovers(LAB2, join(invDir, `${LAB2}.yaml`)), [])
    assert.equal((await labStatus({name: LAB})).up, true, 'removing one lab hurt the other')
  })

  test('lab up repairs a half-killed lab', async () => {
    const before = await labStatus({name: LAB})
    const web2 = before.hosts.find((h) => h.name === 'web2')!
    process.kill(web2.initPid!, 'SIGKILL') // web2: its whole PID namespace dies, the netns stays
    await run(['ip', 'netns', 'del', 'lbctl.itlab.web3']) // web3: namespace name gone, its processes still running
    await run(['ip', 'link', 'del', before.hosts.find((h) => h.name === 'client')!.veth]) // client: cut off
    const broken = await labStatus({name: LAB})
    assert.equal(broken.up, false)
    const up = await labUp({name: LAB})
    assert.equal(up.up, true)
    assert.deepEqual(up.repaired, ['client', 'web2', 'web3'])
    assert.deepEqual(up.kept, ['lb1', 'lb2', 'web1'])
    // The nameless web3's old processes are gone (only the new web3 answers on its address).
    assert.equal(readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('tini\0-s\0--\0/bin/sh\0' + `${stateDirOf(LAB)}/hosts/web3/init.sh`)
      } catch {
        return false
      }
    }).length, 1)
    for (const host of ['client', 'web2', 'web3']) assert.equal((await sshOk(host, 'hostname')).trim(), host)
    const out = await sshOk('client', `for n in 21 22 23; do busybox wget -q -O - http://198.18.20.$n/ | head -n 1; done`)
    assert.deepEqual(out.trim().split('\n'), ['server=web1', 'server=web2', 'server=web3'])
  })

  test('lab down leaves nothing behind', async () => {
    const down = await labDown({name: LAB})
    assert.equal(down.existed, true)
    assert.equal(down.namespaces.length, 6)
    assert.deepEqual(await leftovers(LAB, inventory), [])
    // A second down is a no-op, not an error.
    assert.equal((await labDown({name: LAB})).existed, false)
  })
})
