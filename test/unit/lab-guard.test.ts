/**
 * failover-test kills daemons without asking only on a lab that is up here: told by the hosts and addresses the
 * inventory would touch, never by a comment it carries.
 */
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {runningLabOf} from '../../src/failover/lab-guard.js'
import {loadInventoryText} from '../../src/inventory/index.js'

const LAB = `name: lab7
directors:
  lb1: { address: 198.18.7.11, priority: 101 }
  lb2: { address: 198.18.7.12, priority: 100 }
real_servers:
  web1: { address: 198.18.7.21, port: 80 }
clients:
  client: { address: 198.18.7.5 }
vrrp_instances:
  VI_1: { virtual_router_id: 51, vips: [198.18.7.100/24] }
`
const cluster = (text: string) => loadInventoryText(text, '/tmp/x.yaml').cluster

describe('the failover-test lab guard', () => {
  let root: string
  const saved = process.env.LBCTL_LAB_DIR
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'lbctl-labs-'))
    const hosts = [['client', '198.18.7.5'], ['lb1', '198.18.7.11'], ['lb2', '198.18.7.12'], ['web1', '198.18.7.21']].map(([name, address]) => ({name, address}))
    // A running lab's bridge exists ("lo" stands in for it); a lab that is down has none.
    for (const [dir, bridge] of [['up/lab7', 'lo'], ['down/lab7', 'lbgone0000']] as const) {
      mkdirSync(join(root, dir), {recursive: true})
      writeFileSync(join(root, dir, 'lab.json'), JSON.stringify({version: 1, name: 'lab7', bridge, hosts}))
    }
    process.env.LBCTL_LAB_DIR = join(root, 'up')
  })
  after(() => {
    if (saved === undefined) delete process.env.LBCTL_LAB_DIR
    else process.env.LBCTL_LAB_DIR = saved
  })

  test('an inventory whose every host is a running lab\'s host, at its address, is that lab — with or without a comment', () => {
    assert.equal(runningLabOf(cluster(LAB)), 'lab7')
    assert.equal(runningLabOf(cluster(`# Written by \`lbctl lab up --name lab7\`\n${LAB}`)), 'lab7')
  })

  test('an edited copy that points one host elsewhere is not a lab, whatever its comment says', () => {
    const comment = '# Written by `lbctl lab up --name lab7`; rewritten on every lab up. Do not edit.\n'
    assert.equal(runningLabOf(cluster(comment + LAB.replace('198.18.7.21, port', '198.18.7.31, port'))), undefined, 'another address')
    assert.equal(runningLabOf(cluster(comment + LAB.replace('lb2: { address: 198.18.7.12, priority: 100 }', 'lb2: { address: 198.18.7.12, priority: 100, ssh: { host: prod-lb2 } }'))), undefined, 'reached elsewhere')
    assert.equal(runningLabOf(cluster(comment + LAB.replace('lb2: { address: 198.18.7.12, priority: 100 }', 'lb2: { address: 198.18.7.12, priority: 100, ssh: { proxy_jump: bastion } }'))), undefined, 'through a jump host')
    assert.equal(runningLabOf(cluster(comment + LAB.replace('  web1: { address: 198.18.7.21, port: 80 }', '  web1: { address: 198.18.7.21, port: 80 }\n  web9: { address: 198.18.7.29, port: 80 }'))), undefined, 'a host the lab does not have')
  })

  test('the same hosts of a lab that is down are not a lab', () => {
    process.env.LBCTL_LAB_DIR = join(root, 'down')
    assert.equal(runningLabOf(cluster(LAB)), undefined)
    process.env.LBCTL_LAB_DIR = join(root, 'up')
  })
})
