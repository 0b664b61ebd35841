/**
 * Secret canaries on a real lab (issue 11): deploy, deploy --check --diff (also when the secrets change, so a diff
 * has the old value on one side and the new on the other) and a deploy that fails on a host print no spelling of
 * any canary — in progress, summaries, diffs, JSON or errors. And keepalived and HAProxy run with them.
 */
import assert from 'node:assert/strict'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {assertNoCanary, STATS_CANARY, VRRP_CANARY} from '../helpers/canary.js'
import {lbctl, upLab, type TestLab} from '../helpers/lab.js'

const NAME = 'itcanary'
const SUBNET = '198.18.60.0/24'

// A second pair for the "secrets changed" diff; the same character classes, other values.
const VRRP_NEXT = '! $#é\\x'
const STATS_NEXT = "Zz$9 \"q\\#!ö'1"
const ALL = [VRRP_CANARY, STATS_CANARY, VRRP_NEXT, STATS_NEXT]

let lab: TestLab
let inventory: string
let labVrrp: string
let labStats: string

/** The lab's inventory with its two secrets read from the environment instead of its files. */
function withEnvSecrets(name: string, edit: (yaml: string) => string = (y) => y): string {
  const text = readFileSync(lab.inventory, 'utf8')
    .replace(/auth_pass: .*/, 'auth_pass: "${env:LBCTL_CANARY_VRRP}"')
    .replace(/password: "\$\{file:[^}]*\}"/, 'password: "${env:LBCTL_CANARY_STATS}"')
  const file = join(lab.inventoryDir, `${name}.yaml`)
  writeFileSync(file, edit(text))
  return file
}

async function run(args: string[], env: NodeJS.ProcessEnv): Promise<{code: number; out: string}> {
  const r = await lbctl(args, env)
  return {code: r.code, out: `${r.stdout}\n${r.stderr}`}
}

describe('no deploy output holds a secret canary', {concurrency: false}, () => {
  before(async () => {
    lab = await upLab(NAME, SUBNET, {realServers: 1})
    labVrrp = readFileSync(`/var/lib/lbctl-lab/${NAME}/vrrp.pass`, 'utf8').trim()
    labStats = readFileSync(`/var/lib/lbctl-lab/${NAME}/stats.pass`, 'utf8').trim()
    inventory = withEnvSecrets('canary')
  })
  after(async () => {
    await lab?.down()
  })

  const env = {LBCTL_CANARY_VRRP: VRRP_CANARY, LBCTL_CANARY_STATS: STATS_CANARY}

  test('deploy --check --diff before anything is there, plain and --json', async () => {
    for (const args of [['deploy', inventory, '--check', '--diff'], ['deploy', inventory, '--check', '--diff', '--json']]) {
      const r = await run(args, env)
      assert.equal(r.code, 0, r.out)
      assertNoCanary(args.slice(2).join(' '), r.out, ALL)
    }
  })

  test('deploy: the cluster runs with the canaries, and nothing printed holds one', async () => {
    const r = await run(['deploy', inventory], env)
    assert.equal(r.code, 0, r.out)
    assertNoCanary('deploy', r.out, ALL)
    // The files on the host hold the real values (HAProxy's escaped), and the daemons took them.
    assert.ok((await lab.sh('lb1', 'cat /etc/keepalived/keepalived.conf')).stdout.includes(`auth_pass "${VRRP_CANARY}"`))
    assert.ok((await lab.sh('lb1', 'cat /etc/haproxy/haproxy.cfg')).stdout.includes(`stats auth "admin:${STATS_CANARY.replace(/[\\"$]/g, (c) => `\\${c}`)}"`))
    assert.match((await lab.sh('lb1', 'kill -0 "$(cat /run/keepalived.pid)" && kill -0 "$(cat /run/haproxy.pid)" && echo up')).stdout, /up/)
  })

  test('deploy --check --diff when every secret changes: old and new are both masked', async () => {
    const r = await run(['deploy', inventory, '--check', '--diff'], {LBCTL_CANARY_VRRP: VRRP_NEXT, LBCTL_CANARY_STATS: STATS_NEXT})
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /@@ secret value\(s\) changed \(masked\) @@/)
    assertNoCanary('deploy --check --diff (secrets changed)', r.out, [...ALL, labVrrp, labStats])
  })

  test('a deploy that fails on a host prints no canary in its error', async () => {
    // A certificate file the directors do not have: validate cannot know, haproxy -c refuses it on the first one.
    const broken = withEnvSecrets('broken', (y) => y.replace('bind: ":80"', 'bind: [":80", {port: 443, ssl: {crt: /etc/haproxy/certs/missing.pem}}]'))
    for (const args of [['deploy', broken], ['deploy', broken, '--json']]) {
      const r = await run(args, {LBCTL_CANARY_VRRP: VRRP_NEXT, LBCTL_CANARY_STATS: STATS_NEXT})
      assert.equal(r.code, 1, r.out)
      assert.match(r.out, /missing\.pem/)
      assertNoCanary(args.join(' '), r.out, ALL)
    }
  })
})
