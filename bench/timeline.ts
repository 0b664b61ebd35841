// Where a deploy's wall time goes (issue 14): on a lab of N hosts (2 directors + real servers carrying a sysctl, as
// in `bench compare`), a first deploy, a no-op and a change on every host, run in-process with every run event
// time-stamped. Prints, per run: the connect/lock phase, each play's span, and when its hosts finished (p50/p90/max),
// so the critical path is visible: the real servers' parallel work or the directors' serial steps.
// Run as root: npm run bench -- timeline [N=50] [--keep]   (lab h14t on 198.18.85.0/24, removed unless --keep)
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadInventory} from '../src/inventory/index.js'
import {labDown, labUp} from '../src/lab/index.js'
import {sshConnect} from '../src/playbook/connect.js'
import type {RunEvent} from '../src/playbook/events.js'
import {runNamedPlaybook} from '../src/playbook/index.js'
import {resetSshCounters, sshCounters} from '../src/transport/index.js'
import {everyHostInventories} from './lib.js'

const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 50)
const keep = process.argv.includes('--keep')
const name = 'h14t'
const dir = await mkdtemp(join(tmpdir(), 'h14-timeline-'))
const s = (ms: number) => `${(ms / 1000).toFixed(2)}`
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]

async function run(inventory: string, what: string) {
  const {cluster} = loadInventory(inventory)
  const events: {t: number; e: RunEvent}[] = []
  resetSshCounters()
  const t0 = performance.now()
  const r = await runNamedPlaybook('deploy', cluster, {renderer: 'silent', forks: n, connect: sshConnect({forks: n}), listen: (e) => events.push({t: performance.now() - t0, e})})
  const total = performance.now() - t0
  console.log(`\n${what}: ${r.outcome} in ${s(total)} s, ${sshCounters.connections} connections, ${sshCounters.channels} channels`)
  let play = ''
  const plays: {name: string; start: number; ends: Map<string, number>}[] = []
  for (const {t, e} of events) {
    if (e.type === 'phase') console.log(`  ${s(t).padStart(6)}  phase ${e.status}: ${e.text}`)
    if (e.type === 'play') {
      play = e.name
      plays.push({name: play, start: t, ends: new Map()})
    }
    if (e.type === 'task') plays.at(-1)?.ends.set(e.result.host, t)
  }
  for (const p of plays) {
    const ends = [...p.ends.values()]
    if (!ends.length) continue
    console.log(`  ${s(p.start).padStart(6)}  play "${p.name}" (${ends.length} hosts): hosts done p50 ${s(pct(ends, 0.5))}, p90 ${s(pct(ends, 0.9))}, last ${s(Math.max(...ends))}`)
  }
  // Each play's slowest host, task by task (end times): which step the tail waits in.
  plays.forEach((p, i) => {
    if (!p.ends.size) return
    const last = [...p.ends].sort((a, b) => b[1] - a[1])[0][0]
    const until = plays[i + 1]?.start ?? Infinity
    const mine = events.filter(({t, e}) => e.type === 'task' && e.result.host === last && t >= p.start && t <= until)
    console.log(`          slowest in "${p.name}": ${last}: ${mine.map(({t, e}) => (e.type === 'task' ? `${e.result.task} ${s(t)}` : '')).join(', ')}`)
  })
}

try {
  await labDown({name, inventoryDir: dir})
  await labUp({name, subnet: '198.18.85.0/24', directors: 2, realServers: n - 2, inventoryDir: dir})
  const {first, change} = await everyHostInventories(dir, name)
  await run(first, 'first deploy')
  await run(first, 'no-op')
  await run(change, 'change')
} finally {
  if (!keep) await labDown({name, inventoryDir: dir})
  else console.log(`\nkept: lab ${name}, inventories in ${dir}`)
}
