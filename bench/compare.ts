// lbctl against Ansible, same lab hosts, same run (issue 14). For 5, 20 and 50 hosts (2 directors + real servers
// that carry a sysctl, so every host is a deploy target): the login floor (N OpenSSH `ssh true` at once with the
// lab's key and known_hosts; median of 3), then lbctl's first deploy, no-op re-run and a change on every host, then
// the lab rebuilt and the same three runs by bench/ansible/deploy.yml pushing the files `lbctl render --out` wrote.
// Both tools work on every host at once (lbctl --forks N, Ansible -f N).
// Run as root: npm run bench -- compare [5 20 50 200] [--no-ansible]   (labs h14c5/20/50/200 on 198.18.81-84.0/24,
// removed at the end; 200 only when asked). Needs ansible-playbook (Debian: apt-get install -y ansible-core).
import {spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadInventory} from '../src/inventory/index.js'
import type {Host} from '../src/inventory/model.js'
import {labDown, labSshArgv, labUp} from '../src/lab/index.js'
import {sshConnect} from '../src/playbook/connect.js'
import {runNamedPlaybook} from '../src/playbook/index.js'
import {raw} from '../src/shell/index.js'
import {resetSshCounters, sshCounters} from '../src/transport/index.js'
import {everyHostInventories, sec, timed} from './lib.js'

const CASES = [
  {hosts: 5, name: 'h14c5', subnet: '198.18.81.0/24'},
  {hosts: 20, name: 'h14c20', subnet: '198.18.82.0/24'},
  {hosts: 50, name: 'h14c50', subnet: '198.18.83.0/24'},
  {hosts: 200, name: 'h14c200', subnet: '198.18.84.0/24'},
]
const only = process.argv.slice(2).map(Number).filter(Boolean)
const withAnsible = !process.argv.includes('--no-ansible')
const wanted = CASES.filter((c) => (only.length ? only.includes(c.hosts) : c.hosts <= 50))
const ANSIBLE_DIR = join(import.meta.dirname, 'ansible')
const RUSAGE = join(import.meta.dirname, 'rusage.mjs')

if (withAnsible && spawnSync('ansible-playbook', ['--version']).status !== 0) {
  console.error('bench compare: ansible-playbook not found (Debian: apt-get install -y ansible-core)')
  process.exit(1)
}
const ansibleVersion = withAnsible ? spawnSync('ansible-playbook', ['--version'], {encoding: 'utf8'}).stdout.split('\n')[0] : ''

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const x = (a: number, b: number) => `${(a / b).toFixed(1)}×`

type Run = {ms: number; cpuMs: number; maxRssKb: number}

const work = await mkdtemp(join(tmpdir(), 'h14-compare-'))

/** N parallel `ssh root@host true`, as a user's OpenSSH would log in, median of three. */
async function floor(lab: string, hosts: string[]): Promise<number> {
  const argvs = await Promise.all(hosts.map((h) => labSshArgv(lab, h, ['true'])))
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now()
    const codes = await Promise.all(argvs.map(async (a) => (await timed(a)).code))
    times.push(performance.now() - t0)
    if (codes.some((c) => c !== 0)) throw new Error(`${lab}: bare ssh failed`)
  }
  return median(times)
}

/**
 * What one more round trip costs when every host takes it at once: lbctl's transport connected to every host, then
 * `sh -c true` on all of them together over the open connections (a channel, the login shell and sh), median of 3.
 * A change needs two round trips per host (facts, actions), so floor + this is the physics of a change.
 */
async function roundTrip(hosts: Host[]): Promise<number> {
  const open = await sshConnect({forks: hosts.length})(hosts)
  try {
    const ts = [...open.values()].map((t) => {
      if (t instanceof Error) throw t
      return t
    })
    const times: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const rs = await Promise.all(ts.map((t) => t.exec(raw`sh -c true`)))
      times.push(performance.now() - t0)
      if (rs.some((r) => r.code !== 0)) throw new Error('sh -c true failed')
    }
    return median(times)
  } finally {
    await Promise.all([...open.values()].map((t) => (t instanceof Error ? undefined : t.close())))
  }
}

async function lbctl(inventory: string, what: string, forks: number): Promise<Run & {changed: number}> {
  const ru = join(work, 'rusage.json')
  const r = await timed([process.execPath, 'bin/run.js', 'deploy', inventory, '--json', '--forks', String(forks)], {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${RUSAGE}`.trim(),
    LBCTL_BENCH_RUSAGE: ru,
  })
  if (r.code !== 0) throw new Error(`lbctl ${what} failed (${r.code}): ${r.stdout.slice(0, 2000)}`)
  const doc = JSON.parse(r.stdout) as {hosts: Record<string, {changed: number}>}
  const changed = Object.values(doc.hosts).reduce((n, h) => n + h.changed, 0)
  const u = JSON.parse(await readFile(ru, 'utf8')) as {maxRssKb: number; cpuMs: number}
  return {ms: r.ms, ...u, changed}
}

/** ansible-playbook under GNU time (CPU of Ansible and its forks and ssh clients), a fresh ControlPath directory. */
async function ansible(hostsIni: string, renderDir: string, forks: number, what: string): Promise<Run & {changed: number}> {
  const cp = await mkdtemp(join(work, 'cp-'))
  const tf = join(work, 'time.txt')
  const r = await timed(
    ['/usr/bin/time', '-o', tf, '-f', '%M %U %S', 'ansible-playbook', '-i', hostsIni, '-f', String(forks), '-e', `render_dir=${renderDir}`, join(ANSIBLE_DIR, 'deploy.yml')],
    {ANSIBLE_CONFIG: join(ANSIBLE_DIR, 'ansible.cfg'), ANSIBLE_SSH_CONTROL_PATH_DIR: cp, ANSIBLE_NOCOLOR: '1'},
  )
  // Close the ControlPersist masters this run left: none may outlive its lab.
  for (const s of await readdir(cp)) spawnSync('ssh', ['-o', `ControlPath=${join(cp, s)}`, '-O', 'exit', 'h14'], {stdio: 'ignore'})
  if (r.code !== 0) throw new Error(`ansible ${what} failed (${r.code}): ${r.stdout.slice(-3000)}`)
  const changed = [...r.stdout.matchAll(/ changed=(\d+) /g)].reduce((n, m) => n + Number(m[1]), 0)
  const [rss, user, sys] = (await readFile(tf, 'utf8')).trim().split(/\s+/).map(Number)
  return {ms: r.ms, cpuMs: (user + sys) * 1000, maxRssKb: rss, changed}
}

// Each tool's ratio is to the floor measured just before its own three runs (the lab is rebuilt in between).
const rows: string[][] = [['hosts', 'run', 'floor', 'lbctl', 'lbctl ÷ floor', 'floor (Ansible)', 'Ansible', 'Ansible ÷ lbctl', 'Ansible ÷ its floor', 'lbctl CPU', 'lbctl peak RSS', 'Ansible CPU', 'changed (lbctl / Ansible)']]
const notes: string[] = []
try {
  for (const c of wanted) {
    const dir = join(work, c.name)
    await mkdir(dir, {recursive: true})
    const up = async () => {
      await labDown({name: c.name, inventoryDir: dir})
      return labUp({name: c.name, subnet: c.subnet, directors: 2, realServers: c.hosts - 2, inventoryDir: dir})
    }
    const lab = await up()
    const {first, change} = await everyHostInventories(dir, c.name)
    for (const [inv, out] of [[first, 'out-first'], [change, 'out-change']]) {
      const r = await timed([process.execPath, 'bin/run.js', 'render', inv, '--out', join(dir, out)])
      if (r.code !== 0) throw new Error(`render ${inv} failed`)
    }

    // The Ansible inventory: the same hosts, groups in lbctl's order (masters are the intended VRRP masters).
    const {cluster} = loadInventory(first)
    const masters = new Set(cluster.instances.map((i) => i.master))
    const ssh = cluster.directors[0].ssh
    const line = (h: {name: string; address: string}) => `${h.name} ansible_host=${h.address}`
    const ini = [
      '[real_servers]', ...cluster.realServers.map(line),
      '[backup_directors]', ...cluster.directors.filter((d) => !masters.has(d.name)).map(line),
      '[master_directors]', ...cluster.directors.filter((d) => masters.has(d.name)).map(line),
      '[all:vars]',
      `ansible_user=${ssh.user}`,
      `ansible_ssh_private_key_file=${ssh.identityFile}`,
      `ansible_ssh_extra_args=-o UserKnownHostsFile=${ssh.knownHosts}`,
      `vips=${JSON.stringify(cluster.instances.flatMap((i) => i.vips.map((v) => v.address)))}`,
    ].join('\n')
    const hostsIni = join(dir, 'hosts.ini')
    await writeFile(hostsIni, `${ini}\n`)
    const targets = lab.hosts.filter((h) => h.role !== 'client').map((h) => h.name)

    const floors = [await floor(c.name, targets)]
    const rt = await roundTrip([...cluster.directors, ...cluster.realServers].filter((h) => targets.includes(h.name)))
    notes.push(`${c.hosts} hosts: one more round trip on every host at once (open connections, \`sh -c true\`, median of 3): ${sec(rt)}; floor + that: ${sec(floors[0] + rt)} = ${x(floors[0] + rt, floors[0])} the floor`)
    const l1 = await lbctl(first, 'first deploy', targets.length)
    const l2 = await lbctl(first, 'no-op', targets.length)
    const l3 = await lbctl(change, 'change', targets.length)
    // Connections of a no-op, counted in-process.
    const {cluster: changed} = loadInventory(change)
    resetSshCounters()
    const inproc = await runNamedPlaybook('deploy', changed, {renderer: 'silent', forks: targets.length, connect: sshConnect({forks: targets.length})})
    if (inproc.outcome !== 'ok') throw new Error(`${c.name}: in-process no-op ${inproc.outcome}`)
    notes.push(`${c.hosts} hosts: lbctl no-op opened ${sshCounters.connections} SSH connections and ${sshCounters.channels} channels (round trips) for ${targets.length} hosts`)
    // Round trips of a change on every host (back to the first inventory), counted in-process.
    resetSshCounters()
    const back = await runNamedPlaybook('deploy', loadInventory(first).cluster, {renderer: 'silent', forks: targets.length, connect: sshConnect({forks: targets.length})})
    if (back.outcome !== 'ok') throw new Error(`${c.hosts}: in-process change ${back.outcome}`)
    notes.push(`${c.hosts} hosts: lbctl change on every host opened ${sshCounters.connections} SSH connections and ${sshCounters.channels} channels (round trips) for ${targets.length} hosts`)

    let a: (Run & {changed: number})[] = []
    if (withAnsible) {
      await up() // fresh hosts for Ansible: nothing deployed, no daemon running
      floors.push(await floor(c.name, targets))
      a = [
        await ansible(hostsIni, join(dir, 'out-first'), targets.length, 'first deploy'),
        await ansible(hostsIni, join(dir, 'out-first'), targets.length, 'no-op'),
        await ansible(hostsIni, join(dir, 'out-change'), targets.length, 'change'),
      ]
    }
    const runs = [['first deploy', l1], ['no-op re-run', l2], ['change on every host', l3]] as const
    runs.forEach(([run, l], i) => {
      const an = a[i]
      rows.push([
        String(c.hosts), run, sec(floors[0]), sec(l.ms), x(l.ms, floors[0]),
        an ? sec(floors[1]) : '-', an ? sec(an.ms) : '-', an ? x(an.ms, l.ms) : '-', an ? x(an.ms, floors[1]) : '-',
        `${(l.cpuMs / 1000).toFixed(2)} s`, `${Math.round(l.maxRssKb / 1024)} MiB`, an ? `${(an.cpuMs / 1000).toFixed(1)} s` : '-', `${l.changed} / ${an ? an.changed : '-'}`,
      ])
    })
    await labDown({name: c.name, inventoryDir: dir})
  }
} finally {
  for (const c of CASES) await labDown({name: c.name, inventoryDir: join(work, c.name)}).catch(() => undefined)
  await rm(work, {recursive: true, force: true})
}
console.log(`| ${rows[0].join(' | ')} |`)
console.log(`|${rows[0].map(() => '---').join('|')}|`)
for (const r of rows.slice(1)) console.log(`| ${r.join(' | ')} |`)
for (const n of notes) console.log(n)
if (withAnsible) console.log(`${ansibleVersion}; settings: bench/ansible/ansible.cfg, -f <hosts>, a fresh ControlPath directory per run.`)
console.log('floor: N parallel OpenSSH `ssh true` (lab key and known_hosts), median of 3, measured before each tool\'s runs.')
console.log('lbctl CPU and peak RSS: the lbctl process (ssh2 in-process). Ansible CPU: ansible-playbook, its forks and ssh clients.')
