/**
 * One scenario, end to end: probes and VIP sampling running, a baseline, the fault, watching the VIP move, the
 * restore (always, also after an error or Ctrl-C), waiting until the cluster is back, then the measurements.
 */
import type {Cluster, Host, VrrpInstance} from '../inventory/model.js'
import type {HostFacts} from '../modules/types.js'
import {cmd} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import {DEFAULT_MAX_GAP_MS, movedAt, outage, splitBrains, staleVips} from './analyze.js'
import {backupPriority, downFileOf, haproxyCheckBound, masterDownBound, returnS, skewBound, trackScriptBound, trackedScripts} from './bounds.js'
import {hostClock, toRunTime, type RunClock} from './clock.js'
import {type ClusterState, holderDifferences, readState} from './health.js'
import type {Prober} from './probe.js'
import {startSampler} from './sampler.js'
import {expectations, type Scenario} from './scenarios.js'
import {renderedFiles, runSteps, type StepContext, type StepRun} from './steps.js'
import {faultTarget} from './targets.js'
import type {Bound, ScenarioResult, VipSample} from './types.js'
import {ratioOf, verdict} from './verdict.js'

export interface ScenarioContext {
  cluster: Cluster
  inst: VrrpInstance
  transports: Map<string, Transport>
  facts: Map<string, HostFacts>
  clock: RunClock
  newProber: () => Prober
  probeIntervalMs: number
  sampleIntervalMs: number
  tolerance: number
  settleMs: number
  signal: AbortSignal
  log: (line: string) => void
  /** The state the scenario starts from; replaced by the state it leaves. */
  state: ClusterState
}

const STATE_DIR = '/run/lbctl/failover'
/** After the VIP moved: keep watching this long for a flap back or a split brain. */
const TAIL_MS = 1000

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
    samples: [],
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

export async function runScenario(sc: Scenario, ctx: ScenarioContext): Promise<ScenarioResult> {
  const result = skeleton(sc, ctx)
  const prep = prepare(sc, ctx)
  if (typeof prep === 'string') {
    result.reasons.push(prep)
    return result
  }
  const {target, bound, env} = prep
  const {cluster, inst, clock, transports} = ctx
  const vip = inst.vips[0].address
  const allVips = Object.keys(ctx.state.holders)
  // "Moved" means: away from where the scenario found it (the target itself for vip_holder scenarios).
  const holder = ctx.state.holders[vip]?.length === 1 ? ctx.state.holders[vip][0] : target.name
  result.target = target.name
  result.bound = bound
  const stepCtx: StepContext = {cluster, host: target, facts: ctx.facts.get(target.name)!, transports, env, now: clock.now, files: renderedFiles(cluster, target.name)}
  ctx.log(`${sc.name}: ${sc.description} (target ${target.name}, bound ${bound.seconds.toFixed(2)} s)`)

  const sampler = startSampler(transports, cluster.directors.map((d) => d.name), ctx.sampleIntervalMs, clock.now)
  const prober = ctx.newProber()
  let fault: StepRun | undefined
  let restore: StepRun | undefined
  let error: string | undefined
  let restoreProblem: string | undefined
  try {
    await prober.start()
    await sleep(ctx.settleMs, ctx.signal)
    if (!ctx.signal.aborted) {
      fault = await runSteps('fault', sc.fault, {...stepCtx, stopOnFailure: true})
      result.times.fault = fault.lastSent
      await observe(sc, ctx, bound, holder, () => sampler.samples, result.times.fault ?? clock.now())
    }
  } catch (e) {
    error = (e as Error).message
  } finally {
    // Always: a restore of a fault that never happened is a no-op (service started, file removed …).
    restore = await runSteps('restore', sc.restore, stepCtx)
    result.times.restore = restore.firstSent ?? clock.now()
    const back = await waitBack(sc, ctx, target, holder, sampler.samples, result.times.fault)
    result.restored = back.ok
    result.times.restored = back.at
    result.finalHolders = back.state?.holders ?? result.finalHolders
    if (back.state) ctx.state = back.state
    restoreProblem = back.problem
    if (back.note) result.notes.push(back.note)
    await sleep(500)
  }
  const samples = await sampler.stop()
  const probes = await prober.stop().catch((e) => {
    error ??= `probes: ${(e as Error).message}`
    return []
  })
  result.times.end = clock.now()
  result.samples = samples
  result.probes = probes
  result.steps = [...(fault?.outcomes ?? []), ...(restore?.outcomes ?? [])]

  // Times the host reported itself (the link went down later than the step that arranged it).
  const marks = {...fault?.marks, ...restore?.marks}
  if (marks.fault !== undefined || marks.restore !== undefined) {
    const hc = await hostClock(transports.get(target.name)!, clock).catch(() => undefined)
    if (hc && marks.fault !== undefined) result.times.fault = toRunTime(marks.fault, clock, hc)
    if (hc && marks.restore !== undefined) result.times.restore = toRunTime(marks.restore, clock, hc)
  }

  const faultAt = result.times.fault
  const moved = faultAt !== undefined ? movedAt(samples, vip, holder, faultAt) : undefined
  result.times.moved = moved?.at
  const out = faultAt !== undefined ? outage(probes, faultAt, result.times.restore!, result.times.end) : {longestMs: 0, failed: 0, total: 0}
  // Samples further apart than a few sampling intervals say nothing about the time between them.
  const maxGap = Math.max(DEFAULT_MAX_GAP_MS, 3 * ctx.sampleIntervalMs)
  result.splitBrain = splitBrains(samples, allVips, maxGap)
  result.staleVips = staleVips(samples, allVips, maxGap)
  for (const s of result.staleVips) result.notes.push(`${s.vip} stayed on ${s.director} for ${(s.durationMs / 1000).toFixed(2)} s after its keepalived died (a stale VIP: it still answers ARP there)`)
  const movedS = moved && faultAt !== undefined ? (moved.at - faultAt) / 1000 : undefined
  result.measures = {
    movedS,
    outageS: out.longestMs / 1000,
    failedProbes: probes.filter((p) => !p.ok).length,
    totalProbes: probes.length,
    failedDuringReturn: probes.filter((p) => !p.ok && p.start >= result.times.restore!).length,
    ratio: ratioOf(out.longestMs / 1000, bound),
    returnS: result.times.restored !== undefined ? (result.times.restored - result.times.restore!) / 1000 : undefined,
  }
  const stepFailures = result.steps.filter((s) => s.status === 'failed').map((s) => `${s.phase} step "${s.task}" on ${s.host} failed: ${s.message ?? ''}`)
  if (error) stepFailures.push(error)
  if (ctx.signal.aborted) stepFailures.push('interrupted (Ctrl-C): restored and stopped')
  const baselineOk = faultAt === undefined || probes.some((p) => p.ok && p.start < faultAt)
  result.reasons = verdict({
    expect: result.expect,
    bound,
    tolerance: ctx.tolerance,
    sampleIntervalMs: ctx.sampleIntervalMs,
    movedS,
    movedTo: moved?.to,
    outageS: out.longestMs / 1000,
    failedProbes: result.measures.failedProbes,
    splitBrain: result.splitBrain,
    restored: result.restored,
    restoreProblem,
    stepFailures: faultAt === undefined && !stepFailures.length ? ['the fault did not run'] : stepFailures,
    baselineOk,
  })
  // Cut short, its expectations mean nothing; what still matters is whether the cluster is back.
  if (ctx.signal.aborted) result.reasons = result.reasons.filter((r) => /^interrupted|^split brain|did not get back/.test(r))
  result.status = error || ctx.signal.aborted ? 'error' : result.reasons.length ? 'fail' : 'pass'
  return result
}

/** Until the VIP has moved (plus a tail), or the scenario's observation window is over. */
async function observe(sc: Scenario, ctx: ScenarioContext, bound: Bound, from: string, samples: () => readonly VipSample[], faultAt: number): Promise<void> {
  const expectMove = expectations(sc).includes('vip_moves')
  const windowMs = (sc.observe ?? (expectMove ? bound.seconds * (1 + ctx.tolerance) + 2 : bound.seconds + 1)) * 1000
  const deadline = faultAt + windowMs
  const vip = ctx.inst.vips[0].address
  while (!ctx.signal.aborted && ctx.clock.now() < deadline) {
    if (expectMove && movedAt(samples(), vip, from, faultAt)) {
      await sleep(TAIL_MS, ctx.signal)
      return
    }
    await sleep(expectMove ? 20 : Math.min(200, deadline - ctx.clock.now()), ctx.signal)
  }
}

/**
 * Polls the cluster until every VIP is where it should be and every daemon runs: where the scenario found it, or
 * where nopreempt leaves it once it moved. Real-server targets must listen on their port again.
 */
async function waitBack(sc: Scenario, ctx: ScenarioContext, target: Host, holder: string, samples: readonly VipSample[], faultAt: number | undefined) {
  const {cluster, inst, clock} = ctx
  const expected = {...ctx.state.holders}
  let note: string | undefined
  const moved = faultAt !== undefined ? movedAt(samples, inst.vips[0].address, holder, faultAt) : undefined
  if (inst.nopreempt && moved) {
    for (const v of inst.vips) expected[v.address] = [moved.to]
    note = `${inst.name} sets nopreempt: its VIPs stay on ${moved.to}`
  }
  const scripts = sc.track ? trackedScripts(cluster, inst, sc.track) : []
  const limitMs = (2 * returnS(cluster, inst, scripts) + 10) * 1000
  const deadline = clock.now() + limitMs + (sc.observe ?? 0) * 1000
  let problem: string | undefined
  let state: ClusterState | undefined
  for (;;) {
    state = await readState(cluster, ctx.transports, ctx.facts)
    const diffs = holderDifferences(expected, state.holders)
    const daemons = state.directors.flatMap((d) => (!d.reachable ? [`${d.name} does not answer`] : [...(d.keepalived ? [] : [`keepalived is not running on ${d.name}`]), ...(cluster.haproxy && !d.haproxy ? [`haproxy is not running on ${d.name}`] : [])]))
    const listener = target.kind === 'real_server' ? await listens(ctx, target) : undefined
    problem = [...diffs, ...daemons, ...(listener ? [listener] : [])].join('; ') || undefined
    if (!problem) return {ok: true, at: clock.now(), state, note}
    if (clock.now() > deadline) return {ok: false, problem: `after ${(limitMs / 1000).toFixed(0)} s: ${problem}`, state, note}
    await sleep(250)
  }
}

async function listens(ctx: ScenarioContext, target: Host & {kind: 'real_server'}): Promise<string | undefined> {
  const r = await ctx.transports.get(target.name)!.exec(cmd`ss -Htln ${`sport = :${target.port}`} | grep -q .`, {timeoutMs: 5000}).catch(() => undefined)
  return r?.code === 0 ? undefined : `nothing listens on ${target.name}:${target.port}`
}
