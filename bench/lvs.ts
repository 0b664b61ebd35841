// LVS lab benchmark: directors as QEMU VMs (lab up --topology lvs-dr / lvs-nat). Boot time per VM, memory per VM
// (RSS and PSS of its QEMU), ssh latency, deploy time, requests/s through the VIP (bounded: 200 sequential curls and,
// if wrk is installed, wrk for 5 s, both from the lab's client namespace to the lab VIP only), the VM's idle CPU and a
// failover (keepalived stopped on the master). Run as root: npx tsx bench/lvs.ts [dr|nat …] (default: both).
// Labs benchlvs (198.18.12.0/24) and benchnat (198.18.13.0/24, inside 198.19.13.0/24), removed at the end.
import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {labDown, labExec, labSshArgv, labStatus, labUp, type LabTopology} from '../src/lab/index.js'
import {which} from '../src/lab/prereqs.js'
import {sleep} from '../src/lab/run.js'

interface Case {name: string; subnet: string; topology: LabTopology; vip: string}
const ALL: Record<string, Case> = {
  dr: {name: 'benchlvs', subnet: '198.18.12.0/24', topology: 'lvs-dr', vip: '198.18.12.100'},
  nat: {name: 'benchnat', subnet: '198.18.13.0/24', topology: 'lvs-nat', vip: '198.18.13.100'},
}
const cases = (process.argv.slice(2).length ? process.argv.slice(2) : ['dr', 'nat']).map((k) => ALL[k] ?? (() => { throw new Error(`unknown case ${k} (dr, nat)`) })())

function runCmd(argv: string[]): Promise<{code: number; stdout: string; ms: number}> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const c = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    c.stdout.on('data', (d) => (stdout += d))
    c.on('close', (code) => resolve({code: code ?? 255, stdout, ms: performance.now() - t0}))
    c.on('error', () => resolve({code: 127, stdout, ms: 0}))
  })
}

async function sh(lab: string, host: string, command: string): Promise<string> {
  const r = await labExec(lab, host, ['sh', '-c', command], {timeoutMs: 120_000})
  if (r.code !== 0) throw new Error(`${host}: ${command}: ${r.stderr}`)
  return r.stdout
}

const kib = async (pid: number, file: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(await readFile(`/proc/${pid}/${file}`, 'utf8'))?.[1] ?? 0)
const cpuTicks = async (pid: number) => (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ').slice(11, 13).reduce((s, x) => s + Number(x), 0)
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** Probe the VIP from the client every 50 ms (a new connection each) while keepalived stops on lb1; the longest run of failures. */
async function failover(c: Case): Promise<string> {
  const probe = sh(c.name, 'client',
    `for i in $(seq 1 120); do s=$(date +%s%3N); code=$(curl -s -m 0.5 -o /dev/null -w '%{http_code}' http://${c.vip}/); echo "$s $code"; sleep 0.05; done`)
  await sleep(1500)
  await sh(c.name, 'lb1', 'kill "$(cat /run/keepalived.pid)"')
  const lines = (await probe).trim().split('\n').map((l) => l.split(' '))
  let worst = 0
  let start: number | undefined
  for (const [t, code] of lines) {
    if (code !== '200') start ??= Number(t)
    else if (start !== undefined) {
      worst = Math.max(worst, Number(t) - start)
      start = undefined
    }
  }
  const failed = lines.filter(([, code]) => code !== '200').length
  const holders = (await labStatus({name: c.name})).vips.find((v) => v.address === c.vip)?.holders ?? []
  return `${failed}/${lines.length} probes failed, longest outage ≈ ${worst} ms, VIP now on ${holders.join(', ') || 'nobody'}`
}

const invDir = await mkdtemp(join(tmpdir(), 'lbctl-bench-lvs-'))
const report: string[] = []
try {
  for (const c of cases) {
    await labDown({name: c.name, inventoryDir: invDir})
    const up = await labUp({name: c.name, subnet: c.subnet, topology: c.topology, directors: 2, realServers: 2, inventoryDir: invDir})
    if (!up.up) throw new Error(`${c.name} did not come up: ${JSON.stringify(up.hosts.filter((h) => !h.sshd || h.http === false))}`)
    report.push(`== ${c.topology} (${c.name}): lab up ${sec(up.elapsedMs)}; VM boot (QEMU start → sshd answering): ${Object.entries(up.vmBootMs ?? {}).map(([h, ms]) => `${h} ${sec(ms)}`).join(', ')}`)
    const vms = up.hosts.filter((h) => h.vm)
    for (const h of vms) {
      const pid = h.vm!.qemuPid!
      const guest = (await sh(c.name, h.name, 'free -m | sed -n 2p')).trim().split(/\s+/)
      report.push(`   ${h.name}: QEMU RSS ${((await kib(pid, 'status', 'VmRSS')) / 1024).toFixed(0)} MiB, PSS ${((await kib(pid, 'smaps_rollup', 'Pss')) / 1024).toFixed(0)} MiB; guest total ${guest[1]} MiB, used ${guest[2]} MiB`)
    }
    const ssh: number[] = []
    for (let i = 0; i < 5; i++) ssh.push((await runCmd(await labSshArgv(c.name, 'lb1', ['true']))).ms)
    report.push(`   ssh lb1 true: ${ssh.map((ms) => ms.toFixed(0)).join(', ')} ms`)
    const again = await labUp({name: c.name})
    report.push(`   lab up again (all kept): ${sec(again.elapsedMs)}`)

    const deploy = await runCmd([process.execPath, join(import.meta.dirname, '..', 'bin', 'run.js'), 'deploy', up.lvsInventory!, '--json'])
    if (deploy.code !== 0) throw new Error(`deploy failed: ${deploy.stdout.slice(-1500)}`)
    const redeploy = await runCmd([process.execPath, join(import.meta.dirname, '..', 'bin', 'run.js'), 'deploy', up.lvsInventory!, '--json'])
    report.push(`   deploy: ${sec(deploy.ms)} (first), ${sec(redeploy.ms)} (again, nothing to change)`)

    const t0 = performance.now()
    const out = await sh(c.name, 'client', `ok=0; for i in $(seq 1 200); do curl -s -m 5 -o /dev/null http://${c.vip}/ && ok=$((ok+1)); done; echo $ok`)
    const ms = performance.now() - t0
    report.push(`   200 sequential curl through the VIP: ${out.trim()} ok in ${sec(ms)} = ${(200 / (ms / 1000)).toFixed(0)} req/s (a CGI fork per request on the real servers)`)
    const healthT0 = performance.now()
    await sh(c.name, 'client', `for i in $(seq 1 200); do curl -s -m 5 -o /dev/null http://${c.vip}/health; done`)
    report.push(`   200 sequential curl of the static /health: ${(200 / ((performance.now() - healthT0) / 1000)).toFixed(0)} req/s`)
    if (which('wrk')) {
      const w = await sh(c.name, 'client', `wrk -t1 -c8 -d5s http://${c.vip}/health`)
      report.push(`   wrk -t1 -c8 -d5s /health: ${/Requests\/sec:\s+([\d.]+)/.exec(w)?.[1] ?? '?'} req/s, ${/Transfer\/sec:\s+(\S+)/.exec(w)?.[1] ?? '?'}/s`)
    }
    const lb1 = vms.find((h) => h.name === 'lb1')!.vm!.qemuPid!
    const ticks0 = await cpuTicks(lb1)
    await sleep(5000)
    report.push(`   lb1 idle CPU (keepalived + checks every 2 s, status loop): ${((await cpuTicks(lb1)) - ticks0) / 5}% of a core`)
    report.push(`   failover (keepalived stopped on lb1, probed from the client every 50 ms): ${await failover(c)}`)
    const down = await labDown({name: c.name, inventoryDir: invDir})
    report.push(`   lab down: ${sec(down.elapsedMs)}`)
  }
} finally {
  for (const c of cases) await labDown({name: c.name, inventoryDir: invDir}).catch((err) => console.error(`down ${c.name}: ${err.message}`))
  await rm(invDir, {recursive: true, force: true})
}
for (const line of report) console.log(line)
