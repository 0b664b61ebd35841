import {z} from 'zod'

const taskName = z.string().min(1).regex(/^[^\n\r]*$/)

export const task = z
  .strictObject({
    name: taskName.describe('What the step does, as shown in progress and summaries.'),
    module: z.string().regex(/^[a-z_]+$/).describe('Module to run: package, template, file, sysctl, service, ethtool, ipvs, realserver, release, command, wait_for, lock…'),
    args: z.record(z.string(), z.unknown()).optional().describe('Module arguments (each module validates its own).'),
    when: z.string().optional().describe('Run only when this expression is true, e.g. "haproxy and not lvs", "vars.canary == true".'),
    notify: z.union([z.literal('auto'), z.array(z.string())]).optional()
      .describe('Handlers to run (once, after the play\'s tasks on that host) when this task changed something; "auto" = the services owning the changed files.'),
    ignore_errors: z.boolean().optional(),
    changed_when: z.union([z.string(), z.boolean()]).optional().describe('command: changed only when this is true, e.g. "false" for a read-only command, "\'restarted\' in stdout"; reads rc, stdout, stderr and the when-names.'),
    failed_when: z.union([z.string(), z.boolean()]).optional().describe('command: failed when this is true (default: rc != 0), e.g. "rc != 0 and rc != 3".'),
  })
  .describe('One step of a play on each of its hosts.')

export const play = z
  .strictObject({
    name: taskName,
    hosts: z.union([z.string(), z.array(z.string())]).describe('Groups or host names: all, directors, real_servers, managed_real_servers, backup_directors, master_directors, clients, a custom group, or a host.'),
    serial: z.number().int().min(0).optional().describe('Hosts per batch (0 = all, bounded by --forks). A failed batch stops the run.'),
    cluster: z.enum(['new', 'serving']).optional()
      .describe('Run this play only on a new cluster (no director holds any VIP of any instance) or only while some VIP is served; decided once per run, when connecting, from every director\'s addresses.'),
    with_previous: z.boolean().optional()
      .describe('Start together with the play that runs before it (the one this run does not skip) instead of after it, when the two share no host and this one runs in one batch: e.g. a new cluster\'s directors alongside its real servers. A failure in either stops the run after both.'),
    tasks: z.array(task).min(1),
    handlers: z.record(z.string(), task.omit({notify: true})).optional().describe('Tasks run only when notified, after the play\'s tasks.'),
    post_tasks: z.array(task.omit({notify: true})).optional().describe('Tasks run after the handlers, e.g. health checks that gate the next batch.'),
  })
  .describe('Tasks applied to a set of hosts, in batches.')

export const playbook = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
    description: z.string().optional(),
    lock: z.boolean().optional().describe('Take the per-host deploy lock on every targeted host first (default true).'),
    plays: z.array(play).min(1),
  })
  .describe('An lbctl playbook: plays run in order; a failed play stops the run.')

export type Playbook = z.infer<typeof playbook>
export type Play = z.infer<typeof play>
export type Task = z.infer<typeof task>
