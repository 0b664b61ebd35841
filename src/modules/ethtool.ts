import {z} from 'zod'
import {cmd, raw, script} from '../shell/index.js'
import {failed, ok, type Module, type Plan, type Step} from './types.js'

const args = z.strictObject({
  interfaces: z.array(z.string()).optional(),
  gro: z.boolean().optional(),
  lro: z.boolean().optional(),
})
type Args = z.infer<typeof args>

const FEATURE = {gro: 'generic-receive-offload', lro: 'large-receive-offload'} as const

const PROBE = raw`command -v ethtool >/dev/null || { echo 'ethtool is not installed' >&2; exit 127; }
for i in "$@"; do echo "== $i"; ethtool -k "$i" || exit 1; done`

/** Parses `ethtool -k` output of several interfaces into iface → feature → {on, fixed}. */
export function parseOffloads(stdout: string): Record<string, Record<string, {on: boolean; fixed: boolean}>> {
  const out: Record<string, Record<string, {on: boolean; fixed: boolean}>> = {}
  let cur: Record<string, {on: boolean; fixed: boolean}> | undefined
  for (const line of stdout.split('\n')) {
    const head = /^== (.+)$/.exec(line)
    if (head) {
      cur = out[head[1]] = {}
      continue
    }
    const m = /^\s*([a-z0-9-]+):\s+(on|off)(\s+\[fixed\])?/.exec(line)
    if (m && cur) cur[m[1]] = {on: m[2] === 'on', fixed: Boolean(m[3])}
  }
  return out
}

/**
 * GRO/LRO off where LVS forwards (merged frames above the MTU are dropped by IPVS). A feature the driver reports
 * as "[fixed]" cannot change: that is reported, not a failure. Persistence across reboots is the rendered
 * lbctl-tuning unit.
 */
export const ethtool: Module<Args> = {
  name: 'ethtool',
  effects: () => ({reads: ['nic'], writes: ['nic']}),
  args,
  probe(a, ctx) {
    return script(PROBE, a.interfaces ?? ctx.host.tuning.ethtool.interfaces)
  },
  plan(a, probe, ctx): Plan {
    const ifaces = a.interfaces ?? ctx.host.tuning.ethtool.interfaces
    const want = {gro: a.gro ?? ctx.host.tuning.ethtool.gro, lro: a.lro ?? ctx.host.tuning.ethtool.lro}
    if (ifaces.length === 0 || (want.gro === undefined && want.lro === undefined)) return ok('no offloads to set on this host')
    if (!probe || probe.code !== 0) return failed(probe?.stderr.trim() || 'ethtool -k failed')
    const live = parseOffloads(probe.stdout)
    const steps: Step[] = []
    const notes: string[] = []
    for (const iface of ifaces) {
      const changes: string[] = []
      for (const key of ['gro', 'lro'] as const) {
        const w = want[key]
        const f = live[iface]?.[FEATURE[key]]
        if (w === undefined || !f || f.on === w) continue
        if (f.fixed) notes.push(`${iface} ${key} ${f.on ? 'on' : 'off'} [fixed]`)
        else changes.push(key, w ? 'on' : 'off')
      }
      if (changes.length) steps.push({label: `ethtool -K ${iface}`, command: cmd`ethtool -K ${iface} ${changes}`})
    }
    const msg = [steps.map((s) => s.label).join(', '), notes.length ? `cannot change: ${notes.join(', ')}` : ''].filter(Boolean).join('; ')
    return steps.length ? {status: 'changed', message: msg, steps} : ok(msg || 'offloads already as wanted')
  },
}
