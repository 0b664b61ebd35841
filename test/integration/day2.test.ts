/**
 * Day-2 operations on a real lab: `lbctl status` reads the running cluster (VIP holder, VRRP states, HAProxy's
 * servers, drift) and exits like a monitoring check; `lbctl drain`/`undrain` take a real server out and back under
 * client load without a failed request, and a drained server stays drained through a deploy that reloads HAProxy;
 * a certificate delivered with the bundle serves HTTPS through the VIP, is replaced by a deploy and brought back by a
 * rollback, and no command prints its key.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {startLoad} from '../helpers/faults.js'
import {lbctl, upDeployedLab, waitFor, type TestLab} from '../helpers/lab.js'

const NAME = 'itday2'
const SUBNET = '198.18.41.0/24'
const VIP = '198.18.41.100'
let lab: TestLab

interface Status {
  level: string
  exit_code: number
  instances: {name: string; vips: {address: string; holders: string[]}[]; directors: {name: string; state: string; priority?: number}[]}[]
  servers: {backend: string; server: string; on: Record<string, {status: string; sessions: number}>}[]
  hosts: {name: string; release: {current?: string; drift: string[]}}[]
  problems: {level: string; text: string}[]
}

async function status(): Promise<{code: number; s: Status; stdout: string}> {
  const r = await lbctl(['status', lab.inventory, '--json'])
  return {code: r.code, s: JSON.parse(r.stdout) as Status, stdout: r.stdout}
}

/** HAProxy's count of sessions a server has had, on one director. */
async function total(director: string, server: string): Promise<number> {
  const r = await lab.sh(director, `perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => "/run/haproxy/admin.sock") or die; print $s "show stat\\n"; print while <$s>'`)
  const row = r.stdout.split('\n').find((l) => l.startsWith(`web,${server},`))
  assert.ok(row, r.stdout + r.stderr)
  return Number(row.split(',')[7])
}

describe('day-2 operations on the lab', {concurrency: false}, () => {
  before(async () => {
    lab = await upDeployedLab(NAME, SUBNET)
  })
  after(async () => {
    await lab?.down()
  })

  test('status of a healthy cluster: the VIP holder, MASTER/BACKUP with priorities, every server UP, exit 0', async () => {
    const {code, s, stdout} = await status()
    assert.equal(code, 0, stdout)
    assert.equal(s.level, 'ok')
    assert.deepEqual(s.instances[0].vips, [{address: VIP, holders: ['lb1']}])
    assert.deepEqual(s.instances[0].directors, [{name: 'lb1', state: 'MASTER', priority: 101}, {name: 'lb2', state: 'BACKUP', priority: 100}])
    assert.deepEqual(s.servers.map((v) => [v.server, v.on.lb1.status, v.on.lb2.status]), [['web1', 'UP', 'UP'], ['web2', 'UP', 'UP'], ['web3', 'UP', 'UP']])
    assert.doesNotMatch(stdout, new RegExp(readFileSync(`/var/lib/lbctl-lab/${NAME}/vrrp.pass`, 'utf8').trim()), 'the VRRP password never leaves the host')
    const text = await lbctl(['status', lab.inventory])
    assert.match(text.stdout, /^itday2: OK$/m)
    assert.match(text.stdout, /^VI_1 +198\.18\.41\.100 +lb1 +MASTER 101 +BACKUP 100$/m)
  })

  test('a hand edit of haproxy.cfg on lb2 is drift (exit 1); a stopped real server is DOWN (exit 1); a redeploy and a restart heal both', async () => {
    await lab.sh('lb2', 'echo "# edited by hand" >> /etc/haproxy/haproxy.cfg')
    let r = await status()
    assert.equal(r.code, 1, r.stdout)
    assert.ok(r.s.problems.some((p) => p.level === 'degraded' && /^lb2: \/etc\/haproxy\/haproxy\.cfg differs from release /.test(p.text)), JSON.stringify(r.s.problems))
    await lab.sh('web3', 'kill "$(cat /run/lighttpd.pid)"')
    try {
      r = await waitFor('web3 DOWN in status', 30_000, async () => {
        const x = await status()
        return x.s.servers.find((v) => v.server === 'web3')?.on.lb1.status.startsWith('DOWN') ? x : undefined
      })
      assert.equal(r.code, 1)
      assert.ok(r.s.problems.some((p) => /^web\/web3 is DOWN/.test(p.text)))
    } finally {
      await lab.sh('web3', `lighttpd -f /var/lib/lbctl-lab/${NAME}/hosts/web3/lighttpd.conf`)
      const d = await lbctl(['deploy', lab.inventory, '--json'])
      assert.equal(d.code, 0, d.stdout)
    }
    await waitFor('a healthy cluster again', 30_000, async () => ((await status()).code === 0 ? true : undefined))
  })

  test('keepalived stopped on both directors: no one holds the VIP, exit 2 (CRITICAL); a deploy starts them again', async () => {
    for (const d of ['lb1', 'lb2']) await lab.sh(d, 'kill "$(cat /run/keepalived.pid)"')
    try {
      // keepalived removes its VIPs before it exits: wait until both are gone, not just the VIP.
      const r = await waitFor('CRITICAL, keepalived down on both', 20_000, async () => {
        const x = await status()
        return x.code === 2 && ['lb1', 'lb2'].every((d) => x.s.problems.some((p) => p.text.startsWith(`keepalived is not running on ${d}`))) ? x : undefined
      })
      assert.equal(r.s.level, 'critical')
      assert.ok(r.s.problems.some((p) => p.level === 'critical' && /198\.18\.41\.100 is held by no director/.test(p.text)), JSON.stringify(r.s.problems))
    } finally {
      const d = await lbctl(['deploy', lab.inventory, '--json'])
      assert.equal(d.code, 0, d.stdout)
    }
    await waitFor('a healthy cluster again', 30_000, async () => ((await status()).code === 0 ? true : undefined))
  })

  test('drain under load: no new requests for the drained server, none failed, it stays drained through a deploy that reloads HAProxy; undrain: it serves again', async (t) => {
    const l = startLoad(NAME, `http://${VIP}/`, 150)
    try {
      await new Promise((r) => setTimeout(r, 1500))
      l.mark('drain')
      const d = await lbctl(['drain', lab.inventory, 'web2', '--wait', '30'])
      assert.equal(d.code, 0, d.stdout + d.stderr)
      assert.match(d.stdout, /^lb1: web\/web2 DRAIN$/m)
      assert.match(d.stdout, /^lb2: web\/web2 DRAIN$/m)
      assert.match(d.stdout, /session\(s\) drained in \d+\.\d s/)
      t.diagnostic(`drain: ${/\S+ session\(s\) drained in \S+ s/.exec(d.stdout)?.[0]}`)
      const before = await total('lb1', 'web2')
      await new Promise((r) => setTimeout(r, 2000))
      assert.equal(await total('lb1', 'web2'), before, 'the drained server gets no new session')
      // Weights change on every server: HAProxy reloads on both directors; the drain must survive it.
      const inv = readFileSync(lab.inventory, 'utf8')
      writeFileSync(lab.inventory, inv.replace(/servers: \[web1, web2, web3\]/, 'servers: [{name: web1, weight: 2}, {name: web2, weight: 2}, {name: web3, weight: 2}]'))
      try {
        l.mark('deploy that reloads HAProxy')
        const dep = await lbctl(['deploy', lab.inventory, '--json'])
        assert.equal(dep.code, 0, dep.stdout)
        const s = await status()
        assert.deepEqual(Object.values(s.s.servers.find((v) => v.server === 'web2')!.on).map((x) => x.status), ['DRAIN', 'DRAIN'], 'still drained after the reload')
        const after = await total('lb1', 'web2')
        await new Promise((r) => setTimeout(r, 1500))
        assert.equal(await total('lb1', 'web2'), after, 'no new session after the reload either')
      } finally {
        writeFileSync(lab.inventory, inv)
      }
      l.mark('undrain')
      const u = await lbctl(['undrain', lab.inventory, 'web2'])
      assert.equal(u.code, 0, u.stdout + u.stderr)
      const back = await total('lb1', 'web2')
      await waitFor('web2 serving again', 10_000, async () => ((await total('lb1', 'web2')) > back ? true : undefined))
    } finally {
      const r = await l.stop()
      t.diagnostic(`load through drain, reload, undrain: ${JSON.stringify(r)}`)
      assert.ok(r.sent > 500, `load ran: ${JSON.stringify(r)}`)
      assert.equal(r.failed, 0, `no request failed: ${l.explain(r)}`)
    }
    const d = await lbctl(['deploy', lab.inventory, '--json'])
    assert.equal(d.code, 0, d.stdout)
  })

  test('a certificate in the bundle: HTTPS through the VIP, replaced by a deploy, brought back by a rollback; its key never printed', async () => {
    const pems = ['a', 'b'].map((n) => {
      const base = join(lab.inventoryDir, n)
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '90', '-subj', `/CN=${n}.itday2.example`, '-keyout', `${base}.key`, '-out', `${base}.crt`], {stdio: 'ignore'})
      writeFileSync(`${base}.pem`, readFileSync(`${base}.crt`, 'utf8') + readFileSync(`${base}.key`, 'utf8'))
      return `${base}.pem`
    })
    const keyLines = pems.flatMap((p) => readFileSync(p, 'utf8').split('\n').filter((l) => l.length === 64))
    const ssl = join(lab.inventoryDir, 'ssl.yaml')
    const variant = (pem: string) =>
      writeFileSync(ssl, readFileSync(lab.inventory, 'utf8').replace('    web: { bind: ":80", default_backend: web }', `    web: { bind: ":80", default_backend: web }\n    https: { bind: { port: 443, ssl: { crt: /etc/haproxy/certs/site.pem, pem: "${pem}" } }, default_backend: web }`))
    const served = async () => (await lab.sh('client', `echo | openssl s_client -connect ${VIP}:443 2>/dev/null | openssl x509 -noout -subject`)).stdout.trim()
    const outputs: string[] = []
    const run = async (args: string[]) => {
      const r = await lbctl(args)
      outputs.push(r.stdout, r.stderr)
      assert.equal(r.code, 0, r.stdout + r.stderr)
      return r
    }
    variant(pems[0])
    await run(['validate', ssl])
    await run(['render', ssl, '--host', 'lb1'])
    await run(['render', ssl, '--json'])
    await run(['deploy', ssl])
    assert.match((await lab.sh('client', `curl -sk https://${VIP}/`)).stdout, /^server=web[123]$/m, 'HTTPS through the VIP, offloaded by HAProxy')
    assert.equal(await served(), 'subject=CN = a.itday2.example')
    assert.equal((await lab.sh('lb1', 'stat -c %a /etc/haproxy/certs/site.pem')).stdout.trim(), '600')
    variant(pems[1])
    const diff = await run(['deploy', ssl, '--check', '--diff'])
    assert.match(diff.stdout, /@@ certificate replaced \(contents not shown\) @@\n-certificate sha256 [0-9A-F:]+, CN=a\.itday2\.example, expires \S+\n\+certificate sha256 [0-9A-F:]+, CN=b\.itday2\.example/)
    await run(['deploy', ssl])
    await waitFor('the new certificate served', 10_000, async () => ((await served()) === 'subject=CN = b.itday2.example' ? true : undefined))
    await run(['rollback', ssl])
    await waitFor('the old certificate served again', 10_000, async () => ((await served()) === 'subject=CN = a.itday2.example' ? true : undefined))
    const sha = createHash('sha256').update(readFileSync(pems[0])).digest('hex')
    for (const d of ['lb1', 'lb2']) assert.equal((await lab.sh(d, 'sha256sum /etc/haproxy/certs/site.pem')).stdout.split(' ')[0], sha, `${d} has the old certificate back`)
    await run(['status', ssl])
    for (const o of outputs) for (const l of keyLines) assert.ok(!o.includes(l), 'no output holds a line of a private key')
    assert.ok(!outputs.join('').includes('PRIVATE KEY'))
    const back = await lbctl(['deploy', lab.inventory, '--json'])
    assert.equal(back.code, 0, back.stdout)
  })

  test('drain refuses the last server in service and unknown names, touching nothing', async () => {
    const r = await lbctl(['drain', lab.inventory, 'web1,web2,web3'])
    assert.equal(r.code, 3, r.stdout + r.stderr)
    assert.match(r.stdout, /would leave no server in service in backend web/)
    const bad = await lbctl(['drain', lab.inventory, 'web9'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /no real server "web9"/)
    assert.equal((await status()).code, 0)
  })
})
