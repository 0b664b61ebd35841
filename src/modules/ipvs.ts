import {z} from 'zod'
import {PATHS} from '../render/paths.js'
import {cmd, raw} from '../shell/index.js'
import {failed, ok, type Module, type Step} from './types.js'

const args = z.strictObject({})

interface Table {
  /** service key ("-t 10.0.0.100:80") → options ("-s wlc -p 600") */
  services: Map<string, string>
  /** service key → real key ("-r 10.0.0.21:80") → options ("-g -w 1") */
  reals: Map<string, Map<string, string>>
}

/** Parses ipvsadm restore format, as printed by `ipvsadm -Sn` and as lbctl renders ipvsadm.rules. */
export function parseIpvsRules(text: string): Table {
  const t: Table = {services: new Map(), reals: new Map()}
  for (const line of text.split('\n').map((l) => l.trim())) {
    const w = line.split(/\s+/)
    if (w[0] === '-A') {
      const key = `${w[1]} ${w[2]}`
      t.services.set(key, w.slice(3).join(' '))
      if (!t.reals.has(key)) t.reals.set(key, new Map())
    } else if (w[0] === '-a') {
      const key = `${w[1]} ${w[2]}`
      if (!t.reals.has(key)) t.reals.set(key, new Map())
      t.reals.get(key)!.set(`${w[3]} ${w[4]}`, w.slice(5).join(' '))
    }
  }
  return t
}

/**
 * ipvsadm argument lists that turn the live table into the desired one. Edits in place (-E/-e) and deletes only
 * what is not wanted: never a flush, so connections on a serving director keep their real servers.
 */
export function ipvsChanges(live: Table, want: Table): string[][] {
  const out: string[][] = []
  const words = (s: string) => s.split(' ').filter(Boolean)
  for (const [svc, opts] of want.services) {
    const cur = live.services.get(svc)
    if (cur === undefined) out.push(['-A', ...words(svc), ...words(opts)])
    else if (cur !== opts) out.push(['-E', ...words(svc), ...words(opts)])
    const liveReals = live.reals.get(svc) ?? new Map<string, string>()
    for (const [rs, ropts] of want.reals.get(svc) ?? []) {
      const c = liveReals.get(rs)
      if (c === undefined) out.push(['-a', ...words(svc), ...words(rs), ...words(ropts)])
      else if (c !== ropts) out.push(['-e', ...words(svc), ...words(rs), ...words(ropts)])
    }
    for (const rs of liveReals.keys()) if (!want.reals.get(svc)?.has(rs)) out.push(['-d', ...words(svc), ...words(rs)])
  }
  for (const svc of live.services.keys()) if (!want.services.has(svc)) out.push(['-D', ...words(svc)])
  return out
}

const PROBE = raw`command -v ipvsadm >/dev/null || { echo 'ipvsadm is not installed' >&2; exit 127; }
ipvsadm -Sn`

/** Brings the live IPVS table to the rendered ipvsadm.rules by diff (for clusters where keepalived does not). */
export const ipvs: Module<z.infer<typeof args>> = {
  name: 'ipvs',
  args,
  probe: () => PROBE,
  plan(_a, probe, ctx) {
    const rules = ctx.files.find((f) => f.path === PATHS.ipvsadmRules)
    if (!rules) return ok('no LVS virtual services on this host')
    if (!probe || probe.code !== 0) {
      const why = probe?.stderr.trim() ?? 'no answer'
      if (/Protocol not available|Can't initialize ipvs/.test(why)) {
        return failed(`this kernel has no IPVS (ipvsadm: ${why}); CONFIG_IP_VS is unset or the ip_vs module cannot load, so LVS cannot forward on this host`)
      }
      return failed(`cannot read the IPVS table: ${why}`)
    }
    const changes = ipvsChanges(parseIpvsRules(probe.stdout), parseIpvsRules(rules.content))
    if (changes.length === 0) return ok('IPVS table matches')
    const steps: Step[] = changes.map((argv) => ({label: `ipvsadm ${argv.join(' ')}`, command: cmd`ipvsadm ${argv}`}))
    return {status: 'changed', message: `${steps.length} IPVS change(s)`, steps}
  },
}
