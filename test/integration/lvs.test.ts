/**
 * Real IPVS on the lab: `lab up --topology lvs-dr|lvs-nat` boots the directors as QEMU VMs (Debian's kernel, TCG),
 * `lbctl deploy` pushes T2 / T4 to them unchanged, and traffic from the client namespace goes through the VIP.
 * Needs root, qemu-system-x86 and (once) Debian's kernel package. Slow by nature (an emulated CPU): few tests,
 * generous timeouts. Labs itlvs (198.18.33.0/24) and itlvsnat (198.18.34.0/24, inside 198.19.34.0/24).
 */
import assert from 'node:assert/strict'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {labDown, labExec, labStatus, labUp, loadPlan, type LabPlan} from '../../src/lab/index.js'
import {httpdConfigPath, wwwDir} from '../../src/lab/host.js'
import {withCpuHogs} from '../helpers/load.js'
import {which} from '../../src/lab/prereqs.js'
import {freshDir, lbctl, waitFor as waitUntil} from '../helpers/lab.js'

const waitFor = <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) => waitUntil(what, timeoutMs, probe, 250)

const skip =
  process.platform !== 'linux' || process.getuid?.() !== 0 ? 'needs root on Linux' : !which('qemu-system-x86_64') ? 'needs qemu-system-x86 (apt-get install -y qemu-system-x86)' : false

async function sh(lab: string, host: string, command: string, timeoutMs = 60_000): Promise<string> {
  const r = await labExec(lab, host, ['sh', '-c', command], {timeoutMs})
  assert.equal(r.code, 0, `${host}: ${command}: exit ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** `server=NAME` of each of n requests from the client, one connection each. */
async function servers(lab: string, url: string, n: number): Promise<string[]> {
  const out = await sh(lab, 'client', `for i in $(seq 1 ${n}); do curl -s -m 5 ${url} | head -n 1; echo; done`)
  return out.split('\n').filter((l) => l.startsWith('server=')).map((l) => l.slice('server='.length))
}

const count = (xs: string[]) => xs.reduce<Record<string, number>>((acc, x) => ((acc[x] = (acc[x] ?? 0) + 1), acc), {})

const bytes = (dev: string, dir: 'rx' | 'tx') => Number(readFileSync(`/sys/class/net/${dev}/statistics/${dir}_bytes`, 'utf8'))

/** Bytes each side sent while `fn` ran: a VM's sent bytes are its TAP's rx on the machine, a namespace's its veth's. */
async function sentBytes(plan: LabPlan, director: string, fn: () => Promise<void>): Promise<{director: number; realServers: number}> {
  const tap = plan.hosts.find((h) => h.name === director)!.vm!.taps.map((t) => t.tap)
  const veths = plan.hosts.filter((h) => h.role === 'real_server').map((h) => h.veth)
  const sum = (devs: string[]) => devs.reduce((s, d) => s + bytes(d, 'rx'), 0)
  const [d0, r0] = [sum(tap), sum(veths)]
  await fn()
  return {director: sum(tap) - d0, realServers: sum(veths) - r0}
}

async function holder(lab: string, vip: string): Promise<string[]> {
  return (await labStatus({name: lab})).vips.find((v) => v.address === vip)?.holders ?? []
}

/** What a failed deploy needs explained: the VMs' state and the end of their console logs. */
async function diagnose(lab: string): Promise<string> {
  const s = await labStatus({name: lab})
  const out = [`lab status: ${JSON.stringify(s.hosts.map((h) => ({name: h.name, sshd: h.sshd, vm: h.vm})))}`]
  for (const h of s.hosts.filter((x) => x.vm)) {
    try {
      out.push(`${h.name} console:\n${readFileSync(join(s.stateDir, 'hosts', h.name, 'console.log'), 'utf8').split('\n').slice(-15).join('\n')}`)
    } catch {}
  }
  return out.join('\n')
}

async function deploy(inventory: string, lab: string): Promise<void> {
  const r = await lbctl(['deploy', inventory, '--json'])
  if (r.code !== 0) assert.fail(`deploy ${inventory} failed: ${r.stdout.slice(-1500)} ${r.stderr.slice(-1500)}\n${await diagnose(lab)}`)
}

/** A 256 KiB static file on each real server: a reply large enough that its path shows in the byte counters. */
function bigFiles(plan: LabPlan): () => void {
  const files = plan.hosts.filter((h) => h.role === 'real_server').map((h) => join(wwwDir(h), 'big'))
  for (const f of files) writeFileSync(f, Buffer.alloc(256 * 1024, 'x'))
  return () => files.forEach((f) => rmSync(f, {force: true}))
}

describe('LVS lab: directors as QEMU VMs with real IPVS', {skip, timeout: 1_800_000, concurrency: false}, () => {
  describe('LVS-DR (T2)', {concurrency: false}, () => {
    const LAB = 'itlvs'
    const VIP = '198.18.33.100'
    const STICKY = '198.18.33.101'
    const invDir = freshDir('lbctl-itlvs-')
    let plan: LabPlan

    before(async () => {
      await labDown({name: LAB, inventoryDir: invDir})
      const up = await labUp({name: LAB, subnet: '198.18.33.0/24', topology: 'lvs-dr', directors: 2, realServers: 2, inventoryDir: invDir})
      assert.ok(up.up, 'lab up --topology lvs-dr')
      assert.equal(up.lvsInventory, join(invDir, `${LAB}-dr.yaml`))
      plan = await loadPlan(LAB)
      await deploy(up.lvsInventory!, LAB)
    })
    after(async () => {
      await labDown({name: LAB, inventoryDir: invDir})
      rmSync(invDir, {recursive: true, force: true})
    })

    test('lab status shows the VMs, sshd up, one VIP holder; known_hosts has their keys; IPVS is real', async () => {
      const s = await labStatus({name: LAB})
      assert.ok(s.up)
      for (const d of s.hosts.filter((h) => h.role === 'director')) {
        assert.ok(d.vm && d.vm.qemuPid === d.initPid && d.sshd, `${d.name} is a running VM with sshd`)
        assert.ok(readFileSync(s.knownHosts!, 'utf8').includes(`${d.address} ssh-ed25519 `))
      }
      // A VM's status file (what lab status reads) is refreshed every 2 s: right after the deploy it may lag.
      const holders = await waitFor('the VIP in lab status', 10_000, async () => {
        const h = await holder(LAB, VIP)
        return h.length ? h : undefined
      })
      assert.deepEqual(holders, ['lb1'])
      const table = await sh(LAB, 'lb1', 'ipvsadm -Ln')
      assert.match(table, new RegExp(`TCP  ${VIP}:80 wrr`))
      assert.match(table, new RegExp(`TCP  ${STICKY}:80 rr persistent 300`))
      assert.match(table, /198\.18\.33\.21:80\s+Route\s+3/)
      // virtio-net: LRO cannot change and says so; the deploy's ethtool task reported it instead of failing.
      assert.match(await sh(LAB, 'lb1', 'ethtool -k eth0'), /generic-receive-offload: off[\s\S]*large-receive-offload: off \[fixed\]/)
    })

    test('wrr with weights 3:1: 40 requests through the VIP split 30/10', async () => {
      const c = count(await servers(LAB, `http://${VIP}/`, 40))
      assert.deepEqual(c, {web1: 30, web2: 10}, JSON.stringify(c))
    })

    test('LVS-DR: replies go straight from the real servers, not through the director', async () => {
      const cleanup = bigFiles(plan)
      try {
        const sent = await sentBytes(plan, 'lb1', async () => {
          await sh(LAB, 'client', `for i in 1 2 3 4 5 6 7 8; do curl -s -m 10 -o /dev/null http://${VIP}/big || exit 1; done`)
        })
        console.log(`# DR, 8 x 256 KiB through ${VIP}: real servers sent ${sent.realServers} B, the director ${sent.director} B`)
        assert.ok(sent.realServers >= 8 * 256 * 1024, `real servers sent ${sent.realServers} B`)
        assert.ok(sent.director < sent.realServers / 10, `the director sent ${sent.director} B: replies went through it`)
      } finally {
        cleanup()
      }
    })

    test('persistence: every request of the client lands on one real server', async () => {
      const got = await servers(LAB, `http://${STICKY}/`, 12)
      assert.equal(got.length, 12)
      assert.equal(new Set(got).size, 1, got.join(' '))
    })

    test('a real server whose HTTP service stops leaves the IPVS table, and comes back', async () => {
      const web2 = plan.hosts.find((h) => h.name === 'web2')!
      await sh(LAB, 'web2', 'kill "$(cat /run/lighttpd.pid)"')
      const t0 = Date.now()
      await waitFor('web2 out of the IPVS table', 30_000, async () => (!(await sh(LAB, 'lb1', 'ipvsadm -Ln')).includes(web2.address) ? true : undefined))
      console.log(`# web2 left the table ${Date.now() - t0} ms after its HTTP service stopped`)
      assert.deepEqual(count(await servers(LAB, `http://${VIP}/`, 6)), {web1: 6})
      await sh(LAB, 'web2', `lighttpd -f ${httpdConfigPath(web2)}`)
      await waitFor('web2 back in the IPVS table', 30_000, async () => ((await sh(LAB, 'lb1', 'ipvsadm -Ln')).includes(web2.address) ? true : undefined))
    })

    test('keepalived stops on the master: VIP and IPVS service on the backup, HTTP keeps working; deploy restores', async () => {
      const t0 = Date.now()
      await sh(LAB, 'lb1', 'kill "$(cat /run/keepalived.pid)"')
      await waitFor('the VIP on lb2', 30_000, async () => ((await holder(LAB, VIP)).join() === 'lb2' ? true : undefined))
      console.log(`# VIP on lb2 ${Date.now() - t0} ms after keepalived was stopped on lb1 (seen by lab status, 2 s resolution)`)
      assert.match(await sh(LAB, 'lb2', 'ipvsadm -Ln'), new RegExp(`TCP  ${VIP}:80 wrr`))
      const got = await servers(LAB, `http://${VIP}/`, 8)
      assert.equal(got.length, 8, 'every request answered through lb2')
      await deploy(join(invDir, `${LAB}-dr.yaml`), LAB)
      await waitFor('the VIP back on lb1 (preempt)', 20_000, async () => ((await holder(LAB, VIP)).join() === 'lb1' ? true : undefined))
    })

    test('lbctl failover-test on the LVS cluster, with two CPU hogs beside it: keepalived-kill and keepalived-stop pass; the backup\'s IPVS table serves; restored', async () => {
      const r = await withCpuHogs(2, () => lbctl(['failover-test', join(invDir, `${LAB}-dr.yaml`), '--scenario', 'keepalived-kill,keepalived-stop', '--json']))
      let report: {scenarios: {name: string; status: string; reasons: string[]; restored: boolean; split_brain: unknown[]; bound?: {seconds: number}; times: {fault?: number; moved?: number}; initial_holders: Record<string, string[]>; final_holders: Record<string, string[]>; measures?: {outage_s?: number}}[]}
      try {
        report = JSON.parse(r.stdout)
      } catch {
        assert.fail(`no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}\n${await diagnose(LAB)}`)
      }
      for (const s of report.scenarios) {
        console.log(`# failover-test ${s.name} on LVS-DR (busy): ${s.status}; VIP moved ${s.times.moved !== undefined && s.times.fault !== undefined ? `${Math.round(s.times.moved - s.times.fault)} ms` : 'never'} after the fault; outage ${s.measures?.outage_s} s of ${s.bound?.seconds} s; ${s.reasons.join('; ')}`)
        assert.equal(s.status, 'pass', `${s.name}: ${s.reasons.join('; ')}`)
        assert.deepEqual(s.split_brain, [], 'no split brain')
        assert.equal(s.restored, true, 'the cluster is back as it was')
        assert.deepEqual(s.final_holders, s.initial_holders)
      }
      assert.equal(r.code, 0, r.stderr)
      assert.match(await sh(LAB, 'lb2', 'ipvsadm -Ln'), new RegExp(`TCP  ${VIP}:80 wrr`), 'the backup holds the IPVS service it takes over')
      await waitFor('the VIP back on lb1 in lab status', 10_000, async () => ((await holder(LAB, VIP)).join() === 'lb1' ? true : undefined))
    })
  })

  describe('LVS-NAT (T4)', {concurrency: false}, () => {
    const LAB = 'itlvsnat'
    const VIP = '198.18.34.100'
    const invDir = freshDir('lbctl-itlvsnat-')
    let plan: LabPlan

    before(async () => {
      await labDown({name: LAB, inventoryDir: invDir})
      const up = await labUp({name: LAB, subnet: '198.18.34.0/24', topology: 'lvs-nat', directors: 2, realServers: 2, inventoryDir: invDir})
      assert.ok(up.up, 'lab up --topology lvs-nat')
      plan = await loadPlan(LAB)
      assert.equal(plan.inside?.dip, '198.19.34.100')
      await deploy(up.lvsInventory!, LAB)
    })
    after(async () => {
      await labDown({name: LAB, inventoryDir: invDir})
      rmSync(invDir, {recursive: true, force: true})
    })

    test('HTTP through the VIP reaches both real servers, which see the client address and route back via the DIP', async () => {
      const out = await sh(LAB, 'client', `for i in $(seq 1 8); do curl -s -m 5 http://${VIP}/echo; done`)
      const seen = [...out.matchAll(/^server=(\S+)$/gm)].map((m) => m[1])
      assert.deepEqual(count(seen), {web1: 6, web2: 2}, out)
      for (const m of out.matchAll(/^remote: (\S+):\d+$/gm)) assert.equal(m[1], '198.18.34.5', 'the real server sees the client, not the director')
      for (const w of ['web1', 'web2']) assert.match(await sh(LAB, w, 'ip route show default'), /default via 198\.19\.34\.100 /)
      assert.match(await sh(LAB, 'lb1', 'ipvsadm -Ln'), /198\.19\.34\.21:80\s+Masq\s+3/)
    })

    test('LVS-NAT: the replies do go through the director', async () => {
      const cleanup = bigFiles(plan)
      try {
        const sent = await sentBytes(plan, 'lb1', async () => {
          await sh(LAB, 'client', `for i in 1 2 3 4; do curl -s -m 10 -o /dev/null http://${VIP}/big || exit 1; done`)
        })
        console.log(`# NAT, 4 x 256 KiB through ${VIP}: real servers sent ${sent.realServers} B, the director ${sent.director} B`)
        assert.ok(sent.director >= 4 * 256 * 1024, `the director sent only ${sent.director} B`)
      } finally {
        cleanup()
      }
    })
  })
})
