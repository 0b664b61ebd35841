/**
 * One scenario, end to end: probes running, a baseline that must pass before any fault, the fault, watching the VIP
 * move, the restore (always, also after an error or Ctrl-C), waiting until the cluster is back, then the measurements.
 * What the directors do comes from their trackers (tracker.ts), which run for the whole test.
 */
import type {Cluster, Host, VrrpInstance} from '../inventory/model.js'
import type {HostFacts} from '../modules/types.js'
import {cmd} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import {baseline, outage} from './analyze.js'
import {backupPriority, downFileOf, haproxyCheckBound, masterDownBound, returnS, skewBound, trackScriptBound, trackedScripts, withHostDelay} from './bounds.js'
import {hostClock, toRunTime, type RunClock} from './clock.js'
import {type ClusterState, holderDifferences, holdersOf} from './health.js'
import {longestOverlapMs, movedAt, splitBrains, staleVips, statesAt} from './holds.js'
import type {Prober} from './probe.js'
import {expectations, type Scenario} from './scenarios.js'
import {renderedFiles, runSteps, type StepContext, type StepRun} from './steps.js'
import {faultTarget} from './targets.js'
import type {VipTracker} from './tracker.js'
import type {Baseline, Bound, ProbeResult, ProbeTarget, ScenarioResult} from './types.js'
import {awaitSynced, openEstablished} from './established.js'
import {awaitReplication, cookieClients, sourceClients} from './sticky.js'
import {ratioOf, verdict} from './verdict.js'

export interface ScenarioContext {
  cluster: Cluster
  inst: VrrpInstance
  transports: Map<string, Transport>
  facts: Map<string, HostFacts>
  clock: RunClock
  tracker: VipTracker
  /** The VIP services probed (established connections and sticky clients use the first HTTP one). */
  targets: ProbeTarget[]
  /** --established N / --sticky M: what clients keep through each fault. */
  keep?: {established: number; streamPath: string; sticky: number; stickyPath: string; from?: Transport}
  newProber: () => Prober
  probeIntervalMs: number
  probeTimeoutMs: number
  /** Probes per interval (one per target). */
  probeTargets: number
  tolerance: number
  /** The baseline window before the fault; up to `baselineTries` windows are tried. */
  baselineMs: number
  baselineTries: number
  signal: AbortSignal
  log: (line: string) => void
  /** The state the scenario starts from; replaced by the state it leaves. */
  state: ClusterState
}

const STATE_DIR = '/run/lbctl/failover'
/** After the VIP moved: keep watching this long for a flap back or a split brain. */
const TAIL_MS = 1000
/** A director whose tracker has said nothing for this long does not answer (its heartbeat is every second). */
const SILENT_MS = 3000

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, Math.max(0, ms))
    function done() {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })

function boundFor(ctx: ScenarioContext, sc: Scenario, target: Host): Bound | string {
  const {cluster, inst} = ctx
  const probeS = (2 * ctx.probeIntervalMs) / 1000
  if (sc.bound === 'haproxy_check') {
    const backend = Object.entries(cluster.haproxy?.backends ?? {}).find(([name]) => cluster.haproxyServers[name]?.some((s) => s.name === target.name))?.[1]
    return haproxyCheckBound(backend?.check?.inter ?? '2s', backend?.check?.fall ?? 3)
  }
  const prio = backupPriority(cluster, inst, target.name)
  if (prio === undefined) return `${inst.name} has no other director to take over`
  if (sc.bound === 'master_down') return masterDownBound(inst.advertInt, prio, probeS)
  if (sc.bound === 'skew') return skewBound(inst.advertInt, prio, probeS)
  const scripts = sc.track ? trackedScripts(cluster, inst, sc.track) : inst.trackScripts.map((r) => cluster.scripts.find((s) => s.name === r.name)!)
  if (scripts.length === 0) return `${inst.name} tracks no ${sc.track ?? ''} script`.replace('  ', ' ')
  return scripts.map((s) => trackScriptBound(s, inst.advertInt, prio, probeS)).sort((a, b) => b.seconds - a.seconds)[0]
}

function skeleton(sc: Scenario, ctx: ScenarioContext): ScenarioResult {
  const now = ctx.clock.now()
  return {
    name: sc.name,
    description: sc.description,
    status: 'skipped',
    reasons: [],
    notes: [],
    instance: ctx.inst.name,
    vips: ctx.inst.vips.map((v) => v.address),
    expect: expectations(sc),
    splitBrain: [],
    staleVips: [],
    restored: true,
    initialHolders: ctx.state.holders,
    finalHolders: ctx.state.holders,
    times: {start: now, end: now},
    steps: [],
    probes: [],
    events: [],
    instruments: {},
  }
}

/** Why the scenario cannot run on this cluster, or what it runs against. */
function prepare(sc: Scenario, ctx: ScenarioContext): {target: Host; bound: Bound; env: Record<string, string>} | string {
  const {cluster, inst} = ctx
  if (sc.requires === 'haproxy' && !cluster.haproxy) return 'the cluster has no HAProxy'
  if (sc.requires === 'lvs' && cluster.virtualServices.length === 0) return 'the cluster has no LVS virtual services'
  const target = faultTarget(cluster, inst, sc.target, ctx.state.holders)
  if (typeof target === 'string') return target
  if (!ctx.transports.has(target.name)) return `${target.name} is not connected`
  const scripts = sc.track ? trackedScripts(cluster, inst, sc.track) : []
  if (sc.track && scripts.length === 0) return `${inst.name} tracks no ${sc.track === 'haproxy' ? 'process check of haproxy' : sc.track === 'down_file' ? 'down_file script' : `script ${sc.track}`}`
  const bound = boundFor(ctx, sc, target)
  if (typeof bound === 'string') return bound
  const member = inst.members.find((m) => m.director === target.name)
  const downFile = scripts.map(downFileOf).find(Boolean)
  const env: Record<string, string> = {
    LBCTL_SCENARIO: sc.name,
    LBCTL_TARGET: target.name,
    LBCTL_TARGET_ADDRESS: target.address,
    LBCTL_VIPS: inst.vips.map((v) => v.address).join(' '),
    LBCTL_IFACE: member?.interface ?? target.interface,
    LBCTL_STATE_DIR: STATE_DIR,
    LBCTL_SELF_RESTORE_AFTER: String(Math.ceil(bound.seconds * (1 + ctx.tolerance) + 3)),
    ...(target.kind === 'real_server' ? {LBCTL_PORT: String(target.port)} : {}),
    ...(downFile ? {LBCTL_DOWN_FILE: downFile} : {}),
  }
  return {target, bound, env}
}

/**
 * Probe until one baseline window passed (every probe answered, p99 latency within half the timeout), at most
 * `baselineTries` windows: a verdict is only worth giving on a cluster that was answering before the fault.
 */
async function gate(ctx: ScenarioContext, prober: Prober, probingSince: number): Promise<Baseline> {
  const limitMs = ctx.probeTimeoutMs / 2
  let from = probingSince
  let last: Baseline | undefined
  for (let tries = 1; tries <= ctx.baselineTries && !ctx.signal.aborted; tries++) {
    const to = from + ctx.baselineMs
    // Every probe of the window has had `limitMs` to answer by then.
    await sleep(to + limitMs - ctx.clock.now(), ctx.signal)
    const {results, inFlight} = prober.snapshot()
    const expected = (ctx.baselineMs / ctx.probeIntervalMs) * ctx.probeTargets
    last = {...baseline(results, from, to, ctx.clock.now(), ctx.probeTimeoutMs, {inFlight, expected}), tries}
    if (last.ok) return last
    from = to
  }
  return last ?? {ok: false, windowMs: 0, probes: 0, failed: 0, unanswered: 0, p50Ms: 0, p99Ms: 0, limitMs, tries: 0}
}

export function baselineReason(b: Baseline, probeIntervalMs: number): string {
  const ms = (x: number) => `${Math.round(x)} ms`
  return (
    `no verdict: the cluster did not answer the probes reliably before the fault, so no fault was injected — ` +
    `${b.failed} of ${b.probes} probes failed${b.unanswered ? ` and ${b.unanswered} were still unanswered` : ''}, latency p50 ${ms(b.p50Ms)} p99 ${ms(b.p99Ms)} (limit ${ms(b.limitMs)}) in the last of ${b.tries} window(s) of ${(b.windowMs / 1000).toFixed(1)} s. ` +
    `Check the service behind the VIP; on a busy machine probe less often (--interval ${Math.max(100, probeIntervalMs * 5)}) or a cheaper page (--path /health)`
  )
}

export async function runScenario(sc: Scenario, ctx: ScenarioContext): Promise<ScenarioResult> {
  const result = skeleton(sc, ctx)
  const prep = prepare(sc, ctx)
  if (typeof prep === 'string') {
    result.reasons.push(prep)
    return result
  }
  const {target, bound, env} = prep
  const {cluster, inst, clock, transports, tracker} = ctx
  const vip = inst.vips[0].address
  const allVips = Object.keys(ctx.state.holders)
  // "Moved" means: away from where the scenario found it (the target itself for vip_holder scenarios).
  const holder = ctx.state.holders[vip]?.length === 1 ? ctx.state.holders[vip][0] : target.name
  result.target = target.name
  result.bound = bound
  const stepCtx: StepContext = {cluster, host: target, facts: ctx.facts.get(target.name)!, transports, env, now: clock.now, files: renderedFiles(cluster, target.name)}
  ctx.log(`${sc.name}: ${sc.description} (target ${target.name}, bound ${bound.seconds.toFixed(2)} s)`)

  const prober = ctx.newProber()
  let fault: StepRun | undefined
  let restore: StepRun | undefined
  let error: string | undefined
  let restoreProblem: string | undefined
  let faultTried = false
  try {
    const probingSince = clock.now()
    await prober.start()
    result.baseline = await gate(ctx, prober, probingSince)
    if (result.baseline.ok && !ctx.signal.aborted) {
      const kept = await startKeeping(ctx)
      faultTried = true
      fault = await runSteps('fault', sc.fault, {...stepCtx, stopOnFailure: true})
      result.times.fault = fault.lastSent
      // Watched from when the fault step came back: on a slow host it can act seconds after it was sent.
      await observe(sc, ctx, bound, holder, result.times.fault ?? clock.now(), clock.now())
      // Judged before the restore, which may move the VIP back and cost the connections again.
      Object.assign(result, await kept.judge(movedAt(tracker.events(), vip, holder, result.times.fault ?? 0)?.at))
    }
  } catch (e) {
    error = (e as Error).message
  } finally {
    // Always, once a fault may have run: a restore of a fault that never happened is a no-op (service started …).
    if (faultTried || error) {
      restore = await runSteps('restore', sc.restore, stepCtx)
      result.times.restore = restore.firstSent ?? clock.now()
      const back = await waitBack(sc, ctx, target, holder, result.times.fault)
      result.restored = back.ok
      result.times.restored = back.at
      result.finalHolders = back.state?.holders ?? result.finalHolders
      if (back.state) ctx.state = back.state
      restoreProblem = back.problem
      if (back.note) result.notes.push(back.note)
      await sleep(500)
    }
  }
  const probes = await prober.stop().catch((e) => {
    error ??= `probes: ${(e as Error).message}`
    return []
  })
  result.times.end = clock.now()
  await tracker.sync(result.times.end, 5000)
  result.probes = probes
  result.events = tracker.slice(result.times.start, result.times.end)
  result.instruments = tracker.load(result.times.start, result.times.end)
  result.steps = [...(fault?.outcomes ?? []), ...(restore?.outcomes ?? [])]

  if (!faultTried && !error) {
    result.status = ctx.signal.aborted ? 'error' : 'inconclusive'
    result.reasons = ctx.signal.aborted ? ['interrupted (Ctrl-C) before the fault'] : [baselineReason(result.baseline!, ctx.probeIntervalMs)]
    return result
  }

  // Times the host reported itself (the link went down later than the step that arranged it).
  const marks = {...fault?.marks, ...restore?.marks}
  if (marks.fault !== undefined || marks.restore !== undefined) {
    // A director's clock is measured all along by its tracker (clocks drift); a real server's once, now.
    const other = tracker.clockOf(target.name) ? undefined : await hostClock(transports.get(target.name)!, clock).catch(() => undefined)
    const at = (hostMs: number) => tracker.clockOf(target.name, hostMs) ?? other
    const hf = marks.fault !== undefined ? at(marks.fault) : undefined
    const hr = marks.restore !== undefined ? at(marks.restore) : undefined
    if (hf) result.times.fault = toRunTime(marks.fault!, clock, hf)
    if (hr) result.times.restore = toRunTime(marks.restore!, clock, hr)
  }

  // The timers on this machine, now: the formula plus what the hosts' timers overran meanwhile (bounds.ts).
  const delayUntil = result.times.restore ?? result.times.end
  const measured = withHostDelay(bound, [...tracker.delays(result.times.start, delayUntil), ...(prober.delays?.(result.times.start, delayUntil) ?? [])])
  result.bound = measured
  const events = result.events
  const faultAt = result.times.fault
  const moved = faultAt !== undefined ? movedAt(events, vip, holder, faultAt) : undefined
  result.times.moved = moved?.at
  const out = faultAt !== undefined ? outage(probes, faultAt, result.times.restore!, result.times.end) : {longestMs: 0, failed: 0, total: 0}
  const worstDelayMs = Math.max(0, ...tracker.delays(result.times.start, result.times.end))
  result.splitBrain = splitBrains(events, allVips, splitBrainMinMs(inst, worstDelayMs))
  result.staleVips = staleVips(events, allVips)
  for (const s of result.staleVips) result.notes.push(`${s.vip} stayed on ${s.director} for ${(s.durationMs / 1000).toFixed(2)} s after its keepalived died (a stale VIP: it still answers ARP there)`)
  const movedS = moved && faultAt !== undefined ? (moved.at - faultAt) / 1000 : undefined
  const failed = probes.filter((p) => !p.ok)
  const lost = faultAt === undefined ? [] : inFlightAt(failed, faultAt, tracker.uncertaintyMs())
  if (lost.length) result.notes.push(`${lost.length} probe(s) in flight when the fault hit failed (${lost.map((p) => `${p.detail} after ${Math.round(p.latency)} ms`).join(', ')}): a request a server has already taken dies with it, and no proxy can retry it`)
  result.measures = {
    movedS,
    outageS: out.longestMs / 1000,
    failedProbes: probes.filter((p) => !p.ok).length,
    totalProbes: probes.length,
    failedDuringReturn: probes.filter((p) => !p.ok && p.start >= result.times.restore!).length,
    ratio: ratioOf(out.longestMs / 1000, measured),
    returnS: result.times.restored !== undefined ? (result.times.restored - result.times.restore!) / 1000 : undefined,
    overlapMs: longestOverlapMs(events, allVips),
  }
  if (result.splitBrain.length === 0 && result.measures.overlapMs > splitBrainMinMs(inst)) {
    result.notes.push(`two directors held a VIP at once for ${(result.measures.overlapMs / 1000).toFixed(2)} s during a handover: longer than one advert interval, within what the hosts' measured timer delays (up to ${Math.round(worstDelayMs)} ms) explain`)
  }
  const stepFailures = result.steps.filter((s) => s.status === 'failed').map((s) => `${s.phase} step "${s.task}" on ${s.host} failed: ${s.message ?? ''}`)
  if (error) stepFailures.push(error)
  if (ctx.signal.aborted) stepFailures.push('interrupted (Ctrl-C): restored and stopped')
  result.reasons = verdict({
    expect: result.expect,
    bound: measured,
    tolerance: ctx.tolerance,
    timingSlackMs: tracker.uncertaintyMs(),
    movedS,
    movedTo: moved?.to,
    outageS: out.longestMs / 1000,
    failedProbes: result.measures.failedProbes - lost.length,
    failedAt: failed.filter((p) => !lost.includes(p)).map((p) => ({atS: faultAt === undefined ? undefined : (p.start - faultAt) / 1000, detail: p.detail})),
    splitBrain: result.splitBrain,
    restored: result.restored,
    restoreProblem,
    stepFailures: faultAt === undefined && !stepFailures.length ? ['the fault did not run'] : stepFailures,
  })
  // Cut short, its expectations mean nothing; what still matters is whether the cluster is back.
  if (ctx.signal.aborted) result.reasons = result.reasons.filter((r) => /^interrupted|^split brain|did not get back/.test(r))
  result.status = error || ctx.signal.aborted ? 'error' : result.reasons.length ? 'fail' : 'pass'
  return result
}

const ESTABLISHED_AGE_MS = 4000
/** A connection is resynced every 50 packets (~5 s of the lab's /stream): three chances, then the fault goes ahead. */
const SYNC_WAIT_MS = 15_000

const directorTransports = (ctx: ScenarioContext) => ctx.cluster.directors.flatMap((d) => (ctx.transports.has(d.name) ? [ctx.transports.get(d.name)!] : []))

/** What clients keep through the fault (--established, --sticky): started after the baseline, judged after the move. */
async function startKeeping(ctx: ScenarioContext): Promise<{judge: (movedAt?: number) => Promise<Pick<ScenarioResult, 'established' | 'sticky'>>}> {
  const k = ctx.keep
  const target = ctx.targets.find((t) => t.kind === 'http')
  if (!k || !target || (k.established === 0 && k.sticky === 0)) return {judge: async () => ({})}
  const streams = k.established > 0 ? openEstablished(target, k.established, k.streamPath, ctx.clock.now) : undefined
  // "Established" means old enough for the backup to have been told: the kernel's IPVS sync daemon sends a partly
  // filled buffer only after IPVS_SYNC_FLUSH_TIME (2 s), looked at every second, so a connection younger than ~3 s
  // may not be on the backup yet (seen: 2 of 20 reset on a graceful stop 0.1 s after they opened). With lvs_sync the
  // wait goes on until every director lists every connection (seen in CI, emulated directors on a busy machine: 4 of
  // 20 not on the backup 4 s after they opened); how many were is reported, so a lag is told from a loss.
  if (streams) {
    await sleep(ESTABLISHED_AGE_MS, ctx.signal)
    if (ctx.cluster.keepalived.lvsSync) {
      const since = Date.now()
      streams.synced = await awaitSynced(directorTransports(ctx), streams, SYNC_WAIT_MS, ctx.signal)
      ctx.log(`established: ${streams.synced} of ${k.established} connections on every director's IPVS table (${((Date.now() - since) / 1000).toFixed(1)} s after the ${ESTABLISHED_AGE_MS / 1000} s they were given)`)
    }
  }
  const sticky = k.sticky > 0 ? await (k.from ? sourceClients(k.from, target, k.sticky, k.stickyPath) : cookieClients(target, k.sticky, k.stickyPath)) : undefined
  // With HAProxy peers, the fault waits (at most 6 s) until every director's table knows every source client.
  if (sticky?.sources && ctx.cluster.haproxy?.peers) {
    await awaitReplication(directorTransports(ctx), sticky.sources, 6000, ctx.signal)
  }
  return {
    async judge(movedAt) {
      // Long enough after the move for data to flow again on the new path, or plainly not to.
      if (streams) await sleep(2000, ctx.signal)
      const established = streams?.finish(ctx.clock.now(), movedAt)
      for (const line of streams?.lost() ?? []) ctx.log(`established: ${line}`)
      return {...(established ? {established} : {}), ...(sticky ? {sticky: await sticky.after()} : {})}
    },
  }
}

/**
 * Two live holders for longer than this is a split brain. A handover resolves on the new master's first advert, sent
 * the moment it takes over: the old master must let go before the next one is due (one advert interval, at least
 * 200 ms) — on a busy host as much later as its timers were measured to overrun during the scenario. Directors that do
 * not hear each other (a VRID mismatch, a partition) overlap until someone repairs them.
 */
export function splitBrainMinMs(inst: Pick<VrrpInstance, 'advertInt'>, hostDelayMs = 0): number {
  return Math.max(200, inst.advertInt * 1000) + hostDelayMs
}

/** Until the VIP has moved (plus a tail), or the scenario's observation window (from `since`) is over. */
async function observe(sc: Scenario, ctx: ScenarioContext, bound: Bound, from: string, faultAt: number, since: number): Promise<void> {
  const expectMove = expectations(sc).includes('vip_moves')
  const windowMs = (sc.observe ?? (expectMove ? bound.seconds * (1 + ctx.tolerance) + 2 : bound.seconds + 1)) * 1000
  const deadline = since + windowMs
  const vip = ctx.inst.vips[0].address
  while (!ctx.signal.aborted && ctx.clock.now() < deadline) {
    if (expectMove && movedAt(ctx.tracker.events(), vip, from, faultAt)) {
      await sleep(TAIL_MS, ctx.signal)
      return
    }
    await sleep(expectMove ? 20 : Math.min(200, deadline - ctx.clock.now()), ctx.signal)
  }
}

/** The cluster as the trackers see it now: who has each VIP, which daemons run; a silent director does not answer. */
function trackedState(ctx: ScenarioContext): ClusterState {
  const now = ctx.clock.now()
  const states = statesAt(ctx.tracker.events(), now)
  const directors = ctx.cluster.directors.map((d) => {
    const s = states.get(d.name)
    if (!s || now - ctx.tracker.knownUntil(d.name) > SILENT_MS) return {name: d.name, reachable: false, addresses: []}
    return {name: d.name, reachable: true, addresses: [...s.addresses.keys()], keepalived: s.keepalived ? 'running' : undefined, haproxy: s.haproxy ? 'running' : undefined}
  })
  return {directors, holders: holdersOf(ctx.cluster, directors)}
}

/**
 * Until every VIP is where it should be and every daemon runs, as the trackers report it: where the scenario found
 * it, or where nopreempt leaves it once it moved. Real-server targets must listen on their port again.
 */
async function waitBack(sc: Scenario, ctx: ScenarioContext, target: Host, holder: string, faultAt: number | undefined) {
  const {cluster, inst, clock} = ctx
  const expected = {...ctx.state.holders}
  let note: string | undefined
  const moved = faultAt !== undefined ? movedAt(ctx.tracker.events(), inst.vips[0].address, holder, faultAt) : undefined
  if (inst.nopreempt && moved) {
    for (const v of inst.vips) expected[v.address] = [moved.to]
    note = `${inst.name} sets nopreempt: its VIPs stay on ${moved.to}`
  }
  const scripts = sc.track ? trackedScripts(cluster, inst, sc.track) : []
  const limitMs = (2 * returnS(cluster, inst, scripts) + 10) * 1000
  const deadline = clock.now() + limitMs + (sc.observe ?? 0) * 1000
  let problem: string | undefined
  let state: ClusterState | undefined
  let listenerCheckedAt = -Infinity
  let listener: string | undefined = target.kind === 'real_server' ? 'not checked yet' : undefined
  for (;;) {
    state = trackedState(ctx)
    const diffs = holderDifferences(expected, state.holders)
    const daemons = state.directors.flatMap((d) => (!d.reachable ? [`${d.name} does not answer`] : [...(d.keepalived ? [] : [`keepalived is not running on ${d.name}`]), ...(cluster.haproxy && !d.haproxy ? [`haproxy is not running on ${d.name}`] : [])]))
    // The real server is not tracked: ask it, but at most once a second.
    if (target.kind === 'real_server' && listener && clock.now() - listenerCheckedAt >= 1000) {
      listenerCheckedAt = clock.now()
      listener = await listens(ctx, target)
    }
    problem = [...diffs, ...daemons, ...(listener ? [listener] : [])].join('; ') || undefined
    if (!problem) return {ok: true, at: clock.now(), state, note}
    if (clock.now() > deadline) return {ok: false, problem: `after ${(limitMs / 1000).toFixed(0)} s: ${problem}`, state, note}
    await sleep(50)
  }
}

async function listens(ctx: ScenarioContext, target: Host & {kind: 'real_server'}): Promise<string | undefined> {
  const r = await ctx.transports.get(target.name)!.exec(cmd`ss -Htln ${`sport = :${target.port}`} | grep -q .`, {timeoutMs: 5000}).catch(() => undefined)
  return r?.code === 0 ? undefined : `nothing listens on ${target.name}:${target.port}`
}

/**
 * The failed probes that were in flight when the fault hit: started before its mark (within the clocks' uncertainty)
 * and still going when it came. The mark is printed once the fault's command returned (kill, then echo), so a probe
 * the fault cut off may end up to 250 ms before it on a busy host.
 */
export function inFlightAt(failed: ProbeResult[], faultAt: number, uncertaintyMs: number): ProbeResult[] {
  return failed.filter((p) => p.start <= faultAt + uncertaintyMs && p.start + p.latency >= faultAt - 250 - uncertaintyMs)
}
