/**
 * What client state survives a director failover, measured by failover-test on real labs, with and without the
 * feature that carries it — so each test can fail:
 *   HAProxy + peers: sticky clients (stick on src, one source address each) keep their server across haproxy-kill
 *   and keepalived-stop; without peers the new director has an empty table and they do not all keep it.
 *   Cookie stickiness keeps every client by design.
 *   LVS-DR + lvs_sync: established connections keep moving data across keepalived-stop and keepalived-kill;
 *   without it the backup resets them.
 */
import assert from 'node:assert/strict'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {labDown, labUp} from '../../src/lab/index.js'
import {which} from '../../src/lab/prereqs.js'
import {freshDir, lbctl, upDeployedLab, type TestLab} from '../helpers/lab.js'

interface Kept {
  name: string
  status: string
  reasons: string[]
  established?: {total: number; kept: number; reset: number; stalled: number}
  sticky?: {total: number; kept: number; by: string}
}

async function failover(inventory: string, ...args: string[]): Promise<Kept[]> {
  const r = await lbctl(['failover-test', inventory, '--json', ...args])
  let report: {scenarios: Kept[]}
  try {
    report = JSON.parse(r.stdout)
  } catch {
    throw new Error(`no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`)
  }
  for (const s of report.scenarios) console.log(`# ${s.name}: ${s.status}; established ${JSON.stringify(s.established)}; sticky ${JSON.stringify(s.sticky)} ${s.reasons.join('; ')}`)
  // What failover-test said about each connection it lost, so a failure under load can be read from CI's log.
  for (const line of r.stderr.split('\n')) if (/^established:|: (PASS|FAIL|ERROR)/.test(line)) console.log(`#   ${line}`)
  for (const s of report.scenarios) assert.ok(s.status === 'pass', `${s.name}: ${s.status} ${s.reasons.join('; ')}`)
  return report.scenarios
}

describe('sticky clients through a failover (HAProxy)', {concurrency: false}, () => {
  let lab: TestLab
  const variant = (name: string, edit: (yaml: string) => string) => {
    const file = join(lab.inventoryDir, `${name}.yaml`)
    writeFileSync(file, edit(readFileSync(lab.inventory, 'utf8')))
    return file
  }
  const backend = '    web: { balance: roundrobin, servers: [web1, web2, web3], httpchk: { path: /health } }'
  before(async () => {
    lab = await upDeployedLab('itsurv', '198.18.44.0/24')
  })
  after(async () => {
    await lab?.down()
  })

  test('with peers, every sticky client (one source address each) keeps its server across haproxy-kill and keepalived-stop', async () => {
    const inv = variant('peers', (y) => y.replace(backend, `${backend.slice(0, -2)}, stick_table: { expire: 30m } }`).replace('haproxy:\n', 'haproxy:\n  peers: true\n'))
    const d = await lbctl(['deploy', inv, '--json'])
    assert.equal(d.code, 0, d.stdout)
    const scenarios = await failover(inv, '--scenario', 'haproxy-kill,keepalived-stop', '--sticky', '6', '--from', 'client')
    for (const s of scenarios) {
      assert.equal(s.sticky?.by, 'source')
      assert.deepEqual([s.sticky?.kept, s.sticky?.total], [6, 6], `${s.name}: every client kept its server`)
    }
  })

  test('without peers, the director that takes over has an empty table: not every sticky client keeps its server', async () => {
    const inv = variant('nopeers', (y) => y.replace(backend, `${backend.slice(0, -2)}, stick_table: { expire: 30m } }`))
    const d = await lbctl(['deploy', inv, '--json'])
    assert.equal(d.code, 0, d.stdout)
    const scenarios = await failover(inv, '--scenario', 'haproxy-kill,keepalived-stop', '--sticky', '6', '--from', 'client')
    for (const s of scenarios) assert.ok(s.sticky!.kept < s.sticky!.total, `${s.name}: ${s.sticky!.kept} of ${s.sticky!.total} kept by chance`)
  })

  test('cookie stickiness keeps every client by design', async () => {
    const inv = variant('cookie', (y) => y.replace(backend, `${backend.slice(0, -2)}, cookie: { name: SRVID } }`))
    const d = await lbctl(['deploy', inv, '--json'])
    assert.equal(d.code, 0, d.stdout)
    const scenarios = await failover(inv, '--scenario', 'haproxy-kill,keepalived-stop', '--sticky', '8', '--established', '5')
    for (const s of scenarios) {
      assert.equal(s.sticky?.by, 'cookie')
      assert.deepEqual([s.sticky?.kept, s.sticky?.total], [8, 8])
      // A connection HAProxy terminated lives on the old director: it cannot follow the VIP.
      assert.equal(s.established?.kept, 0, `${s.name}: HAProxy-terminated connections do not survive`)
    }
  })
})

const noVm = process.platform !== 'linux' || process.getuid?.() !== 0 ? 'needs root on Linux' : !which('qemu-system-x86_64') ? 'needs qemu-system-x86' : false

describe('established connections through a failover (LVS-DR on QEMU directors)', {skip: noVm, timeout: 1_800_000, concurrency: false}, () => {
  const LAB = 'itsurvlvs'
  const invDir = freshDir('lbctl-itsurvlvs-')
  const dr = join(invDir, `${LAB}-dr.yaml`)
  before(async () => {
    await labDown({name: LAB, inventoryDir: invDir})
    const up = await labUp({name: LAB, subnet: '198.18.45.0/24', topology: 'lvs-dr', directors: 2, realServers: 2, inventoryDir: invDir})
    assert.ok(up.up)
  })
  after(async () => {
    await labDown({name: LAB, inventoryDir: invDir})
    rmSync(invDir, {recursive: true, force: true})
  })

  test('without lvs_sync the backup resets (or strands) the connections it never saw', async () => {
    const d = await lbctl(['deploy', dr, '--json'])
    assert.equal(d.code, 0, d.stdout)
    const scenarios = await failover(dr, '--scenario', 'keepalived-stop', '--established', '20')
    for (const s of scenarios) assert.ok(s.established!.kept < 0.95 * s.established!.total, `${s.name}: ${JSON.stringify(s.established)}`)
  })

  test('with lvs_sync ≥ 95 % of established connections keep moving data across keepalived-stop and keepalived-kill', async () => {
    const synced = join(invDir, `${LAB}-sync.yaml`)
    writeFileSync(synced, readFileSync(dr, 'utf8').replace(/^vrrp_instances:$/m, 'keepalived:\n  lvs_sync: true\nvrrp_instances:'))
    const d = await lbctl(['deploy', synced, '--json'])
    assert.equal(d.code, 0, d.stdout)
    const scenarios = await failover(synced, '--scenario', 'keepalived-stop,keepalived-kill', '--established', '20')
    for (const s of scenarios) assert.ok(s.established!.kept >= 0.95 * s.established!.total, `${s.name}: ${JSON.stringify(s.established)}`)
  })
})
