import {writeSync} from 'node:fs'
import {Errors, Flags} from '@oclif/core'
import {Interrupt} from '../playbook/interrupt.js'
import type {Renderer} from '../playbook/runner.js'

/** The Ansible/OpenSSH flags every playbook-running command shares. */
export const runFlags = {
  check: Flags.boolean({description: 'Change nothing on any host; report what would change'}),
  diff: Flags.boolean({description: 'Show a unified diff of every file that changes (secrets masked)'}),
  'detailed-exitcode': Flags.boolean({dependsOn: ['check'], description: 'With --check, for cron and CI drift checks: exit 0 when nothing would change, 2 when changes are pending, 1 on any error (130 on Ctrl-C)'}),
  limit: Flags.string({description: 'Only these hosts/groups, comma-separated; !name excludes (like Ansible --limit)'}),
  forks: Flags.integer({description: 'Hosts worked on at once (default: inventory deploy.forks, else 20)', min: 1}),
  'accept-new': Flags.boolean({description: 'Record unknown host keys in known_hosts (changed keys are still refused), like StrictHostKeyChecking=accept-new'}),
  'known-hosts': Flags.string({description: 'known_hosts file for every host (default: each host\'s ssh.known_hosts, else ~/.ssh/known_hosts)'}),
  'break-lock': Flags.boolean({description: 'Take over a deploy lock left by a run that is gone'}),
  json: Flags.boolean({description: 'Print the result as JSON on stdout (per host, per task; schema_version 1); progress stays on stderr'}),
  verbose: Flags.boolean({char: 'v', description: 'After the run, print every command task\'s rc, stdout and stderr'}),
  'syntax-check': Flags.boolean({description: 'Check the playbook whole against the inventory (modules, args, expressions, hosts) and exit; no host is contacted'}),
  'list-hosts': Flags.boolean({description: 'Print the hosts each play would run on (after --limit) and exit; no host is contacted'}),
  'list-tasks': Flags.boolean({description: 'Print each play\'s tasks, handlers and post-tasks and exit; no host is contacted'}),
  'start-at-task': Flags.string({description: 'Start at the first task of this name (the plays and tasks before it are left out)'}),
}

export interface RunFlagValues {
  check: boolean
  diff: boolean
  'detailed-exitcode': boolean
  limit?: string
  forks?: number
  'accept-new': boolean
  'known-hosts'?: string
  'break-lock': boolean
  json: boolean
  verbose: boolean
  'syntax-check': boolean
  'list-hosts': boolean
  'list-tasks': boolean
  'start-at-task'?: string
}

/**
 * The live tree when stderr is a terminal; otherwise (a pipe, a file, CI, TERM=dumb) one line per finished step.
 * Either way on stderr: stdout is for data.
 */
export function progressMode(env: NodeJS.ProcessEnv = process.env, tty = Boolean(process.stderr.isTTY)): Exclude<Renderer, 'silent'> {
  return tty && !env.CI && env.TERM !== 'dumb' ? 'tree' : 'lines'
}

/**
 * Ctrl-C (or SIGTERM) during a run: the first stops it starting new work, lets the step in flight finish and
 * releases every lock (the run then ends with outcome "interrupted", exit 130); a second exits at once and names
 * the hosts whose lock stays behind.
 */
export async function interruptible<T>(work: (interrupt: Interrupt) => Promise<T>): Promise<T> {
  const interrupt = new Interrupt()
  const onSignal = () => {
    if (interrupt.signal.aborted) {
      const held = interrupt.locksHeld()
      // Straight to fd 2, under whatever the live tree drew last: the process ends on the next line.
      writeSync(
        2,
        held.length
          ? `\nsecond interrupt: exiting now; the deploy lock stays on ${held.join(', ')} (the next run reports it as stale; --break-lock takes it over)\n`
          : '\nsecond interrupt: exiting now; no lock is held\n',
      )
      process.exit(130)
    }
    interrupt.say('\ninterrupted: finishing the step in flight, then releasing every lock (interrupt again to exit at once)')
    interrupt.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await work(interrupt)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/**
 * oclif exits 2 on an argument it cannot parse (a mistyped flag, a missing argument). Where 2 means something else —
 * "changes pending" under --detailed-exitcode, CRITICAL for status as a monitoring check — that exit code would be a
 * lie a cron job or a monitoring system acts on: such an error gets `code` instead (1 like Terraform's, 3 UNKNOWN).
 * Call from a command's catch(); every other error passes through as it is.
 */
export function argumentErrorExit(error: unknown, code: number): void {
  const e = error as Errors.CLIError
  if (e instanceof Errors.CLIError && e.code !== 'EEXIT' && e.oclif?.exit === 2) e.oclif.exit = code
}
