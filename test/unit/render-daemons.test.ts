/**
 * Every rendered file passes the check of the program that will read it: keepalived -t, haproxy -c, shellcheck and
 * sh -n — the real binaries (keepalived 2.2.7, HAProxy 2.6 in CI), not a model of them. And a broken file fails, so a
 * passing check means something.
 */
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {loadInventory, type Cluster} from '../../src/inventory/index.js'
import {renderCluster, type RenderedFile} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'
import {haproxyCheck, keepalivedCheck, prerequisites, shellcheck} from '../helpers/daemons.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ENV = {LBCTL_VRRP_PASS: 'k33p#l1v', LBCTL_STATS_PASS: 'st4ts s3cret!'}
const EXAMPLES = ['inventories/prod.yaml', ...readdirSync(join(ROOT, 'inventories', 'examples')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `inventories/examples/${f}`)]

const load = (rel: string): Cluster => loadInventory(join(ROOT, rel), {cwd: ROOT, env: ENV}).cluster

/** The scripts keepalived inspects when it loads the config: they sit next to it on a director. */
const companions = (files: RenderedFile[]) => files.filter((f) => f.kind === 'script' && f.path.startsWith('/etc/keepalived/'))

describe('keepalived -t accepts every rendered keepalived.conf', {skip: prerequisites('keepalived') ?? false}, () => {
  for (const rel of EXAMPLES) {
    it(rel, async () => {
      for (const {host, files} of renderCluster(load(rel))) {
        for (const f of files.filter((x) => x.validate === 'keepalived')) {
          const r = await keepalivedCheck(f.content, {files: companions(files)})
          assert.ok(r.ok, `${rel} ${host}: keepalived -t failed:\n${r.output}`)
        }
      }
    })
  }

  it('rejects a one-line authentication block (so a pass means something)', async () => {
    const conf = renderCluster(load('inventories/examples/t1-haproxy.yaml'))[0]!.files.find((f) => f.path === PATHS.keepalivedConf)!.content
    const broken = conf.replace(/authentication \{\n\s*auth_type PASS\n\s*auth_pass ("[^"]*")\n\s*\}/, 'authentication { auth_type PASS auth_pass $1 }')
    assert.notEqual(broken, conf)
    const r = await keepalivedCheck(broken, {files: companions(renderCluster(load('inventories/examples/t1-haproxy.yaml'))[0]!.files)})
    assert.equal(r.ok, false, `keepalived -t accepted:\n${broken}`)
  })

  it('rejects the config while the check-haproxy script it tracks is missing: stage scripts before checking', async () => {
    const {files} = renderCluster(load('inventories/examples/t5-haproxy-l7.yaml'))[0]!
    const conf = files.find((f) => f.path === PATHS.keepalivedConf)!.content
    const r = await keepalivedCheck(conf, {files: companions(files).filter((f) => f.path !== PATHS.checkHaproxyScript)})
    assert.equal(r.ok, false)
    assert.match(r.output, /chk_haproxy/)
  })
})

describe('haproxy -c accepts every rendered haproxy.cfg, without a warning', {skip: prerequisites('haproxy') ?? false}, () => {
  for (const rel of EXAMPLES.filter((e) => load(e).haproxy)) {
    it(rel, async () => {
      // Every director gets the same haproxy.cfg; check each anyway, it is what gets deployed.
      for (const {host, files} of renderCluster(load(rel))) {
        for (const f of files.filter((x) => x.validate === 'haproxy')) {
          const r = await haproxyCheck(f.content)
          assert.ok(r.ok, `${rel} ${host}: haproxy -c failed:\n${r.output}`)
          assert.doesNotMatch(r.output, /\[WARNING\]/, `${rel} ${host}: haproxy -c warned:\n${r.output}`)
        }
      }
    })
  }

  it('rejects a config whose backend is missing (so a pass means something)', async () => {
    const {files} = renderCluster(load('inventories/examples/t1-haproxy.yaml'))[0]!
    const cfg = files.find((f) => f.path === PATHS.haproxyCfg)!.content.replace('default_backend web', 'default_backend nowhere')
    const r = await haproxyCheck(cfg)
    assert.equal(r.ok, false)
    assert.match(r.output, /nowhere/)
  })
})

describe('every rendered script passes shellcheck and sh -n', {skip: prerequisites('shellcheck') ?? false}, () => {
  for (const rel of EXAMPLES) {
    it(rel, async () => {
      for (const {host, files} of renderCluster(load(rel))) {
        for (const f of files.filter((x) => x.validate === 'shell')) {
          const r = await shellcheck(f.content)
          assert.ok(r.ok, `${rel} ${host}${f.path}:\n${r.output}`)
        }
      }
    })
  }

  it('the service-manager variants of the check-haproxy script pass too', async () => {
    for (const sm of ['systemd', 'direct'] as const) {
      const cluster = load('inventories/examples/t5-haproxy-l7.yaml')
      cluster.deploy.serviceManager = sm
      const script = renderCluster(cluster)[0]!.files.find((f) => f.path === PATHS.checkHaproxyScript)!.content
      assert.match(script, sm === 'systemd' ? /use_systemd\(\) \{\n {4}true\n\}/ : /use_systemd\(\) \{\n {4}false\n\}/)
      const r = await shellcheck(script)
      assert.ok(r.ok, r.output)
    }
  })
})
