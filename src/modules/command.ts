import {z} from 'zod'
import {cmd} from '../shell/index.js'
import {ok, type Module} from './types.js'

const args = z.strictObject({
  cmd: z.string().min(1).describe('A shell command line, run with sh -c.'),
  creates: z.string().optional().describe('Skip when this path exists (like Ansible).'),
})
type Args = z.infer<typeof args>

/** An operator's own command from a playbook: it is shell by intent, so it goes to `sh -c` as one quoted word. */
export const command: Module<Args> = {
  name: 'command',
  args,
  probe: (a) => (a.creates ? cmd`[ -e ${a.creates} ] && echo exists || echo absent` : cmd`echo absent`),
  plan(a, probe) {
    if (a.creates && probe?.stdout.trim() === 'exists') return ok(`${a.creates} exists`)
    return {status: 'changed', message: a.cmd, steps: [{label: a.cmd, command: cmd`sh -c ${a.cmd}`, output: true}]}
  },
}
