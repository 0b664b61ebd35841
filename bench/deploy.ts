// Deploy benchmark: labs of 5, 20 and 50 hosts (2 directors + real servers). For each: the floor — every host
// accepting one bare `ssh root@host true` at once (OpenSSH, the lab key, verified host keys) — then a full deploy,
// a no-op re-run (both through the CLI, as a user runs them), and an in-process no-op run that counts SSH
// connections. Real servers carry a sysctl so lbctl manages them: every host is a deploy target.
// Run as root: npm run bench deploy   (own lab names bdep5/20/50 on 198.18.50-52.0/24, removed at the end)
import {sec, timed} from './lib.js'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadInventory} from '../src/inventory/index.js'
import {labDown, labSshArgv, labUp} from '../src/lab/index.js'
import {sshConnect} from '../src/playbook/connect.js'
import {runNamedPlaybook} from '../src/playbook/index.js'
import {cmd} from '../src/shell/index.js'
import {closeAll, openAll, resetSshCounters, sshCounters} from '../src/transport/index.js'
import {sshTarget} from '../src/playbook/connect.js'

const CASES = [
  {hosts: 5, name: 'bdep5', subnet: '198.18.50.0/24'},
  {hosts: 20, name: 'bdep20', subnet: '198.18.51.0/24'},
  {hosts: 50, name: 'bdep50', subnet: '198.18.52.0/24'},
]
const only = process.argv.slice(2).map(Number).filter(Boolean)

const run = timed

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`

const invDir = await mkdtemp(join(tmpdir(), 'lbctl-bench-deploy-'))
const rows: string[][] = [['hosts', 'floor: ssh true ×N', 'floor: ssh2 in-process', 'first deploy', '÷ floor', 'change deploy', '÷ floor', 'no-op re-run', '÷ floor', 'no-op in-process', 'SSH connections']]
const cliStart = await run([process.execPath, 'bin/run.js', '--version'])
try {
  for (const c of CASES.filter((c) => only.length === 0 || only.includes(c.hosts))) {
    await labDown({name: c.name, inventoryDir: invDir})
    const up = await labUp({name: c.name, subnet: c.subnet, directors: 2, realServers: c.hosts - 2, inventoryDir: invDir})
    const file = join(invDir, `${c.name}.yaml`)
    const yaml = (await readFile(file, 'utf8')).replace(
      /^  (web\d+): \{ address: ([\d.]+), port: 80 \}$/gm,
      '  $1: { address: $2, port: 80, tuning: { sysctls: { net.core.somaxconn: 1024 } } }',
    )
    const inventory = join(invDir, `${c.name}-bench.yaml`)
    await writeFile(inventory, yaml)
    const targets = up.hosts.filter((h) => h.role !== 'client')

    const t0 = performance.now()
    const codes = await Promise.all(targets.map(async (h) => (await run(await labSshArgv(c.name, h.name, ['true']))).code))
    const floor = performance.now() - t0
    if (codes.some((x) => x !== 0)) throw new Error(`${c.name}: bare ssh failed`)

    // The same floor through lbctl's own transport: one connection and one `true` per host, all at once.
    const {cluster: plain} = loadInventory(inventory)
    const hosts = [...plain.directors, ...plain.realServers]
    const t1 = performance.now()
    const pool = await openAll(hosts.map(sshTarget), {}, {forks: hosts.length})
    await Promise.all([...pool.values()].map((t) => ('exec' in t ? t.exec(cmd`true`) : Promise.reject(t))))
    const floor2 = performance.now() - t1
    await closeAll(pool)

    const full = await run([process.execPath, 'bin/run.js', 'deploy', inventory, '--json'])
    if (full.code !== 0) throw new Error(`${c.name}: deploy failed: ${full.stdout.slice(0, 2000)}`)
    // A change on every host of a running cluster: the engine's cost without VRRP's first election.
    const changedInv = join(invDir, `${c.name}-change.yaml`)
    await writeFile(changedInv, yaml.replaceAll('net.core.somaxconn: 1024', 'net.core.somaxconn: 2048').replace('servers: [web1,', 'servers: [{name: web1, weight: 2},'))
    const change = await run([process.execPath, 'bin/run.js', 'deploy', changedInv, '--json'])
    if (change.code !== 0) throw new Error(`${c.name}: change deploy failed: ${change.stdout.slice(0, 2000)}`)
    const noop = await run([process.execPath, 'bin/run.js', 'deploy', changedInv, '--json'])
    const changed = Object.values((JSON.parse(noop.stdout) as {hosts: Record<string, {changed: number}>}).hosts).reduce((n, h) => n + h.changed, 0)
    if (noop.code !== 0 || changed !== 0) throw new Error(`${c.name}: the re-run changed ${changed} task(s)`)

    const {cluster} = loadInventory(changedInv)
    resetSshCounters()
    const inproc = await runNamedPlaybook('deploy', cluster, {renderer: 'silent', connect: sshConnect({forks: cluster.deploy.forks})})
    if (inproc.outcome !== 'ok') throw new Error(`${c.name}: in-process re-run ${inproc.outcome}`)
    rows.push([
      String(targets.length),
      sec(floor),
      sec(floor2),
      sec(full.ms),
      ratio(full.ms, floor),
      sec(change.ms),
      ratio(change.ms, floor),
      sec(noop.ms),
      ratio(noop.ms, floor),
      sec(inproc.durationMs),
      `${sshCounters.connections} for ${targets.length} hosts`,
    ])
    await labDown({name: c.name, inventoryDir: invDir})
  }
} finally {
  for (const c of CASES) await labDown({name: c.name, inventoryDir: invDir}).catch(() => undefined)
  await rm(invDir, {recursive: true, force: true})
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((x, i) => x.padEnd(widths[i])).join('  '))
console.log(`CLI times include node + oclif start (${sec(cliStart.ms)} for --version). The floor is N OpenSSH clients started at once.`)
console.log('A first deploy waits, on purpose, for keepalived to start and elect on each director in turn (HA-safe order):')
console.log('the lone backup takes the VIP only after the VRRP master-down interval, 3 × advert_int + skew = 3.61 s here.')
