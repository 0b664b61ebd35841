/** The `lbctl status` table: VRRP, HAProxy's servers, the hosts, then what is wrong. */
import {table} from '../report/failover-table.js'
import type {ClusterStatus} from './assess.js'

const ago = (s?: number) => {
  if (s === undefined) return ''
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86400)}d`
}
const version = (v?: string) => /v?(\d+\.\d+(?:\.\d+)?)/.exec(v ?? '')?.[1] ?? '?'

export function statusText(s: ClusterStatus): string {
  const out: string[] = [`${s.cluster}: ${s.level.toUpperCase()}`]
  for (const inst of s.instances) {
    out.push('', table([
      ['INSTANCE', 'VIP', 'HOLDER', ...inst.directors.map((d) => d.name)],
      ...inst.vips.map((v, i) => [i === 0 ? inst.name : '', v.address, v.holders.join('+') || 'NONE', ...inst.directors.map((d) => (i === 0 ? `${d.state}${d.priority !== undefined ? ` ${d.priority}` : ''}` : ''))]),
    ]))
  }
  if (s.servers.length) {
    const directors = [...new Set(s.servers.flatMap((v) => Object.keys(v.on)))].sort()
    out.push('', table([
      ['BACKEND/SERVER', ...directors.map((d) => `${d} (status check sessions)`)],
      ...s.servers.map((v) => [`${v.backend}/${v.server}`, ...directors.map((d) => (v.on[d] ? `${v.on[d].status} ${v.on[d].check ?? '-'} ${v.on[d].sessions}` : '—'))]),
    ]))
  }
  out.push('', table([
    ['HOST', 'KEEPALIVED', 'HAPROXY', 'RELEASE', 'FILES'],
    ...s.hosts.map((h) => {
      if (!h.reachable) return [h.name, 'unreachable', '', '', '']
      const d = (x?: {running: boolean; version?: string; uptimeS?: number}) => (!x ? '—' : x.running ? `${version(x.version)} up ${ago(x.uptimeS)}` : 'DOWN')
      const files = h.release.drift.length || h.release.missing.length ? `${h.release.drift.length} changed, ${h.release.missing.length} missing` : h.release.current ? 'as released' : '—'
      return [h.name, d(h.keepalived), d(h.haproxy), `${h.release.current ?? 'none'}${h.release.pending.length ? ' (unfinished)' : ''}`, files]
    }),
  ]))
  if (s.problems.length) {
    out.push('')
    for (const p of s.problems) out.push(`${p.level === 'critical' ? 'CRITICAL' : 'degraded'}: ${p.text}`)
  }
  return out.join('\n')
}
