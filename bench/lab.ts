// Lab benchmark: up time, memory of the lab's processes, time to ssh into every host at once, down time, for a
// 5-host and a 50-host lab (plus the client host each). Run as root: npx tsx bench/lab.ts
// Uses its own lab names and subnets (bench5 198.18.10.0/24, bench50 198.18.11.0/24) and removes them at the end.
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {labDown, labSshArgv, labUp} from '../src/lab/index.js'
import {listNetns, pidsByNetns} from '../src/lab/network.js'

interface Case {
  name: string
  subnet: string
  directors: number
  realServers: number
}

const CASES: Case[] = [
  {name: 'bench5', subnet: '198.18.10.0/24', directors: 2, realServers: 3},
  {name: 'bench50', subnet: '198.18.11.0/24', directors: 2, realServers: 48},
]

/** Sum of PSS (shared pages split between their users, so shared libraries count once) and of RSS, in KiB. */
async function memoryOf(name: string): Promise<{processes: number; pssKiB: number; rssKiB: number}> {
  const names = (await listNetns()).filter((n) => n.startsWith(`lbctl.${name}.`))
  const pids = [...(await pidsByNetns(names)).values()].flat()
  let pssKiB = 0
  let rssKiB = 0
  for (const pid of pids) {
    try {
      pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0)
      rssKiB += Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
    } catch {}
  }
  return {processes: pids.length, pssKiB, rssKiB}
}

function exitCode(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), {stdio: 'ignore'})
    c.on('close', (code) => resolve(code ?? 255))
    c.on('error', () => resolve(127))
  })
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`

const invDir = await mkdtemp(join(tmpdir(), 'lbctl-bench-'))
const rows: string[][] = [['lab', 'hosts', 'up', 'processes', 'PSS', 'RSS', 'ssh all', 'up again', 'down']]
try {
  for (const c of CASES) {
    await labDown({name: c.name, inventoryDir: invDir}) // a leftover from an interrupted run
    const up = await labUp({name: c.name, subnet: c.subnet, directors: c.directors, realServers: c.realServers, inventoryDir: invDir})
    if (!up.up) throw new Error(`${c.name} did not come up`)
    const mem = await memoryOf(c.name)
    const t0 = performance.now()
    const codes = await Promise.all(up.hosts.map(async (h) => exitCode(await labSshArgv(c.name, h.name, ['true']))))
    const sshMs = performance.now() - t0
    const failed = up.hosts.filter((_, i) => codes[i] !== 0).map((h) => h.name)
    if (failed.length > 0) throw new Error(`ssh failed on ${failed.join(', ')}`)
    const again = await labUp({name: c.name})
    const down = await labDown({name: c.name})
    rows.push([c.name, String(up.hosts.length), sec(up.elapsedMs), String(mem.processes), mib(mem.pssKiB), mib(mem.rssKiB), sec(sshMs),
      sec(again.elapsedMs), sec(down.elapsedMs)])
    console.error(`${c.name}: phases ${JSON.stringify(up.phasesMs)}`)
  }
} finally {
  for (const c of CASES) await labDown({name: c.name}).catch((err) => console.error(`down ${c.name}: ${err.message}`))
  await rm(invDir, {recursive: true, force: true})
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  '))
console.log('hosts includes the client; up/down are in-process (add ~0.3 s of node + oclif start for the CLI); PSS counts shared pages once.')
