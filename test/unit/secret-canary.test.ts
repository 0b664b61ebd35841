/**
 * Secret canaries (issue 11): every secret field holds a value with every character class that changes how a secret
 * is spelled (space, $, ", \, #, !, ', non-ASCII). render, render --json, validate and every error path that can
 * print a value run through the built CLI; none may print any spelling of any canary. (deploy --check --diff on a
 * lab: test/integration/secret-canary.test.ts.)
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {assertNoCanary, NAME_CANARY, STATS_CANARY, VRRP_CANARY} from '../helpers/canary.js'
import {lbctl} from '../helpers/lab.js'
import {SHOP, shopHaproxy} from '../helpers/shop.js'

const dir = mkdtempSync(join(tmpdir(), 'lbctl-canary-'))
const statsFile = join(dir, 'stats.pass')
writeFileSync(statsFile, `${STATS_CANARY}\n`, {mode: 0o600})

const inventory = (overrides: {auth?: string; stats?: string; extra?: string} = {}) => `${SHOP.replace('name: shop', 'name: ${env:LBCTL_CANARY_NAME}')}vrrp_instances:
  VI_1:
    virtual_router_id: 51
    vips: [10.0.0.100/24]
    auth_pass: "${overrides.auth ?? '${env:LBCTL_CANARY_VRRP}'}"
${shopHaproxy()}  stats:
    auth: {user: ops, password: "${overrides.stats ?? `\${file:${statsFile}}`}"}
${overrides.extra ?? ''}`

function file(name: string, text: string): string {
  const path = join(dir, `${name}.yaml`)
  writeFileSync(path, text)
  return path
}

const ENV = {LBCTL_CANARY_VRRP: VRRP_CANARY, LBCTL_CANARY_NAME: NAME_CANARY}
const CANARIES = [VRRP_CANARY, STATS_CANARY, NAME_CANARY]

describe('no output holds a secret canary', () => {
  const good = file('good', inventory())
  after(() => rmSync(dir, {recursive: true, force: true}))

  test('validate and validate --json', async () => {
    for (const args of [['validate', good], ['validate', good, '--json']]) {
      const r = await lbctl(args, ENV)
      assert.equal(r.code, 0, r.stderr)
      assertNoCanary(args.join(' '), r.stdout + r.stderr, CANARIES)
    }
    assert.match((await lbctl(['validate', good], ENV)).stdout, /^ok {3}.*good\.yaml: cluster \*{8}: 2 director/m, 'the name from ${env:…} is masked')
  })

  test('render, render --json, render --host, and render --host for a host that is not there', async () => {
    for (const args of [['render', good], ['render', good, '--json'], ['render', good, '--host', 'lb2'], ['render', good, '--host', 'nosuch']]) {
      const r = await lbctl(args, ENV)
      assert.equal(r.code, args[3] === 'nosuch' ? 2 : 0, r.stderr)
      assertNoCanary(args.join(' '), r.stdout + r.stderr, CANARIES)
    }
    const shown = (await lbctl(['render', good, '--host', 'lb1'], ENV)).stdout
    assert.match(shown, /\n {8}auth_pass "\*{8}"\n/)
    assert.match(shown, /\n {4}stats auth "ops:\*{8}"\n/)
  })

  test('every error path: a secret keepalived cannot hold, one too long, one with a line break, a bad name or address', async () => {
    const twoLines = join(dir, 'two-lines.pass')
    writeFileSync(twoLines, `${STATS_CANARY}\n\n`)
    const cases: Array<[string, string, NodeJS.ProcessEnv]> = [
      ['quote', inventory(), {...ENV, LBCTL_CANARY_VRRP: `a"${VRRP_CANARY}`}],
      ['too-long', inventory(), {...ENV, LBCTL_CANARY_VRRP: `${VRRP_CANARY}${VRRP_CANARY}`}],
      ['line-break', inventory({stats: `\${file:${twoLines}}`}), ENV],
      ['env-line-break', inventory(), {...ENV, LBCTL_CANARY_VRRP: `x\n${VRRP_CANARY}`}],
      ['bad-name', inventory(), {...ENV, LBCTL_CANARY_NAME: `${STATS_CANARY}`}],
      ['bad-address', inventory({extra: 'clients:\n  probe: {address: "${env:LBCTL_CANARY_ADDR}"}\n'}), {...ENV, LBCTL_CANARY_ADDR: STATS_CANARY}],
      ['address-twice', inventory({extra: 'clients:\n  probe: {address: "${env:LBCTL_CANARY_ADDR}"}\n'}), {...ENV, LBCTL_CANARY_ADDR: '10.0.0.11'}],
    ]
    for (const [name, text, env] of cases) {
      const path = file(name, text)
      for (const args of [['validate', path], ['validate', path, '--json'], ['render', path], ['render', path, '--json']]) {
        const r = await lbctl(args, env)
        assert.equal(r.code, 2, `${name}: ${args.join(' ')} should be refused:\n${r.stdout}${r.stderr}`)
        const secrets = [...CANARIES, ...(env.LBCTL_CANARY_VRRP ? [env.LBCTL_CANARY_VRRP] : []), ...(name === 'address-twice' ? ['10.0.0.11'] : [])]
        assertNoCanary(`${name}: ${args.join(' ')}`, r.stdout + r.stderr, name === 'address-twice' ? ['10.0.0.11'] : secrets.filter((s) => s !== '10.0.0.11'))
      }
    }
  })
})
