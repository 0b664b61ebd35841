import {createHash} from 'node:crypto'
import type {Cluster, Host} from '../inventory/model.js'
import {RELEASE_STATE, lineage, nextReleaseId, parseReleaseState, type ReleaseState} from '../modules/release-history.js'
import {renderHost} from '../render/index.js'
import {redact} from '../render/secret-lines.js'
import {script} from '../shell/index.js'
import type {Transport} from '../transport/types.js'

/**
 * What a run activates, decided once every host is locked and its releases read; or why it must not run: refused
 * (the hosts disagree) or invalid (the operator named a release no host has).
 */
export type ReleaseDecision = {id: string; bundle?: string; vars?: Record<string, unknown>} | {refused: string} | {invalid: string}
export type DecideRelease = (states: Map<string, ReleaseState>) => ReleaseDecision

export function managedHosts(cluster: Cluster): Host[] {
  return [...cluster.directors, ...cluster.realServers.filter((r) => r.manage)]
}

/**
 * The cluster's desired state as two digests: exact (files and sysctls of every host, secrets included; kept on the
 * hosts, never printed) and masked (secrets replaced; its head names the release).
 */
export function bundleDigests(cluster: Cluster): {exact: string; masked: string} {
  const exact = createHash('sha256')
  const masked = createHash('sha256')
  const sha = (t: string) => createHash('sha256').update(t).digest('hex')
  for (const h of managedHosts(cluster)) {
    for (const f of renderHost(cluster, h.name)) {
      exact.update(`${h.name} ${f.path} ${f.mode.toString(8)} ${sha(f.content)}\n`)
      masked.update(`${h.name} ${f.path} ${f.mode.toString(8)} ${sha(redact(f.content, cluster.secrets))}\n`)
    }
    for (const [k, v] of Object.entries(h.tuning.sysctls).sort()) {
      exact.update(`${h.name} sysctl ${k}=${v}\n`)
      masked.update(`${h.name} sysctl ${k}=${v}\n`)
    }
  }
  return {exact: exact.digest('hex'), masked: masked.digest('hex')}
}

/**
 * Deploy: one desired cluster state has one ID on every host. A host that already has a release of this exact
 * state (a deploy that stopped half-way, or an older deploy of the same inventory) names it; otherwise the next ID.
 */
export function deployDecision(cluster: Cluster): DecideRelease {
  const {exact, masked} = bundleDigests(cluster)
  return (states) => {
    for (const s of states.values()) for (const [id, bundle] of s.releases) if (bundle === exact) return {id, bundle: exact}
    return {id: nextReleaseId([...states.values()], masked), bundle: exact}
  }
}

/**
 * Rollback: the release that was active before the current one, the same for every host. Each host's history is a
 * stack (see lineage); a host that stopped part-way through a deploy or rollback has a prefix of the others', so
 * the longest one is the cluster's. Hosts whose histories disagree, or that lack the target, are named and refused.
 */
export function rollbackDecision(to: string | undefined, force: boolean): DecideRelease {
  return (states) => {
    const withHistory = [...states].filter(([, s]) => s.history.length > 0)
    if (withHistory.length === 0) return {refused: 'no host has a current release: deploy first'}
    let target = to
    if (target) {
      const known = [...new Set([...states.values()].flatMap((s) => [...s.releases.keys()]))]
      if (!known.includes(target)) return {invalid: `--to: no host has release ${target} (known: ${known.join(', ') || 'none'}); nothing was changed`}
    } else {
      const stacks = withHistory.map(([h, s]) => [h, lineage(s.history)] as const)
      const longest = stacks.reduce((a, b) => (b[1].length > a[1].length ? b : a))[1]
      const off = stacks.filter(([, st]) => st.some((id, i) => longest[i] !== id))
      if (off.length) {
        const show = stacks.map(([h, st]) => `${h}: ${st.slice(-3).join(' → ')}`).join('; ')
        return {refused: `the hosts went through different releases (${show}); choose one with --to ID`}
      }
      if (longest.length < 2) return {refused: `release ${longest.at(-1)} is the oldest there is: nothing to roll back to`}
      target = longest.at(-2)!
    }
    const missing = [...states].filter(([, s]) => !s.releases.has(target!)).map(([h]) => h)
    if (missing.length && !force) {
      return {refused: `release ${target} is not on ${missing.join(', ')} (pruned, or never deployed there); nothing was changed. --force rolls back the other hosts and leaves these as they are`}
    }
    return {id: target!, vars: {release: target, force}}
  }
}

export interface HostRelease {
  id: string
  current: boolean
  /** When the host last activated it (the host's clock), or '-'. */
  activated: string
  files: number
}

/** Releases of each host in the order it activated them (never activated ones first), current marked. */
export function releaseList(s: ReleaseState): HostRelease[] {
  const last = new Map<string, string>()
  for (const e of s.history) {
    last.delete(e.id)
    last.set(e.id, e.time)
  }
  const order = [...s.releases.keys()].sort((a, b) => [...last.keys()].indexOf(a) - [...last.keys()].indexOf(b))
  return order.map((id) => ({id, current: id === s.current, activated: last.get(id) ?? '-', files: s.paths.get(id)?.length ?? 0}))
}

export async function readReleaseStates(cluster: Cluster, hosts: Host[], transports: Map<string, Transport | Error>): Promise<Map<string, ReleaseState | Error>> {
  const answers = await Promise.all(
    hosts.map(async (h): Promise<ReleaseState | Error> => {
      const t = transports.get(h.name)
      if (!t || t instanceof Error) return t ?? new Error(`${h.name}: not connected`)
      const r = await t.exec(script(RELEASE_STATE, cluster.deploy.stateDir))
      return r.code === 0 ? parseReleaseState(r.stdout) : new Error(`${h.name}: ${r.stderr.trim()}`)
    }),
  )
  return new Map(hosts.map((h, i) => [h.name, answers[i]]))
}
