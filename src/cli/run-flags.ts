import {Command, Flags} from '@oclif/core'
import type {Cluster} from '../inventory/model.js'
import {sshConnect} from '../playbook/connect.js'
import type {RunRequest} from '../playbook/index.js'
import {EXIT_CODES, type Renderer, type RunResult} from '../playbook/runner.js'
import {diffText, runJson, summaryText} from '../report/run-view.js'

/** The Ansible/OpenSSH flags every playbook-running command shares. */
export const runFlags = {
  check: Flags.boolean({description: 'Change nothing on any host; report what would change'}),
  diff: Flags.boolean({description: 'Show a unified diff of every file that changes (secrets masked)'}),
  limit: Flags.string({description: 'Only these hosts/groups, comma-separated; !name excludes (like Ansible --limit)'}),
  forks: Flags.integer({description: 'Hosts worked on at once (default: inventory deploy.forks, else 20)', min: 1}),
  'accept-new': Flags.boolean({description: 'Record unknown host keys in known_hosts (changed keys are still refused), like StrictHostKeyChecking=accept-new'}),
  'known-hosts': Flags.string({description: 'known_hosts file for every host (default: each host\'s ssh.known_hosts, else ~/.ssh/known_hosts)'}),
  'break-lock': Flags.boolean({description: 'Take over a deploy lock left by a run that is gone'}),
  json: Flags.boolean({description: 'Print a machine-readable summary (per host, per task) instead of progress'}),
}

export interface RunFlagValues {
  check: boolean
  diff: boolean
  limit?: string
  forks?: number
  'accept-new': boolean
  'known-hosts'?: string
  'break-lock': boolean
  json: boolean
}

/** listr2's live renderer on a terminal; plain lines in CI or a pipe; nothing when --json owns stdout. */
export function rendererFor(flags: RunFlagValues): Renderer {
  if (flags.json) return 'silent'
  return process.stdout.isTTY && !process.env.CI ? 'default' : 'simple'
}

/** What the playbook engine needs from the shared flags: the same for deploy, rollback and run. */
export function runRequest(cluster: Cluster, flags: RunFlagValues): RunRequest {
  return {
    check: flags.check,
    diff: flags.diff,
    limit: flags.limit,
    forks: flags.forks,
    breakLock: flags['break-lock'],
    renderer: rendererFor(flags),
    connect: sshConnect({acceptNew: flags['accept-new'], forks: flags.forks ?? cluster.deploy.forks, knownHosts: flags['known-hosts']}),
  }
}

/**
 * Ctrl-C (or SIGTERM) during a run: the first stops it starting new work, lets the step in flight finish and
 * releases every lock (the run then ends with outcome "interrupted", exit 130); a second exits at once, and says the
 * locks may stay behind.
 */
export async function interruptible<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const onSignal = () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nsecond interrupt: exiting now; locks may be left on the hosts (the next run reports them; --break-lock takes them over)\n')
      process.exit(130)
    }
    process.stderr.write('\ninterrupted: finishing the step in flight, then releasing every lock (interrupt again to exit at once)\n')
    controller.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    return await work(controller.signal)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** Prints a run the way the user asked and exits with its code (0 ok, 1 a task failed, 3 refused, 4 unreachable, 130 interrupted). */
export function finishRun(cmd: Command, run: RunResult, flags: RunFlagValues, extra: Record<string, unknown> = {}): void {
  if (flags.json) cmd.log(runJson(run, extra))
  else {
    if (flags.diff) {
      const d = diffText(run.results)
      if (d) cmd.log(d)
    }
    cmd.log(summaryText(run))
  }
  if (run.outcome !== 'ok') cmd.exit(EXIT_CODES[run.outcome])
}
