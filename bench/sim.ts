// The controller's own cost per host, 50 to 2,000 hosts, without 2,000 hosts (issue 14). A real 5-host lab run is
// recorded once (every command each host got and its answer: a no-op and a change on every host); the lab goes
// away; then simulated clusters of N hosts (2 directors + N-2 managed real servers, all in the HAProxy backend) run
// the real deploy playbook in-process against fake transports that answer each command with the recorded answer
// of a host of the same role, translated to the simulated host (its name, address, file checksums, the bundle
// digest and release IDs of the simulated cluster). No network, no remote cost: what remains is lbctl's own work
// (rendering, planning, diffing, the runner), measured in a fresh process per N: CPU ms and peak RSS.
// Run as root (the recording needs a lab): npm run bench sim [50 200 2000 …]   (lab h14sim on 198.18.86.0/24)
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFile, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Cluster} from '../src/inventory/model.js'
import {loadInventory} from '../src/inventory/index.js'
import {labDown, labUp} from '../src/lab/index.js'
import {sshConnect} from '../src/playbook/connect.js'
import {runNamedPlaybook} from '../src/playbook/index.js'
import {bundleDigests} from '../src/playbook/releases.js'
import {renderHost} from '../src/render/index.js'
import type {ShellCommand} from '../src/shell/index.js'
import {FakeTransport} from '../src/transport/fake.js'
import type {ExecResult, Transport} from '../src/transport/types.js'
import {timed} from './lib.js'

type Recording = Record<string, Record<string, ExecResult[]>> // host → normalized command → answers in order
type Scenario = 'no-op' | 'change'
const LAB = {name: 'h14sim', subnet: '198.18.86.0/24'}
const SIZES = [50, 200, 500, 1000, 2000]

/** The bench inventory (every real server carries a sysctl, so every host is a target) and its changed variant. */
function variants(labYaml: string): {before: string; after: string} {
  const before = labYaml.replace(/^ {2}(web\d+): \{ address: ([\d.]+), port: 80 \}$/gm, '  $1: { address: $2, port: 80, tuning: { sysctls: { net.core.somaxconn: 1024 } } }')
  const after = before.replaceAll('net.core.somaxconn: 1024', 'net.core.somaxconn: 2048').replace('servers: [web1,', 'servers: [{name: web1, weight: 2},')
  return {before, after}
}

/** The same inventory with N-2 real servers (addresses in 10.20.0.0/16), every one in the backend. */
function scaled(yaml: string, n: number): string {
  const line = /^ {2}web1: (\{.*\})$/m.exec(yaml)![1]
  const servers = Array.from({length: n - 2}, (_, i) => `  web${i + 1}: ${line.replace(/address: [\d.]+/, `address: 10.20.${(i + 1) >> 8}.${(i + 1) & 255}`)}`)
  return yaml
    .replace(/^real_servers:\n(?: {2}web\d+: .*\n)+/m, `real_servers:\n${servers.join('\n')}\n`)
    .replace(/servers: \[(\{name: web1, weight: 2\}|web1), web2, web3\]/, (_, first) => `servers: [${[first, ...servers.slice(1).map((_, i) => `web${i + 2}`)].join(', ')}]`)
}

const RUN_ID = /\b\d+-\d{13}\b/g
const NONCE = /\b[0-9a-f]{24}\b/
const sha = (t: string | Buffer) => createHash('sha256').update(t).digest('hex')

/** Recorded → simulated words for one host: name, address, checksums of its files, digests and release IDs. */
function translation(rec: {before: Cluster; after: Cluster}, sim: {before: Cluster; after: Cluster}, digests: Map<Cluster, {exact: string; masked: string}>, recHost: string, simHost: string): [string, string][] {
  const pairs = new Map<string, string>()
  const addr = (c: Cluster, h: string) => [...c.directors, ...c.realServers].find((x) => x.name === h)!.address
  for (const k of ['before', 'after'] as const) {
    const a = renderHost(rec[k], recHost)
    const b = new Map(renderHost(sim[k], simHost).map((f) => [f.path, f]))
    for (const f of a) if (b.has(f.path)) pairs.set(sha(f.content), sha(b.get(f.path)!.content))
    const [ra, sa] = [digests.get(rec[k])!, digests.get(sim[k])!]
    pairs.set(ra.exact, sa.exact)
    pairs.set(`-${ra.masked.slice(0, 8)}`, `-${sa.masked.slice(0, 8)}`)
  }
  if (recHost !== simHost) pairs.set(addr(rec.before, recHost), addr(sim.before, simHost))
  const out = [...pairs].filter(([x, y]) => x !== y)
  if (recHost !== simHost) out.push([recHost, simHost])
  return out
}

function swap(text: string, pairs: [string, string][], back = false): string {
  let t = text
  for (const [a, b] of pairs) {
    const [from, to] = back ? [b, a] : [a, b]
    if (/^[a-z]/.test(from)) t = t.replace(new RegExp(`\\b${from}\\b`, 'g'), to)
    else if (/^\d+\.\d+\.\d+\.\d+$/.test(from)) t = t.replace(new RegExp(`(?<![\\d.])${from.replaceAll('.', '\\.')}(?![\\d])`, 'g'), to)
    else t = t.replaceAll(from, to)
  }
  return t
}

const normalize = (text: string) => text.replace(RUN_ID, 'RUNID').replace(new RegExp(NONCE.source, 'g'), 'NONCE')

// --- child: one simulated run of N hosts -------------------------------------------------------------------------
if (process.argv[2] === '--child') {
  const [, , , dir, nText, scenario] = process.argv as [string, string, string, string, string, Scenario]
  const n = Number(nText)
  const recording = JSON.parse(await readFile(join(dir, `${scenario}.json`), 'utf8')) as Recording
  const load = (f: string) => loadInventory(join(dir, f)).cluster
  const rec = {before: load('rec-before.yaml'), after: load('rec-after.yaml')}
  await writeFile(join(dir, `sim-${n}-before.yaml`), scaled(await readFile(join(dir, 'rec-before.yaml'), 'utf8'), n))
  await writeFile(join(dir, `sim-${n}-after.yaml`), scaled(await readFile(join(dir, 'rec-after.yaml'), 'utf8'), n))
  const sim = {before: load(`sim-${n}-before.yaml`), after: load(`sim-${n}-after.yaml`)}
  const target = scenario === 'no-op' ? sim.before : sim.after
  let misses = 0
  const digests = new Map([rec.before, rec.after, sim.before, sim.after].map((c) => [c, bundleDigests(c)]))
  const fake = (host: string): Transport => {
    const recHost = host.startsWith('lb') ? host : 'web1'
    const pairs = translation(rec, sim, digests, recHost, host)
    const answers = recording[recHost]
    const seen = new Map<string, number>()
    const t = new FakeTransport(host, [], (text) => {
      const key = normalize(swap(text, pairs, true))
      const list = answers[key]
      if (!list) {
        misses++
        return {code: 97, stderr: `sim: no recorded answer for ${key.slice(0, 200)}`}
      }
      const i = seen.get(key) ?? 0
      seen.set(key, i + 1)
      const a = list[Math.min(i, list.length - 1)]
      const nonce = NONCE.exec(text)?.[0]
      const stdout = swap(nonce ? a.stdout.replace(new RegExp(NONCE.source, 'g'), nonce) : a.stdout, pairs)
      return {...a, stdout}
    })
    // The fake keeps every command text it ran: a simulation of 2,000 hosts must not grow on that.
    ;(t as unknown as {commands: {push: () => number}}).commands.push = () => 0
    return t
  }
  // Every fake is built before the clock starts: translating answers is the simulation's work, not lbctl's.
  const fakes = new Map([...target.directors, ...target.realServers].map((h) => [h.name, fake(h.name)]))
  global.gc?.()
  const rssBefore = process.memoryUsage().rss
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await runNamedPlaybook('deploy', target, {renderer: 'silent', forks: n, connect: async (hosts) => new Map(hosts.map((h) => [h.name, fakes.get(h.name)!]))})
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const changed = Object.values(r.hosts).reduce((s, h) => s + h.changed, 0)
  console.log(JSON.stringify({n, scenario, outcome: r.outcome, failure: r.failure, misses, changed, ms, cpuMs: (cpu.user + cpu.system) / 1000, rssBefore, maxRssKb: process.resourceUsage().maxRSS}))
  process.exit(0)
}

// --- parent: record on the lab, then one child per size and scenario --------------------------------------------
const sizes = process.argv.slice(2).map(Number).filter(Boolean)
const dir = await mkdtemp(join(tmpdir(), 'h14-sim-'))
try {
  await labDown({name: LAB.name, inventoryDir: dir})
  await labUp({name: LAB.name, subnet: LAB.subnet, directors: 2, realServers: 3, inventoryDir: dir})
  // The lab's secrets, copied: the simulated runs read them after the lab is gone.
  const labDir = `/var/lib/lbctl-lab/${LAB.name}/`
  for (const f of ['vrrp.pass', 'stats.pass']) await copyFile(join(labDir, f), join(dir, f))
  const v = variants((await readFile(join(dir, `${LAB.name}.yaml`), 'utf8')).replaceAll(`\${file:${labDir}`, `\${file:${dir}/`))
  await writeFile(join(dir, 'rec-before.yaml'), v.before)
  await writeFile(join(dir, 'rec-after.yaml'), v.after)
  const first = await timed([process.execPath, 'bin/run.js', 'deploy', join(dir, 'rec-before.yaml')])
  if (first.code !== 0) throw new Error(`first deploy of the recording lab failed: ${first.stdout.slice(0, 2000)}`)
  for (const [scenario, file] of [['no-op', 'rec-before.yaml'], ['change', 'rec-after.yaml']] as const) {
    const {cluster} = loadInventory(join(dir, file))
    const recording: Recording = {}
    const ssh = sshConnect({forks: 10})
    const r = await runNamedPlaybook('deploy', cluster, {
      renderer: 'silent',
      connect: async (hosts) => {
        const m = await ssh(hosts)
        for (const [name, t] of m) {
          if (t instanceof Error) continue
          const exec = t.exec.bind(t)
          t.exec = async (c: ShellCommand, o?: {stdin?: string | Buffer}) => {
            const out = await exec(c, o)
            ;((recording[name] ??= {})[normalize(c.text)] ??= []).push(out)
            return out
          }
        }
        return m
      },
    })
    if (r.outcome !== 'ok') throw new Error(`recording ${scenario}: ${r.outcome} ${JSON.stringify(r.failure)}`)
    await writeFile(join(dir, `${scenario}.json`), JSON.stringify(recording))
  }
  await labDown({name: LAB.name, inventoryDir: dir})

  const rows = [['hosts', 'run', 'wall', 'CPU', 'CPU per host', 'peak RSS', 'RSS growth per host', 'changed']]
  for (const n of sizes.length ? sizes : SIZES)
    for (const scenario of ['no-op', 'change'] as const) {
      const c = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', import.meta.filename, '--child', dir, String(n), scenario], {encoding: 'utf8', maxBuffer: 1 << 26})
      const line = c.stdout.trim().split('\n').pop() ?? ''
      if (c.status !== 0 || !line.startsWith('{')) throw new Error(`sim ${n} ${scenario}: exit ${c.status}\n${c.stderr.slice(-3000)}`)
      const s = JSON.parse(line) as {outcome: string; failure?: unknown; misses: number; changed: number; ms: number; cpuMs: number; rssBefore: number; maxRssKb: number}
      if (s.outcome !== 'ok' || s.misses) throw new Error(`sim ${n} ${scenario}: ${s.outcome}, ${s.misses} unanswered command(s) ${JSON.stringify(s.failure)}`)
      rows.push([
        String(n), scenario, `${(s.ms / 1000).toFixed(2)} s`, `${(s.cpuMs / 1000).toFixed(2)} s`, `${(s.cpuMs / n).toFixed(2)} ms`,
        `${Math.round(s.maxRssKb / 1024)} MiB`, `${Math.max(0, (s.maxRssKb * 1024 - s.rssBefore) / 1024 / n).toFixed(0)} KiB`, String(s.changed),
      ])
    }
  console.log(`| ${rows[0].join(' | ')} |`)
  console.log(`|${rows[0].map(() => '---').join('|')}|`)
  for (const r of rows.slice(1)) console.log(`| ${r.join(' | ')} |`)
  console.log('In-process, fake transports replaying a recorded 5-host lab run: the controller only (no SSH, no remote work).')
} finally {
  await labDown({name: LAB.name, inventoryDir: dir}).catch(() => undefined)
  await rm(dir, {recursive: true, force: true})
}
