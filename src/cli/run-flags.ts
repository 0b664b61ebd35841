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

/** Prints a run the way the user asked and exits with its code (0 ok, 1 a task failed, 3 refused, 4 unreachable). */
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
