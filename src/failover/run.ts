/**
 * lbctl failover-test: connect (one SSH connection per host for the whole run), check the cluster is healthy, run
 * each scenario, and stop early when one leaves the cluster not back in its initial state or on Ctrl-C.
 */
import {refusedByHost} from '../playbook/connect.js'
import type {Cluster, Host} from '../inventory/model.js'
import {sshTarget} from '../playbook/connect.js'
import {lockHosts, newHolder, unlockHosts} from '../playbook/lock.js'
import {DIRECT} from '../render/paths.js'
import {openAll, type Transport} from '../transport/index.js'
import {runClock} from './clock.js'
import {healthProblems, readState} from './health.js'
import {controllerProber} from './probe.js'
import {remoteProber} from './remote-probe.js'
import {runScenario} from './scenario.js'
import {VipTracker} from './tracker.js'
import type {Scenario} from './scenarios.js'
import {pickInstance, probeTargets, servingRealServers} from './targets.js'
import type {FailoverReport, ScenarioResult} from './types.js'

/** Keepalive interval of failover-test's connections: a host silent for ~4 of them (40 s) is given up. */
export const FAILOVER_KEEPALIVE_MS = 10_000

export interface FailoverOptions {
  cluster: Cluster
  scenarios: Scenario[]
  instance?: string
  /** A client host of the inventory to probe from; default the controller. */
  from?: string
  probeIntervalMs?: number
  probeTimeoutMs?: number
  /** HTTP(S) path the probes ask for (default /). */
  path?: string
  /** How often each director's tracker checks keepalived's and HAProxy's pids (no process is started for it). */
  checkIntervalMs?: number
  tolerance?: number
  /** The baseline window before each fault, in ms (default 1000). */
  baselineMs?: number
  /** Long downloads kept open through each fault (0: none), on this path. */
  established?: number
  streamPath?: string
  /** Sticky clients asked before and after each fault (0: none), for this path. */
  sticky?: number
  stickyPath?: string
  force?: boolean
  /** Take over a deploy lock left by a run that is gone. */
  breakLock?: boolean
  acceptNew?: boolean
  knownHosts?: string
  signal?: AbortSignal
  log?: (line: string) => void
  /** Filled with the hosts whose deploy lock this run holds, emptied once given back (a second Ctrl-C names them). */
  lockedHosts?: string[]
}

/** Directors always; the real servers and client the selected scenarios and --from need. */
function hostsToConnect(o: FailoverOptions): {name: string; ssh: Host['ssh']}[] {
  const c = o.cluster
  const wanted = new Map<string, {name: string; ssh: Host['ssh']}>(c.directors.map((d) => [d.name, d]))
  for (const s of o.scenarios) {
    const rs = s.target === 'real_server' ? servingRealServers(c)[0] : c.realServers.find((r) => r.name === s.target)
    if (rs) wanted.set(rs.name, rs)
  }
  if (o.from) {
    const client = c.clients.find((x) => x.name === o.from)
    if (!client) throw new Error(`--from: no client "${o.from}" in inventory ${c.name} (clients: ${c.clients.map((x) => x.name).join(', ') || 'none'})`)
    wanted.set(client.name, client)
  }
  return [...wanted.values()]
}

export async function runFailoverTest(o: FailoverOptions): Promise<FailoverReport> {
  const clock = runClock()
  const log = o.log ?? (() => {})
  const signal = o.signal ?? new AbortController().signal
  const cluster = o.cluster
  const inst = pickInstance(cluster, o.instance)
  const settings = {
    probeIntervalMs: o.probeIntervalMs ?? 20,
    // Below Linux's 1 s initial SYN retransmission: a probe whose SYN was lost fails instead of connecting a second
    // later through the retransmission, which would hide the outage; as long as possible otherwise, so a loaded
    // machine's slow answer is not taken for a failure.
    probeTimeoutMs: o.probeTimeoutMs ?? 800,
    path: o.path ?? '/',
    checkIntervalMs: o.checkIntervalMs ?? 50,
    tolerance: o.tolerance ?? 0.1,
  }
  const targets = probeTargets(cluster)
  const report: FailoverReport = {
    cluster: cluster.name,
    inventory: cluster.file,
    startedAt: new Date(clock.epochMs).toISOString(),
    instance: inst.name,
    prober: o.from ?? 'controller',
    settings,
    probeRate: (1000 / settings.probeIntervalMs) * targets.length,
    targets,
    scenarios: [],
    instruments: {},
    clocks: {},
    interrupted: false,
    ok: false,
    durationMs: 0,
  }
  let tracker: VipTracker | undefined
  const finish = () => {
    report.interrupted = signal.aborted
    report.ok = !report.refused && !report.unreachable && !signal.aborted && report.scenarios.every((s) => s.status === 'pass' || s.status === 'skipped')
    if (tracker) {
      report.instruments = tracker.load(0, clock.now())
      for (const d of cluster.directors) {
        const c = tracker.clockOf(d.name)
        if (c) report.clocks[d.name] = {offsetMs: Math.round(c.offsetMs * 10) / 10, uncertaintyMs: Math.round(c.uncertaintyMs * 10) / 10}
      }
    }
    report.durationMs = clock.now()
    return report
  }
  if (targets.length === 0) {
    report.refused = 'the inventory has no VIP service to probe (no HAProxy frontend or LVS TCP service)'
    return finish()
  }

  const hosts = hostsToConnect(o)
  log(`connecting to ${hosts.map((h) => h.name).join(', ')}`)
  // A deploy gives up on a silent host after seconds; failover-test cuts links on purpose (iface-down: for the bound,
  // the tolerance and 3 s, then TCP's retransmission backoff) and must keep its connections through that.
  const keepaliveIntervalMs = FAILOVER_KEEPALIVE_MS
  const opened = await openAll(hosts.map(sshTarget), {acceptNew: o.acceptNew, keepaliveIntervalMs, ...(o.knownHosts ? {knownHostsPath: o.knownHosts} : {})}, {forks: 20})
  const bad = [...opened.values()].filter((t): t is Exclude<typeof t, Transport> => t instanceof Error)
  const transports = new Map([...opened].filter((e): e is [string, Transport] => !(e[1] instanceof Error)))
  const locked: string[] = o.lockedHosts ?? []
  const lockId = `failover-${process.pid}-${clock.epochMs}`
  try {
    if (bad.length) {
      // A host that answered and said no (host key, authentication) refuses (exit 3); one that did not is unreachable (4).
      if (bad.some(refusedByHost)) report.refused = `a host refused the connection, nothing was done:\n${bad.map((e) => `  ${e.message}`).join('\n')}`
      else report.unreachable = bad.map((e) => e.message).join('\n')
      return finish()
    }
    // The deploy lock on every director and real server for the whole run: a deploy, rollback or run during a
    // failover test is refused with this run's name, and this test never starts during one.
    const lockable = new Set([...cluster.directors, ...cluster.realServers].map((h) => h.name))
    const {locked: got, facts, held} = await lockHosts(transports, lockable, cluster.deploy.stateDir, newHolder(lockId, 'failover-test'), Boolean(o.breakLock))
    locked.push(...got)
    if (held.length) {
      report.refused = `another run holds the deploy lock, nothing was done:\n${held.map((p) => `  ${p}`).join('\n')}`
      return finish()
    }
    let state = await readState(cluster, transports, facts)
    const problems = healthProblems(cluster, state)
    if (problems.length && !o.force) {
      report.refused = `the cluster is not healthy, nothing was done (--force to test it anyway):\n${problems.map((p) => `  ${p}`).join('\n')}`
      return finish()
    }
    if (problems.length) log(`warning: testing an unhealthy cluster (--force): ${problems.join('; ')}`)

    // One tracker per director for the whole run (see tracker.ts): events, not polls. Debian's systemd units use the
    // same pid files as lbctl's direct mode.
    tracker = await VipTracker.start(transports, cluster.directors.map((d) => d.name), {
      clock,
      keepalivedPidfile: DIRECT.keepalivedPid,
      haproxyPidfile: cluster.haproxy ? DIRECT.haproxyPid : '',
      checkMs: settings.checkIntervalMs,
      // bash and ip starting on an emulated (TCG) director of the LVS lab take seconds on a busy machine.
      startTimeoutMs: 60_000,
    })
    const lost = tracker.problems()
    if (lost.length) {
      report.refused = `cannot watch the directors, nothing was done:\n${lost.map((p) => `  ${p}`).join('\n')}`
      return finish()
    }
    const from = o.from ? transports.get(o.from)! : undefined
    let stop: string | undefined
    for (const sc of o.scenarios) {
      if (stop || signal.aborted) {
        report.scenarios.push(notRun(sc, stop ?? 'interrupted (Ctrl-C)'))
        continue
      }
      const ctx = {
        cluster,
        inst,
        transports,
        facts,
        clock,
        state,
        signal,
        log,
        tracker,
        targets,
        keep: {established: o.established ?? 0, streamPath: o.streamPath ?? '/stream', sticky: o.sticky ?? 0, stickyPath: o.stickyPath ?? '/echo', ...(from ? {from} : {})},
        probeIntervalMs: settings.probeIntervalMs,
        probeTimeoutMs: settings.probeTimeoutMs,
        probeTargets: targets.length,
        tolerance: settings.tolerance,
        baselineMs: o.baselineMs ?? 1000,
        baselineTries: 3,
        newProber: () => {
          const p = {intervalMs: settings.probeIntervalMs, timeoutMs: settings.probeTimeoutMs, path: settings.path}
          return from ? remoteProber(from, targets, {...p, clock, maxSeconds: 600}) : controllerProber(targets, {...p, now: clock.now})
        },
      }
      const r = await runScenario(sc, ctx)
      state = ctx.state
      report.scenarios.push(r)
      log(`${sc.name}: ${r.status.toUpperCase()}${r.reasons.length ? ` — ${r.reasons.join('; ')}` : ''}`)
      if (!r.restored) stop = `not run: ${sc.name} left the cluster not in its initial state`
    }
    return finish()
  } finally {
    await tracker?.stop()
    await unlockHosts(transports, locked, cluster.deploy.stateDir, lockId)
    locked.splice(0)
    await Promise.all([...transports.values()].map((t) => t.close().catch(() => undefined)))
  }
}

function notRun(sc: Scenario, why: string): ScenarioResult {
  return {
    name: sc.name,
    description: sc.description,
    status: 'not_run',
    reasons: [why],
    notes: [],
    vips: [],
    expect: Array.isArray(sc.expect) ? sc.expect : [sc.expect],
    splitBrain: [],
    staleVips: [],
    restored: true,
    initialHolders: {},
    finalHolders: {},
    times: {start: 0, end: 0},
    steps: [],
    probes: [],
    events: [],
    instruments: {},
  }
}
