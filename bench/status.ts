// Status benchmark: `lbctl status` on labs of 5 and 50 hosts (2 directors + managed real servers), next to its floor
// measured in the same run — one connection and one `true` per host through lbctl's own transport, all at once — and
// N OpenSSH `ssh true` at once. status itself is one connection and one round trip per host.
// Run as root: npm run bench status   (own labs bstat5 and bstat50 on 198.18.53-54.0/24, removed at the end)
import {sec, timed} from './lib.js'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadInventory} from '../src/inventory/index.js'
import {labDown, labSshArgv, labUp} from '../src/lab/index.js'
import {sshTarget} from '../src/playbook/connect.js'
import {cmd} from '../src/shell/index.js'
import {closeAll, openAll} from '../src/transport/index.js'

const CASES = [
  {hosts: 5, name: 'bstat5', subnet: '198.18.53.0/24'},
  {hosts: 50, name: 'bstat50', subnet: '198.18.54.0/24'},
]
const RUNS = 3

const run = timed
const range = (xs: number[]) => `${sec(Math.min(...xs))}–${sec(Math.max(...xs))}`

const invDir = await mkdtemp(join(tmpdir(), 'lbctl-bench-status-'))
const rows: string[][] = [['hosts', 'floor: ssh true ×N (OpenSSH)', 'floor: connect + true (ssh2)', 'lbctl status (CLI)', 'status ÷ ssh2 floor', 'exit']]
const cliStart = await run([process.execPath, 'bin/run.js', '--version'])
try {
  for (const c of CASES) {
    await labDown({name: c.name, inventoryDir: invDir})
    const up = await labUp({name: c.name, subnet: c.subnet, directors: 2, realServers: c.hosts - 2, inventoryDir: invDir})
    // A sysctl on every real server makes lbctl manage it, so status reads every host.
    const yaml = (await readFile(join(invDir, `${c.name}.yaml`), 'utf8')).replace(/^  (web\d+): \{ address: ([\d.]+), port: 80 \}$/gm, '  $1: { address: $2, port: 80, tuning: { sysctls: { net.core.somaxconn: 1024 } } }')
    const inventory = join(invDir, `${c.name}-bench.yaml`)
    await writeFile(inventory, yaml)
    const d = await run([process.execPath, 'bin/run.js', 'deploy', inventory, '--json'])
    if (d.code !== 0) throw new Error(`${c.name}: deploy failed: ${d.stdout.slice(0, 1500)}`)
    const targets = up.hosts.filter((h) => h.role !== 'client')
    const floors: number[] = []
    const floors2: number[] = []
    const times: number[] = []
    let code = -1
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now()
      await Promise.all(targets.map(async (h) => run(await labSshArgv(c.name, h.name, ['true']))))
      floors.push(performance.now() - t0)
      const {cluster} = loadInventory(inventory)
      const hosts = [...cluster.directors, ...cluster.realServers]
      const t1 = performance.now()
      const pool = await openAll(hosts.map(sshTarget), {}, {forks: hosts.length})
      await Promise.all([...pool.values()].map((t) => ('exec' in t ? t.exec(cmd`true`) : Promise.reject(t))))
      floors2.push(performance.now() - t1)
      await closeAll(pool)
      const s = await run([process.execPath, 'bin/run.js', 'status', inventory, '--json'])
      times.push(s.ms)
      code = s.code
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    rows.push([String(c.hosts), range(floors), range(floors2), range(times), `${(median(times) / median(floors2)).toFixed(2)}×`, String(code)])
    await labDown({name: c.name, inventoryDir: invDir})
  }
} finally {
  for (const c of CASES) await labDown({name: c.name, inventoryDir: invDir}).catch(() => undefined)
  await rm(invDir, {recursive: true, force: true})
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
console.log(rows.map((r) => r.map((x, i) => x.padEnd(widths[i])).join('  ')).join('\n'))
console.log(`\n${RUNS} runs each. CLI times include node + oclif start (${sec(cliStart.ms)} for --version).`)
