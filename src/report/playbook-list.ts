import type {Host} from '../inventory/model.js'
import type {Playbook, Task} from '../playbook/schema.js'

/** --list-hosts: each play and the hosts it would run on (after --limit), like ansible-playbook --list-hosts. */
/** What a play's `cluster:` means, for the listings. */
const onlyWhen = (c: 'new' | 'serving' | undefined) => (c === 'new' ? ', only on a new cluster (no VIP served)' : c === 'serving' ? ', only while a VIP is served' : '')

export function listHostsText(file: string, plays: {name: string; hosts: Host[]; cluster?: 'new' | 'serving'}[]): string {
  const lines = [`playbook: ${file}`]
  plays.forEach((p, i) => lines.push('', `  play #${i + 1} (${p.name}): ${p.hosts.length} host(s)${onlyWhen(p.cluster)}`, ...p.hosts.map((h) => `    ${h.name}`)))
  return lines.join('\n')
}

const describe = (t: Partial<Task> & {name: string; module: string}) =>
  [t.name, `[${t.module}]`, t.when ? `when: ${t.when}` : '', t.notify ? `notify: ${Array.isArray(t.notify) ? t.notify.join(', ') : t.notify}` : ''].filter(Boolean).join('  ')

/** --list-tasks: each play's tasks, handlers and post-tasks in the order they run. */
export function listTasksText(file: string, pb: Playbook): string {
  const lines = [`playbook: ${file}`]
  pb.plays.forEach((p, i) => {
    lines.push('', `  play #${i + 1} (${p.name}): hosts ${Array.isArray(p.hosts) ? p.hosts.join(', ') : p.hosts}${p.serial ? `, serial ${p.serial}` : ''}${onlyWhen(p.cluster)}${p.with_previous ? ', alongside the play before it' : ''}`)
    for (const t of p.tasks) lines.push(`    ${describe(t)}`)
    for (const [name, h] of Object.entries(p.handlers ?? {})) lines.push(`    handler ${name}: ${describe(h)}`)
    for (const t of p.post_tasks ?? []) lines.push(`    ${describe(t)}`)
  })
  return lines.join('\n')
}
