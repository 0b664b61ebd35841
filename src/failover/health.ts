/**
 * The cluster's state as a failover test sees it: who holds each VIP, and which director runs keepalived and HAProxy
 * (with their pids). Read before the run (refuse an unhealthy cluster), and after each restore (is it back?).
 */
import type {Cluster} from '../inventory/model.js'
import type {HostFacts} from '../modules/types.js'
import {addressesOf} from '../modules/wait-for.js'
import {runningTest} from '../modules/service.js'
import {DIRECT} from '../render/paths.js'
import {cmd, type ShellCommand} from '../shell/index.js'
import type {Transport} from '../transport/types.js'

export interface DirectorState {
  name: string
  reachable: boolean
  addresses: string[]
  keepalived?: string
  haproxy?: string
}

export interface ClusterState {
  directors: DirectorState[]
  /** VIP → the directors holding it (keepalived running or not). */
  holders: Record<string, string[]>
}

function daemonLine(name: 'keepalived' | 'haproxy', facts: HostFacts): ShellCommand {
  if (facts.systemd) return cmd`if systemctl is-active --quiet ${name}; then echo "lbctl-${name}=$(systemctl show -p MainPID --value ${name})"; fi`
  const pidfile = name === 'keepalived' ? DIRECT.keepalivedPid : DIRECT.haproxyPid
  return cmd`if ${runningTest(name)}; then echo "lbctl-${name}=$(cat ${pidfile})"; fi`
}

export function stateCommand(facts: HostFacts, haproxy: boolean): ShellCommand {
  return cmd`ip -4 -o addr show; ${daemonLine('keepalived', facts)}; ${haproxy ? daemonLine('haproxy', facts) : cmd`true`}`
}

export function parseState(name: string, stdout: string): DirectorState {
  const pid = (d: string) => new RegExp(`^lbctl-${d}=(\\d+)$`, 'm').exec(stdout)?.[1]
  return {name, reachable: true, addresses: [...addressesOf(stdout)], keepalived: pid('keepalived'), haproxy: pid('haproxy')}
}

export async function readState(cluster: Cluster, transports: Map<string, Transport>, facts: Map<string, HostFacts>): Promise<ClusterState> {
  const directors = await Promise.all(
    cluster.directors.map(async (d): Promise<DirectorState> => {
      try {
        const r = await transports.get(d.name)!.exec(stateCommand(facts.get(d.name)!, Boolean(cluster.haproxy)), {timeoutMs: 5000})
        return parseState(d.name, r.stdout)
      } catch {
        return {name: d.name, reachable: false, addresses: []}
      }
    }),
  )
  return {directors, holders: holdersOf(cluster, directors)}
}

export function holdersOf(cluster: Cluster, directors: DirectorState[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const inst of cluster.instances) {
    for (const v of inst.vips) out[v.address] = directors.filter((d) => inst.members.some((m) => m.director === d.name) && d.addresses.includes(v.address)).map((d) => d.name)
  }
  return out
}

/** What makes a cluster unfit for a failover test: a VIP missing or doubled, a daemon down, a director unreachable. */
export function healthProblems(cluster: Cluster, state: ClusterState): string[] {
  const out: string[] = []
  for (const d of state.directors) {
    if (!d.reachable) out.push(`${d.name} does not answer`)
    else {
      if (!d.keepalived) out.push(`keepalived is not running on ${d.name}`)
      if (cluster.haproxy && !d.haproxy) out.push(`haproxy is not running on ${d.name}`)
    }
  }
  for (const [vip, h] of Object.entries(state.holders)) {
    if (h.length === 0) out.push(`${vip} is held by no director`)
    if (h.length > 1) out.push(`${vip} is held by ${h.join(' and ')} (split brain)`)
  }
  return out
}

/** Differences between the holders now and the holders expected, as sentences; empty when they match. */
export function holderDifferences(expected: Record<string, string[]>, now: Record<string, string[]>): string[] {
  const out: string[] = []
  for (const [vip, want] of Object.entries(expected)) {
    const got = now[vip] ?? []
    if ([...got].sort().join() !== [...want].sort().join()) out.push(`${vip} is on ${got.length ? got.join(' and ') : 'no director'}, expected ${want.length ? want.join(' and ') : 'none'}`)
  }
  return out
}
