import {z} from 'zod'
import {cmd, raw} from '../shell/index.js'
import {failed, ok, type Module} from './types.js'

const args = z.strictObject({values: z.record(z.string(), z.union([z.string(), z.number()])).optional()})
type Args = z.infer<typeof args>

const PROBE = raw`for k in "$@"; do v=$(sysctl -n "$k" 2>/dev/null) || v='<missing>'; printf '%s=%s\n' "$k" "$v"; done`

function desired(a: Args, sysctls: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(a.values ?? sysctls).map(([k, v]) => [k, String(v)]))
}

// sysctl -n separates multi-value keys (e.g. ip_local_port_range) with tabs; compare words, not whitespace.
const norm = (v: string) => v.trim().split(/\s+/).join(' ')

/** Runtime values; the persistent drop-in under /etc/sysctl.d is a rendered file (template module). */
export const sysctl: Module<Args> = {
  name: 'sysctl',
  args,
  probe(a, ctx) {
    return cmd`sh -c ${PROBE.text} lbctl ${Object.keys(desired(a, ctx.host.tuning.sysctls))}`
  },
  plan(a, probe, ctx) {
    const want = desired(a, ctx.host.tuning.sysctls)
    if (Object.keys(want).length === 0) return ok('no sysctls for this host')
    if (!probe || probe.code !== 0) return failed(`cannot read sysctls: ${probe?.stderr.trim() || 'no answer'}`)
    const live = Object.fromEntries(probe.stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
    const missing = Object.keys(want).filter((k) => live[k] === '<missing>')
    if (missing.length) return failed(`this kernel has no sysctl ${missing.join(', ')}`)
    const change = Object.keys(want).filter((k) => norm(live[k] ?? '') !== norm(want[k]))
    if (change.length === 0) return ok(`${Object.keys(want).length} sysctl(s) already set`)
    return {
      status: 'changed',
      message: change.map((k) => `${k}: ${norm(live[k] ?? '')} → ${want[k]}`).join(', '),
      steps: [{label: 'sysctl -w', command: cmd`sysctl -q -w ${change.map((k) => `${k}=${want[k]}`)}`}],
    }
  },
}
