/**
 * Reading one host's status answer (probe.ts): pure, unit-tested in test/unit/status.test.ts.
 */
import {addressesOf} from '../modules/wait-for.js'
import {sections} from './probe.js'

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'INIT' | 'STOP' | 'UNKNOWN'

export interface VrrpInstanceStatus {
  name: string
  state: VrrpState
  vrid?: number
  basePriority?: number
  effectivePriority?: number
  vips: string[]
}

export interface DaemonStatus {
  running: boolean
  pid?: string
  version?: string
  uptimeS?: number
}

export interface ServerStatus {
  backend: string
  server: string
  /** HAProxy's: UP, DOWN, DRAIN, MAINT, NOLB, "no check" … (with "UP 1/3" style transitions kept). */
  status: string
  check?: string
  /** Current sessions, and all sessions so far. */
  sessions: number
  total: number
  weight?: number
}

export interface ReleaseStatus {
  current?: string
  /** Work an interrupted run left in the host's journal (services to reload). */
  pending: string[]
  /** Managed files whose contents differ from the active release. */
  drift: string[]
  /** Files of the active release that are gone. */
  missing: string[]
}

export interface HostStatus {
  name: string
  reachable: boolean
  error?: string
  addresses: string[]
  keepalived?: DaemonStatus & {instances: VrrpInstanceStatus[]}
  haproxy?: DaemonStatus & {servers: ServerStatus[]; error?: string}
  /** The live IPVS table in `ipvsadm -Sn` form, and its counters; undefined where IPVS is not in use. */
  ipvs?: {available: boolean; rules?: string; stats?: string}
  /** LVS-DR/TUN real servers: whether `realserver.sh status` passes (VIP on lo, ARP sysctls). */
  realServerOk?: boolean
  release: ReleaseStatus
}

const STATES: Record<number, VrrpState> = {0: 'INIT', 1: 'BACKUP', 2: 'MASTER', 3: 'FAULT', 97: 'STOP'}

/** keepalived's SIGJSON dump: per instance its state, VRID, priorities and VIPs (nothing else is kept). */
export function parseKeepalivedJson(text: string): VrrpInstanceStatus[] {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return []
  }
  if (!Array.isArray(data)) return []
  return data.flatMap((entry) => {
    const d = (entry as {data?: Record<string, unknown>}).data
    if (!d || typeof d.iname !== 'string') return []
    const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined)
    const vips = Array.isArray(d.vips) ? d.vips.filter((v): v is string => typeof v === 'string').map((v) => v.split('/')[0].split(' ')[0]) : []
    return [{name: d.iname, state: STATES[num('state') ?? -1] ?? 'UNKNOWN', vrid: num('vrid'), basePriority: num('base_priority'), effectivePriority: num('effective_priority'), vips}]
  })
}

/** `show stat` CSV: every server row (not the FRONTEND/BACKEND summaries) of every proxy. */
export function parseShowStat(csv: string): ServerStatus[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '')
  const head = lines.find((l) => l.startsWith('# '))
  if (!head) return []
  const cols = head.slice(2).split(',')
  const at = (row: string[], name: string) => row[cols.indexOf(name)] ?? ''
  return lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.split(','))
    .filter((row) => at(row, 'svname') !== 'FRONTEND' && at(row, 'svname') !== 'BACKEND')
    .map((row) => ({
      backend: at(row, 'pxname'),
      server: at(row, 'svname'),
      status: at(row, 'status'),
      ...(at(row, 'check_status') ? {check: at(row, 'check_status')} : {}),
      sessions: Number(at(row, 'scur')) || 0,
      total: Number(at(row, 'stot')) || 0,
      ...(at(row, 'weight') !== '' ? {weight: Number(at(row, 'weight'))} : {}),
    }))
}

function daemon(body: string | undefined): DaemonStatus | undefined {
  if (body === undefined) return undefined
  const line = (k: string) => new RegExp(`^${k} (.*)$`, 'm').exec(body)?.[1]
  if (/^down$/m.test(body)) return {running: false}
  const started = line('started')?.split(' ').map(Number)
  return {
    running: true,
    pid: line('pid'),
    version: line('version'),
    ...(started && started.length === 2 && started.every(Number.isFinite) ? {uptimeS: Math.max(0, Math.round(started[1] - started[0]))} : {}),
  }
}

export function parseRelease(body: string | undefined): ReleaseStatus {
  const out: ReleaseStatus = {pending: [], drift: [], missing: []}
  for (const line of (body ?? '').split('\n')) {
    const [k, ...rest] = line.split(' ')
    const v = rest.join(' ')
    if (k === 'current' && v !== '-' && v) out.current = v
    else if (k === 'journal' && rest[0] === 'service' && rest[1]) out.pending.push(rest[1])
    else if (k === 'drift' && v) out.drift.push(v)
    else if (k === 'missing' && v) out.missing.push(v)
  }
  return out
}

export function parseHostStatus(name: string, stdout: string): HostStatus {
  const s = sections(stdout)
  const out: HostStatus = {name, reachable: true, addresses: [...addressesOf(s.get('addresses') ?? '')], release: parseRelease(s.get('release'))}
  const k = daemon(s.get('keepalived'))
  if (k) out.keepalived = {...k, instances: k.running ? parseKeepalivedJson(s.get('keepalived.json') ?? '') : []}
  const h = daemon(s.get('haproxy'))
  if (h) {
    // HAProxy tells its version itself (show info), without a second process.
    const info = s.get('haproxy show info')
    const v = /^Version: (.*)$/m.exec(info ?? '')?.[1]
    if (v) h.version = `HAProxy version ${v}`
    const stat = s.get('haproxy show stat')
    const err = /^error (.*)$/m.exec(stat ?? '')?.[1]
    out.haproxy = {...h, servers: h.running && stat !== undefined && !err ? parseShowStat(stat) : [], ...(err ? {error: err} : {})}
  }
  const ipvs = s.get('ipvs')
  if (ipvs !== undefined) out.ipvs = /^unavailable$/m.test(ipvs) ? {available: false} : {available: true, rules: ipvs, stats: s.get('ipvs stats') ?? ''}
  const rs = s.get('realserver')
  if (rs !== undefined) out.realServerOk = /^exit 0$/m.test(rs)
  return out
}
