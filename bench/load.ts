// Load benchmark: what the lab carries, and whether changes and failovers cost clients anything.
//  1. Requests/s through the VIP with a new connection each (wrk from the lab's client host, Connection: close), on `/`
//     (a static file) and /health, and straight to one real server (no HAProxy) for comparison. Target ≥ 1,000/s.
//  2. A steady open-loop load of 500 new connections/s through the VIP (bench/loadgen.mjs on the client host, 1 s
//     limit each) across each of: a deploy that reloads HAProxy on both directors, the rollback of that release, and
//     `failover-test --scenario keepalived-stop`. Sent and failed requests for each; deploy and rollback must fail
//     none. For the handover, the outage this independent load saw next to failover-test's own figure.
// Run as root: npx tsx bench/load.ts [--busy]   (own lab bload on 198.18.38.0/24, removed at the end; --busy adds two
// CPU hogs for the whole run)
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {labDown, labUp} from '../src/lab/index.js'

const NAME = 'bload'
const SUBNET = '198.18.38.0/24'
const VIP = '198.18.38.100'
const WEB1 = '198.18.38.21'
const BUSY = process.argv.includes('--busy')
const CLIENT_NS = `lbctl.${NAME}.client`

function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{code: number; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), {env: {...process.env, CI: '1', ...env}})
    let stdout = ''
    let stderr = ''
    c.stdout.on('data', (d) => (stdout += d))
    c.stderr.on('data', (d) => (stderr += d))
    c.on('close', (code) => resolve({code: code ?? 255, stdout, stderr}))
  })
}

const lbctl = (args: string[]) => run([process.execPath, join(import.meta.dirname, '..', 'bin', 'run.js'), ...args])

async function wrk(url: string): Promise<number> {
  const r = await run(['ip', 'netns', 'exec', CLIENT_NS, 'wrk', '-t2', '-c16', '-d5s', '-H', 'Connection: close', url])
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0)
}

interface LoadResult {
  sent: number
  failed: number
  failures: Record<string, number>
  /** The longest run of failures, from its first request's start to the next answered one's (ms). */
  outageMs: number
  rate: number
}

/** bench/loadgen.mjs on the client host: 500 new connections/s through the VIP until stopped. */
function startLoad(): {stop: () => Promise<LoadResult>} {
  const c: ChildProcess = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, join(import.meta.dirname, 'loadgen.mjs'), `http://${VIP}/`, '500'], {stdio: ['pipe', 'pipe', 'inherit']})
  let out = ''
  c.stdout!.on('data', (d) => (out += d))
  const closed = new Promise<void>((r) => c.on('close', () => r()))
  return {
    async stop() {
      c.stdin!.end()
      await closed
      return JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult
    },
  }
}

async function under<T>(what: string, action: () => Promise<T>): Promise<{result: T; load: LoadResult}> {
  const load = startLoad()
  await new Promise((r) => setTimeout(r, 2000))
  const result = await action()
  await new Promise((r) => setTimeout(r, 2000))
  const l = await load.stop()
  const kinds = Object.entries(l.failures).map(([k, n]) => `${n}× ${k}`).join(', ')
  console.log(`  ${what}: ${l.sent} requests at ${l.rate}/s, ${l.failed} failed${kinds ? ` (${kinds})` : ''}, longest outage ${l.outageMs} ms`)
  return {result, load: l}
}

const hogs: ChildProcess[] = BUSY ? [0, 1].map(() => spawn(process.execPath, ['-e', 'for(;;);'], {stdio: 'ignore'})) : []
const invDir = await mkdtemp(join(tmpdir(), 'lbctl-bench-load-'))
let failed = 0
try {
  await labDown({name: NAME, inventoryDir: invDir})
  await labUp({name: NAME, subnet: SUBNET, directors: 2, realServers: 3, inventoryDir: invDir})
  const inv = join(invDir, `${NAME}.yaml`)
  const d = await lbctl(['deploy', inv])
  if (d.code !== 0) throw new Error(`deploy failed:\n${d.stdout}\n${d.stderr}`)
  await new Promise((r) => setTimeout(r, 1000))
  console.log(`lab ${NAME}: 2 directors (HAProxy), 3 real servers (lighttpd), client — ${BUSY ? 'two CPU hogs running' : 'quiet machine'}`)

  console.log('\n1. Requests/s through the VIP, a new connection each (wrk -t2 -c16 -d5s, Connection: close, from the client host)')
  const vipRoot = await wrk(`http://${VIP}/`)
  const vipHealth = await wrk(`http://${VIP}/health`)
  const direct = await wrk(`http://${WEB1}/`)
  console.log(`  GET / through the VIP: ${vipRoot.toFixed(0)}/s   GET /health through the VIP: ${vipHealth.toFixed(0)}/s   GET / straight to web1: ${direct.toFixed(0)}/s`)
  console.log(`  target ≥ 1,000/s through the VIP: ${vipRoot >= 1000 ? 'met' : 'NOT met'}; ${(vipRoot / 50).toFixed(0)} × failover-test's default probe rate (50/s)`)
  if (vipRoot < 1000) failed++

  console.log('\n2. A steady load through the VIP from the client host (500 new connections/s, open loop, 1 s limit) across changes')
  // Weights change on every server: HAProxy reloads on both directors (backup first, then master).
  const yaml = await readFile(inv, 'utf8')
  await writeFile(inv, yaml.replace(/balance: roundrobin, servers: \[([^\]]+)\]/, (_, s: string) => `balance: roundrobin, servers: [${s.split(', ').map((n) => `{ name: ${n}, weight: 2 }`).join(', ')}]`))
  const dep = await under('deploy (HAProxy reloaded on lb2, then lb1)', () => lbctl(['deploy', inv]))
  if (dep.result.code !== 0) throw new Error(`deploy failed:\n${dep.result.stdout}`)
  if (dep.load.failed > 0) failed++
  const rb = await under('rollback (HAProxy reloaded on lb2, then lb1)', () => lbctl(['rollback', inv]))
  if (rb.result.code !== 0) throw new Error(`rollback failed:\n${rb.result.stdout}`)
  if (rb.load.failed > 0) failed++
  const fo = await under('failover-test --scenario keepalived-stop', () => lbctl(['failover-test', inv, '--scenario', 'keepalived-stop', '--json']))
  const report = JSON.parse(fo.result.stdout) as {scenarios: {status: string; bound?: {seconds: number}; measures?: {outage_s: number}}[]}
  const s = report.scenarios[0]
  const own = s.measures?.outage_s ?? NaN
  console.log(`  handover outage: failover-test's probes ${own.toFixed(3)} s, the independent load ${(fo.load.outageMs / 1000).toFixed(3)} s, difference ${(fo.load.outageMs - own * 1000).toFixed(0)} ms; bound ${s.bound?.seconds.toFixed(3)} s; verdict ${s.status.toUpperCase()}`)
  console.log(`\nDeploy and rollback must fail no request: ${dep.load.failed + rb.load.failed === 0 ? 'met' : 'NOT met'}.`)
} finally {
  for (const h of hogs) h.kill('SIGKILL')
  await labDown({name: NAME, inventoryDir: invDir}).catch((e) => console.error(`lab down ${NAME}: ${(e as Error).message}`))
  await rm(invDir, {recursive: true, force: true})
}
process.exit(failed ? 1 : 0)
