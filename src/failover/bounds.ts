/**
 * The longest a failover may take, from the configuration alone. VRRP's timers (RFC 5798 §6.1, which keepalived
 * applies to version 2 as well, with advert_int in seconds):
 *
 *   Skew_Time            = (256 − Priority) × Advert_Interval / 256
 *   Master_Down_Interval = 3 × Advert_Interval + Skew_Time
 *
 * where Priority is the priority of the backup that takes over (the highest-priority one elects itself first).
 * A backup declares the master dead when no advert it accepts arrived for Master_Down_Interval; a priority-0 advert
 * (the master stopping gracefully) sets its timer to Skew_Time instead; an advert with a lower priority than its own
 * is discarded (so the timer runs out), which is how a failing track script hands the VIP over.
 *
 * Every bound adds `probe` = two probe intervals: the outage is measured between probe starts, and its first failed
 * probe may have started up to one interval before the VIP went (it was in flight), its first good one up to one
 * interval after the VIP came back.
 */
import type {Cluster, VrrpInstance, VrrpScript} from '../inventory/model.js'
import {durationMs} from '../inventory/schema/common.js'
import type {Bound} from './types.js'

const round = (s: number) => Math.round(s * 1e6) / 1e6

export function skewS(priority: number, advertInt: number): number {
  return ((256 - priority) * advertInt) / 256
}

export function masterDownS(priority: number, advertInt: number): number {
  return 3 * advertInt + skewS(priority, advertInt)
}

/**
 * keepalived stops the old master within a few milliseconds of SIGTERM and the new master's gratuitous ARP reaches
 * the clients within a millisecond or two on a LAN; 50 ms covers both, and the event loop of a loaded controller.
 */
export const GRACEFUL_ALLOWANCE_S = 0.05

/** A failing track script: fall failed runs (each interval apart), then the backup's master-down timer. */
export function trackScriptBound(script: Pick<VrrpScript, 'name' | 'interval' | 'fall'>, advertInt: number, backupPriority: number, probeS: number): Bound {
  const skew = skewS(backupPriority, advertInt)
  return {
    kind: 'track_script',
    seconds: round(script.fall * script.interval + 3 * advertInt + skew + probeS),
    formula: `fall × interval + 3 × advert_int + (256 − priority) × advert_int / 256 + probe = ${script.fall} × ${script.interval} + 3 × ${advertInt} + ${round(skew)} + ${probeS}`,
    terms: {fall: script.fall, interval: script.interval, advert_int: advertInt, priority: backupPriority, skew: round(skew), probe: probeS},
  }
}

/** The master vanished without a word (killed, link down): the backup's master-down timer. */
export function masterDownBound(advertInt: number, backupPriority: number, probeS: number): Bound {
  const skew = skewS(backupPriority, advertInt)
  return {
    kind: 'master_down',
    seconds: round(3 * advertInt + skew + probeS),
    formula: `3 × advert_int + (256 − priority) × advert_int / 256 + probe = 3 × ${advertInt} + ${round(skew)} + ${probeS}`,
    terms: {advert_int: advertInt, priority: backupPriority, skew: round(skew), probe: probeS},
  }
}

/** The master said goodbye (priority-0 advert): the backup waits only its skew time. */
export function skewBound(advertInt: number, backupPriority: number, probeS: number): Bound {
  const skew = skewS(backupPriority, advertInt)
  return {
    kind: 'skew',
    seconds: round(skew + GRACEFUL_ALLOWANCE_S + probeS),
    formula: `(256 − priority) × advert_int / 256 + allowance + probe = ${round(skew)} + ${GRACEFUL_ALLOWANCE_S} + ${probeS}`,
    terms: {advert_int: advertInt, priority: backupPriority, skew: round(skew), allowance: GRACEFUL_ALLOWANCE_S, probe: probeS},
  }
}

/** HAProxy marks a server down after `fall` failed checks `inter` apart; clients must not notice (retries, redispatch). */
export function haproxyCheckBound(inter: number | string, fall: number): Bound {
  const interS = durationMs(inter) / 1000
  return {
    kind: 'haproxy_check',
    seconds: round(fall * interS),
    formula: `fall × inter = ${fall} × ${interS}`,
    terms: {fall, inter: interS},
  }
}

/**
 * The effective priority of the best backup once `holder` fails: its configured priority plus the positive weights of
 * the scripts it tracks (healthy on the backup), capped at 254 as keepalived does.
 */
export function backupPriority(cluster: Cluster, inst: VrrpInstance, holder: string): number | undefined {
  const bonus = inst.trackScripts.reduce((sum, ref) => {
    const w = ref.weight ?? cluster.scripts.find((s) => s.name === ref.name)?.weight ?? 0
    return w > 0 ? sum + w : sum
  }, 0)
  const others = inst.members.filter((m) => m.director !== holder).map((m) => Math.min(254, m.priority + bonus))
  return others.length ? Math.max(...others) : undefined
}

/**
 * How long the VIPs may take to come back after the restore: the script must pass `rise` times, then the recovered
 * director (discarding the lower-priority adverts of the current master, RFC 5798 §6.4.2) waits out its own
 * master-down timer, plus preempt_delay. Used for the restore's time limit, not for pass/fail.
 */
export function returnS(cluster: Cluster, inst: VrrpInstance, scripts: VrrpScript[]): number {
  const master = inst.members.find((m) => m.director === inst.master)
  const rise = Math.max(0, ...scripts.map((s) => s.rise * s.interval))
  return rise + masterDownS(master?.priority ?? 100, inst.advertInt) + (inst.preemptDelay ?? 0)
}

/**
 * The scripts an instance tracks that a scenario's `track:` selects: haproxy (a process check of haproxy), down_file,
 * or a script name. The seed's restart_haproxy check is not a haproxy check here: it restarts HAProxy instead of
 * letting the VIP go, so a killed HAProxy is not expected to move the VIP.
 */
export function trackedScripts(cluster: Cluster, inst: VrrpInstance, track: string): VrrpScript[] {
  const tracked = inst.trackScripts.map((r) => cluster.scripts.find((s) => s.name === r.name)).filter((s): s is VrrpScript => s !== undefined)
  if (track === 'haproxy') return tracked.filter((s) => s.kind === 'process' && / haproxy$/.test(s.command))
  if (track === 'down_file') return tracked.filter((s) => s.kind === 'down_file')
  return tracked.filter((s) => s.name === track)
}

/** The file a down_file script watches (resolve.ts renders it as `/usr/bin/test ! -e PATH`). */
export function downFileOf(script: VrrpScript): string | undefined {
  return /^\/usr\/bin\/test ! -e (\S+)$/.exec(script.command)?.[1]
}

/**
 * How many timers a failover of this kind waits on, one after the other: each can fire late on a busy host (see
 * withHostDelay). A failing script: its `fall` runs, the backup's master-down timer, the new master's gratuitous ARP.
 * A kill: the master-down timer and the ARP. A graceful stop: the priority-0 advert, the skew timer and the ARP.
 */
export function timerSteps(b: Bound): number {
  if (b.kind === 'track_script') return (b.terms.fall ?? 1) + 2
  if (b.kind === 'master_down') return 2
  if (b.kind === 'skew') return 3
  return 0
}

/**
 * The bound on this machine, now: the formula plus what the hosts' own timers were measured to overrun during the
 * scenario (the directors' trackers and the controller's probe timer report the worst wakeup delay of every second).
 * Each timer of the chain is allowed one of the largest delays seen — on a quiet host a few milliseconds in all, on a
 * host busy with other work as much as it really costs. The term is shown in the formula, never hidden.
 */
export function withHostDelay(b: Bound, delaysMs: readonly number[]): Bound {
  const steps = timerSteps(b)
  if (steps === 0 || delaysMs.length === 0) return b
  const worst = [...delaysMs].sort((x, y) => y - x).slice(0, steps + 1)
  // One more than the timers: the probe that sees the VIP back is itself started by a timer.
  const delayS = Math.round(worst.reduce((n, x) => n + x, 0)) / 1000
  return {
    ...b,
    seconds: round(b.seconds + delayS),
    formula: `${b.formula} + host delay ${delayS}`,
    terms: {...b.terms, host_delay: delayS},
  }
}
