import {z} from 'zod'
import {applyCommand, drainPlan, drainedFile, observeCommand, parseIpvsList, readDrainedCommand} from '../drain/index.js'
import {cmd} from '../shell/index.js'
import {sections} from '../status/probe.js'
import {parseShowStat} from '../status/parse.js'
import {ok, type Module, type Step} from './types.js'

const args = z.strictObject({})

/**
 * Servers drained with `lbctl drain` stay drained across a deploy or rollback: neither HAProxy's configuration nor
 * keepalived's knows about drains, so a reload puts them back in service; this re-applies the director's list
 * (STATE/drained) right after. Names the inventory no longer has leave the list.
 */
export const drains: Module<z.infer<typeof args>> = {
  name: 'drains',
  args,
  probe: (_a, ctx) => cmd`echo '@@ drained'; ${readDrainedCommand(ctx.cluster.deploy.stateDir)}; ${observeCommand(Boolean(ctx.cluster.haproxy), ctx.cluster.virtualServices.length > 0)}`,
  plan(_a, probe, ctx) {
    const s = sections(probe?.stdout ?? '')
    const listed = (s.get('drained') ?? '').split('\n').map((l) => l.trim()).filter(Boolean)
    if (listed.length === 0) return ok('no drained server')
    const known = listed.filter((n) => !('problems' in drainPlan(ctx.cluster, [n])))
    const gone = listed.filter((n) => !known.includes(n))
    const steps: Step[] = []
    const file = drainedFile(ctx.cluster.deploy.stateDir)
    if (gone.length) steps.push({label: `forget drained ${gone.join(', ')} (no longer in the inventory)`, command: cmd`grep -vxF ${gone.flatMap((n) => ['-e', n])} ${file} > ${`${file}.new`}; mv -f ${`${file}.new`} ${file}`})
    if (known.length) {
      const plan = drainPlan(ctx.cluster, known)
      if (!('problems' in plan)) {
        const servers = parseShowStat(s.get('show stat') ?? '')
        const lvs = parseIpvsList(s.get('ipvs') ?? '')
        const undone = [
          ...plan.haproxy.filter((t) => !/^DRAIN/.test(servers.find((x) => x.backend === t.backend && x.server === t.server)?.status ?? '')).map((t) => t.of),
          ...plan.lvs.filter((t) => (lvs.get(`${t.service} ${t.real}`)?.[0] ?? 0) !== 0).map((t) => t.of),
        ]
        if (undone.length) steps.push({label: `drain ${[...new Set(undone)].join(', ')} again`, command: applyCommand(plan, known, true, ctx.cluster.deploy.stateDir, Boolean(ctx.cluster.haproxy))})
      }
    }
    if (steps.length === 0) return ok(`${known.join(', ')} drained`)
    return {status: 'changed', message: steps.map((x) => x.label).join('; '), steps}
  },
}
