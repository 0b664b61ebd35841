import {z} from 'zod'
import {drainPlan, drainedFile, readDrainedCommand, reapplyCommand} from '../drain/index.js'
import {cmd} from '../shell/index.js'
import {sections} from '../status/probe.js'
import {failed, ok, type Module, type Plan} from './types.js'

const args = z.strictObject({})

/**
 * Servers drained with `lbctl drain` stay drained across a deploy or rollback: neither HAProxy's configuration nor
 * keepalived's knows about drains, so a reload puts them back in service; this re-applies the director's list
 * (STATE/drained) right after. It runs at its turn, not from a probe read before the play: the state it must see is
 * the one after the reload (its first look settles it only when the list was empty and nothing reloaded since).
 * Names the inventory no longer has leave the list.
 */
export const drains: Module<z.infer<typeof args>> = {
  name: 'drains',
  args,
  // No drained server when the play began, and nothing reloaded or rewritten since: nothing to re-apply.
  firstLook: (_a, ctx) => ({
    probe: cmd`echo '@@ drained'; ${readDrainedCommand(ctx.cluster.deploy.stateDir)}`,
    reads: ['service', 'file'],
    settle: (r) => (r.code === 0 && (sections(r.stdout).get('drained') ?? '').trim() === '' ? ok('no drained server') : undefined),
  }),
  async run(_a, ctx, io): Promise<Plan> {
    const state = ctx.cluster.deploy.stateDir
    const r = await io.exec(cmd`echo '@@ drained'; ${readDrainedCommand(state)}`)
    const s = sections(r.stdout)
    const listed = (s.get('drained') ?? '').split('\n').map((l) => l.trim()).filter(Boolean)
    if (listed.length === 0) return ok('no drained server')
    const known = listed.filter((n) => !('problems' in drainPlan(ctx.cluster, [n])))
    const gone = listed.filter((n) => !known.includes(n))
    const done: string[] = []
    if (gone.length) {
      const file = drainedFile(state)
      if (!ctx.check) await io.exec(cmd`grep -vxF ${gone.flatMap((n) => ['-e', n])} ${file} > ${`${file}.new`}; mv -f ${`${file}.new`} ${file}`)
      done.push(`forgot ${gone.join(', ')} (no longer in the inventory)`)
    }
    const plan = known.length ? drainPlan(ctx.cluster, known) : undefined
    if (plan && !('problems' in plan) && !ctx.check) {
      const a = await io.exec(reapplyCommand(plan, known, state, Boolean(ctx.cluster.haproxy)))
      if (a.code !== 0) return failed(`cannot drain ${known.join(', ')} again: ${a.stderr.trim() || `exit ${a.code}`}`)
      if (a.stdout.trim() === 'applied') done.push(`drained ${known.join(', ')} again`)
    }
    return done.length ? {status: 'changed', message: done.join('; '), steps: []} : ok(`${known.join(', ')} drained`)
  },
}
