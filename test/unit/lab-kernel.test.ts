/**
 * The machine-wide kernel limits a lab shares with every other namespace: a 200-host lab raises them (or its VRRP
 * adverts die in a full ARP table), a small one leaves the machine alone, and the last `lab down` puts back only
 * what lbctl set and nobody has changed since.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {beforeEach, describe, test} from 'node:test'
import {type KernelPaths, RECORD_FILE, restoreKernel, sizeKernelForLabs} from '../../src/lab/kernel.js'

const KEYS = {
  'net/ipv4/neigh/default/gc_thresh3': '1024',
  'net/ipv4/neigh/default/gc_thresh2': '512',
  'net/core/netdev_max_backlog': '1000',
}

describe('lab kernel limits', () => {
  let p: KernelPaths
  const value = (k: string) => readFileSync(join(p.procSys, k), 'utf8').trim()
  const lab = (name: string, hosts: number, directors = 2) => {
    mkdirSync(join(p.labRoot, name), {recursive: true})
    writeFileSync(join(p.labRoot, name, 'lab.json'), JSON.stringify({name, directors, hosts: Array.from({length: hosts}, (_, i) => ({name: `h${i}`}))}))
  }

  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-kernel-'))
    p = {labRoot: join(dir, 'labs'), procSys: join(dir, 'sys')}
    mkdirSync(p.labRoot)
    for (const [k, v] of Object.entries(KEYS)) {
      mkdirSync(join(p.procSys, k, '..'), {recursive: true})
      writeFileSync(join(p.procSys, k), `${v}\n`)
    }
  })

  test('a 6-host lab changes nothing on the machine', async () => {
    lab('lab', 6)
    assert.deepEqual(await sizeKernelForLabs(p), [])
    assert.equal(value('net/ipv4/neigh/default/gc_thresh3'), '1024')
    assert.ok(!existsSync(join(p.labRoot, RECORD_FILE)))
  })

  test('a 201-host lab raises the ARP table and the receive backlog; the last lab down restores them', async () => {
    lab('big', 201)
    const raised = await sizeKernelForLabs(p)
    assert.deepEqual(raised.map((r) => r.key), ['net.ipv4.neigh.default.gc_thresh3', 'net.ipv4.neigh.default.gc_thresh2', 'net.core.netdev_max_backlog'])
    // 201 hosts × (3 + 4) entries, twice over: room for the ~1,400 a deployed 200-host lab holds.
    assert.equal(value('net/ipv4/neigh/default/gc_thresh3'), '2814')
    assert.equal(value('net/ipv4/neigh/default/gc_thresh2'), '1407')
    assert.equal(value('net/core/netdev_max_backlog'), '10050')
    // A second lab up of the same lab raises nothing more, and keeps the first value found.
    assert.deepEqual(await sizeKernelForLabs(p), [])
    const restored = await restoreKernel(p)
    assert.equal(restored.length, 3)
    assert.equal(value('net/ipv4/neigh/default/gc_thresh3'), '1024')
    assert.equal(value('net/core/netdev_max_backlog'), '1000')
    assert.ok(!existsSync(join(p.labRoot, RECORD_FILE)))
  })

  test('a value someone changed after lab up is left as they set it', async () => {
    lab('big', 201)
    await sizeKernelForLabs(p)
    writeFileSync(join(p.procSys, 'net/core/netdev_max_backlog'), '30000\n')
    const restored = await restoreKernel(p)
    assert.deepEqual(restored.map((r) => r.key), ['net.ipv4.neigh.default.gc_thresh3', 'net.ipv4.neigh.default.gc_thresh2'])
    assert.equal(value('net/core/netdev_max_backlog'), '30000')
  })

  test('never lowers: a machine already above the need is left alone', async () => {
    writeFileSync(join(p.procSys, 'net/ipv4/neigh/default/gc_thresh3'), '8192\n')
    lab('big', 201)
    const raised = await sizeKernelForLabs(p)
    assert.ok(!raised.some((r) => r.key.endsWith('gc_thresh3')))
    assert.equal(value('net/ipv4/neigh/default/gc_thresh3'), '8192')
  })
})
