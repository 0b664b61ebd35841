import {z} from 'zod'
import {script} from '../shell/index.js'
import {installStep} from './install.js'
import {fileDiff, parseFileProbe, sha256} from './template.js'
import {PROBE_FILES} from './scripts.js'
import {failed, ok, type Module} from './types.js'

const args = z.strictObject({
  path: z.string().regex(/^\/[^\0\n]*$/, {message: 'must be an absolute path'}),
  content: z.string(),
  mode: z.string().regex(/^0?[0-7]{3}$/, {message: 'must be an octal mode like "0644"'}).optional(),
  validate: z.enum(['keepalived', 'haproxy', 'shell', 'none']).optional(),
  service: z.string().optional().describe('Handler to notify (with notify: auto) when the file changes.'),
})
type Args = z.infer<typeof args>

/** A file given in the playbook itself, installed like a rendered one: validated, journaled, renamed into place. */
export const file: Module<Args> = {
  name: 'file',
  args,
  probe: (a, ctx) => script(PROBE_FILES, ctx.diff ? '1' : '0', a.path),
  plan(a, probe, ctx) {
    if (!probe || probe.code !== 0) return failed(`cannot read ${a.path}: ${probe?.stderr.trim() || 'no answer'}`)
    const [state] = parseFileProbe(probe.stdout, [a.path])
    const mode = parseInt(a.mode ?? '0644', 8)
    if (state.sha256 === sha256(a.content) && state.mode === mode.toString(8)) return ok(`${a.path} up to date`)
    return {
      status: 'changed',
      message: `${a.path} ${state.sha256 ? 'differs' : 'is new'}`,
      steps: [installStep(ctx, [{path: a.path, mode, validate: a.validate ?? 'none', content: a.content}], a.service ? [a.service] : [])],
      diffs: ctx.diff ? [fileDiff(a.path, state.content, a.content, ctx.cluster.secrets)] : undefined,
      changedPaths: [a.path],
      services: a.service ? [a.service] : [],
    }
  },
}
