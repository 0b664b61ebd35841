/**
 * The rendered host scripts run for real, each in a throwaway network namespace: whatever they do to lo, routes,
 * /proc/sys/net or NIC offloads happens to that namespace only, and the namespace is deleted afterwards.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {loadInventory, type Cluster} from '../../src/inventory/index.js'
import {renderHost} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'
import {addInterface, inNetns, prerequisites, runScriptInNetns} from '../helpers/daemons.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ENV = {LBCTL_VRRP_PASS: 'k33p#l1v', LBCTL_STATS_PASS: 'st4ts s3cret!'}
const load = (rel: string): Cluster => loadInventory(join(ROOT, rel), {cwd: ROOT, env: ENV}).cluster
const script = (cluster: Cluster, host: string, path: string) => renderHost(cluster, host).find((f) => f.path === path)!.content

const skip = prerequisites('netns') ?? false
let counter = 0

/** A namespace for one describe block, created in before() and always deleted in after(). */
function namespace(): {name: string} {
  const ns = {name: `lbctl-rs${process.pid}-${++counter}`}
  before(() => execFileSync('ip', ['netns', 'add', ns.name]))
  after(() => execFileSync('ip', ['netns', 'del', ns.name], {stdio: 'ignore'}))
  return ns
}

async function sysctl(ns: string, iface: string, knob: string): Promise<string> {
  return (await inNetns(ns, 'cat', [`/proc/sys/net/ipv4/conf/${iface}/${knob}`])).output.trim()
}

async function loAddresses(ns: string): Promise<string> {
  return (await inNetns(ns, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'lo'])).output
}

describe('T2 real server script in a network namespace: start, start again, status, stop, status', {skip}, () => {
  const ns = namespace()
  const rs1 = script(load('inventories/examples/t2-lvs-dr.yaml'), 'rs1', PATHS.realServerScript)
  const knobs = ['lo', 'all', 'eth0'].flatMap((iface) => [[iface, 'arp_ignore'], [iface, 'arp_announce']] as const)

  before(async () => addInterface(ns.name, 'eth0')) // rs1's real interface, whose ARP it also suppresses

  it('start puts the VIP on lo as /32 with its label and sets arp_ignore=1, arp_announce=2', async () => {
    const r = await runScriptInNetns(ns.name, rs1, ['start'])
    assert.equal(r.code, 0, r.output)
    assert.match(await loAddresses(ns.name), /inet 192\.0\.2\.100\/32 scope global lo:0/)
    for (const [iface, knob] of knobs) assert.equal(await sysctl(ns.name, iface, knob), knob === 'arp_ignore' ? '1' : '2', `${iface}.${knob}`)
  })

  it('start again changes nothing', async () => {
    const before = await loAddresses(ns.name)
    const r = await runScriptInNetns(ns.name, rs1, ['start'])
    assert.equal(r.code, 0, r.output)
    assert.equal(await loAddresses(ns.name), before)
    assert.equal((before.match(/192\.0\.2\.100/g) ?? []).length, 1)
  })

  it('status exits 0 while everything is in place', async () => {
    const r = await runScriptInNetns(ns.name, rs1, ['status'])
    assert.equal(r.code, 0, r.output)
    assert.match(r.output, /realserver: running/)
  })

  it('stop removes the VIP and restores the sysctls to 0', async () => {
    const r = await runScriptInNetns(ns.name, rs1, ['stop'])
    assert.equal(r.code, 0, r.output)
    assert.doesNotMatch(await loAddresses(ns.name), /192\.0\.2\.100/)
    for (const [iface, knob] of knobs) assert.equal(await sysctl(ns.name, iface, knob), '0', `${iface}.${knob}`)
  })

  it('status exits 3 and names what is missing', async () => {
    const r = await runScriptInNetns(ns.name, rs1, ['status'])
    assert.equal(r.code, 3, r.output)
    assert.match(r.output, /missing: 192\.0\.2\.100\/32 on lo/)
    assert.match(r.output, /missing: \/proc\/sys\/net\/ipv4\/conf\/all\/arp_ignore = 1/)
  })

  it('refuses an unknown command with usage and exit 2', async () => {
    const r = await runScriptInNetns(ns.name, rs1, ['bogus'])
    assert.equal(r.code, 2)
    assert.match(r.output, /Usage: .* \{start\|stop\|status\|restart\}/)
  })
})

describe('T2 real server on a VLAN interface with arp_scope [lo, interface]', {skip}, () => {
  const ns = namespace()
  const rs2 = script(load('inventories/examples/t2-lvs-dr.yaml'), 'rs2', PATHS.realServerScript)
  before(async () => addInterface(ns.name, 'eth0.100'))

  it('suppresses ARP on eth0.100 and lo, leaves "all" alone', async () => {
    const r = await runScriptInNetns(ns.name, rs2, ['start'])
    assert.equal(r.code, 0, r.output)
    assert.equal(await sysctl(ns.name, 'eth0.100', 'arp_ignore'), '1')
    assert.equal(await sysctl(ns.name, 'eth0.100', 'arp_announce'), '2')
    assert.equal(await sysctl(ns.name, 'all', 'arp_ignore'), '0')
    assert.equal((await runScriptInNetns(ns.name, rs2, ['status'])).code, 0)
  })

  it('adds no VIP when the ARP sysctls cannot be set', async () => {
    await runScriptInNetns(ns.name, rs2, ['stop'])
    await inNetns(ns.name, 'ip', ['link', 'del', 'eth0.100'])
    const r = await runScriptInNetns(ns.name, rs2, ['start'])
    assert.equal(r.code, 1)
    assert.match(r.output, /not adding the VIPs/)
    assert.doesNotMatch(await loAddresses(ns.name), /192\.0\.2\.100/)
  })
})

describe('T4 LVS-NAT real server: default route via the DIP', {skip}, () => {
  const ns = namespace()
  const rs1 = script(load('inventories/examples/t4-lvs-nat.yaml'), 'rs1', PATHS.realServerScript)
  before(async () => {
    await addInterface(ns.name, 'eth0')
    await inNetns(ns.name, 'ip', ['addr', 'add', '10.10.0.21/24', 'dev', 'eth0'])
    await inNetns(ns.name, 'ip', ['link', 'set', 'eth0', 'up'])
  })

  it('status reports the missing route, start sets it idempotently, status is then 0', async () => {
    const missing = await runScriptInNetns(ns.name, rs1, ['status'])
    assert.equal(missing.code, 3)
    assert.match(missing.output, /missing: default route via 10\.10\.0\.1/)
    for (let i = 0; i < 2; i++) assert.equal((await runScriptInNetns(ns.name, rs1, ['start'])).code, 0)
    assert.match((await inNetns(ns.name, 'ip', ['-4', 'route', 'show', 'default'])).output, /^default via 10\.10\.0\.1 dev eth0/)
    assert.equal((await runScriptInNetns(ns.name, rs1, ['status'])).code, 0)
  })
})

describe('director tuning script on a veth pair', {skip}, () => {
  const ns = namespace()
  const tuning = script(load('inventories/examples/t2-lvs-dr.yaml'), 'lvs1', PATHS.tuningScript)
  before(async () => {
    const r = await inNetns(ns.name, 'ip', ['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p'])
    assert.equal(r.code, 0, r.output)
  })

  it('turns GRO off, reports LRO "[fixed]" rather than failing, and is a no-op the second time', async (t) => {
    const probe = await inNetns(ns.name, 'ethtool', ['-k', 'eth0'])
    if (probe.code !== 0) return t.skip(`ethtool cannot read offloads here: ${probe.output.trim()}`)
    await inNetns(ns.name, 'ethtool', ['-K', 'eth0', 'gro', 'on'])
    const first = await runScriptInNetns(ns.name, tuning, [])
    assert.equal(first.code, 0, first.output)
    assert.match(first.output, /eth0: gro off/)
    assert.match((await inNetns(ns.name, 'ethtool', ['-k', 'eth0'])).output, /^generic-receive-offload: off/m)
    const second = await runScriptInNetns(ns.name, tuning, [])
    assert.equal(second.code, 0, second.output)
    assert.match(second.output, /eth0: gro already off/)
    assert.match(second.output, /eth0: lro (already off|is .*\[fixed\])/)
  })
})
