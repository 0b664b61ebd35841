import type {Command} from '@oclif/core'
import {InventoryError, formatProblem, sortProblems, type Problem} from '../inventory/index.js'
import type {Cluster} from '../inventory/model.js'
import {sshConnect} from '../playbook/connect.js'
import {loadPlaybook} from '../playbook/load.js'
import {deployDecision, rollbackDecision, type DecideRelease} from '../playbook/releases.js'
import {EXIT_CODES, runPlaybook, type RunResult} from '../playbook/runner.js'
import type {Playbook} from '../playbook/schema.js'
import {playTargets, startAtTask} from '../playbook/targets.js'
import {listHostsText, listTasksText} from '../report/playbook-list.js'
import {runLog} from '../report/run-log.js'
import {jsonText} from '../report/json.js'
import {commandOutputText, diffText, runJson, summaryText} from '../report/run-view.js'
import {loadOrExit} from './inventory.js'
import {interruptible, progressMode, type RunFlagValues} from './run-flags.js'

export interface RunCommandRequest {
  /** Playbook name or path. */
  playbook: string
  inventory: string
  /** deploy, rollback, run NAME: for the lock holder and the verdict. */
  command: string
  flags: RunFlagValues
  rollback?: {to?: string; force: boolean}
}

/**
 * deploy, rollback and run: everything that can be wrong with the request — inventory, playbook, --limit,
 * --start-at-task, --to — is found and reported (exit 2) before any host is contacted; then the run, its data on
 * stdout, and the exit code of the README's table.
 */
export async function runCommand(cmd: Command, req: RunCommandRequest): Promise<void> {
  const {flags} = req
  // Under --detailed-exitcode 2 means "changes pending"; an invalid request is then an error like any other.
  const invalid = flags['detailed-exitcode'] ? 1 : 2
  const {cluster} = loadOrExit(cmd, req.inventory, flags.json, invalid)
  const refuse = (problems: Problem[]): never => {
    if (flags.json) cmd.log(jsonText({ok: false, problems: sortProblems(problems)}))
    else process.stderr.write(`${sortProblems(problems).map(formatProblem).join('\n')}\n${problems.length} problem(s) found; nothing was changed.\n`)
    return cmd.exit(invalid)
  }
  const argument = (flag: string, message: string): never => {
    if (flags.json) cmd.log(jsonText({ok: false, problems: [{path: `--${flag}`, message}]}))
    else process.stderr.write(`--${flag}: ${message}; nothing was changed.\n`)
    return cmd.exit(invalid)
  }

  let playbook: Playbook
  let file: string
  try {
    ;({playbook, file} = loadPlaybook(req.playbook, cluster))
  } catch (error) {
    if (error instanceof InventoryError) return refuse(error.problems)
    throw error
  }
  if (flags['start-at-task']) {
    const from = startAtTask(playbook, flags['start-at-task'])
    if (!from) return argument('start-at-task', `no task named "${flags['start-at-task']}" in ${file}`)
    playbook = from
  }
  let plays: ReturnType<typeof playTargets>
  try {
    plays = playTargets(cluster, playbook, flags.limit)
  } catch (error) {
    return argument('limit', (error as Error).message.replace(/^--limit: /, ''))
  }
  if (flags.limit && plays.every((p) => p.hosts.length === 0)) {
    return argument('limit', `"${flags.limit}" matches no host that ${file} runs on (${[...new Set(playTargets(cluster, playbook, undefined).flatMap((p) => p.hosts.map((h) => h.name)))].join(', ')})`)
  }
  if (req.rollback?.to !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(req.rollback.to)) return argument('to', `"${req.rollback.to}" is not a release ID (like r12-1a2b3c4d; see lbctl releases)`)

  if (flags['syntax-check'] || flags['list-hosts'] || flags['list-tasks']) return listOnly(cmd, flags, file, playbook, plays)

  const decideRelease: DecideRelease = req.rollback ? rollbackDecision(req.rollback.to, req.rollback.force) : deployDecision(cluster)
  const mode = progressMode()
  const run = await interruptible((interrupt) =>
    runPlaybook({
      cluster,
      playbook,
      command: req.command,
      decideRelease,
      check: flags.check,
      diff: flags.diff,
      limit: flags.limit,
      forks: flags.forks,
      breakLock: flags['break-lock'],
      renderer: mode,
      listen: mode === 'lines' ? runLog(process.stderr) : undefined,
      interrupt,
      connect: connector(cluster, flags),
    }),
  )
  finishRun(cmd, run, flags, req.rollback ? {target: run.releaseId || undefined} : {})
}

function connector(cluster: Cluster, flags: RunFlagValues) {
  return sshConnect({acceptNew: flags['accept-new'], forks: flags.forks ?? cluster.deploy.forks, knownHosts: flags['known-hosts']})
}

function listOnly(cmd: Command, flags: RunFlagValues, file: string, playbook: Playbook, plays: ReturnType<typeof playTargets>): void {
  if (flags['list-hosts']) cmd.log(listHostsText(file, plays))
  if (flags['list-tasks']) cmd.log(listTasksText(file, playbook))
  if (flags['syntax-check']) {
    const tasks = playbook.plays.reduce((n, p) => n + p.tasks.length + (p.post_tasks?.length ?? 0), 0)
    cmd.log(`ok   ${file}: ${playbook.plays.length} play(s), ${tasks} task(s); no host contacted`)
  }
}

/** The run's data on stdout (diff, command output, recap and verdict, or JSON), then its exit code. */
export function finishRun(cmd: Command, run: RunResult, flags: RunFlagValues, extra: Record<string, unknown> = {}): void {
  if (flags.json) cmd.log(runJson(run, extra))
  else {
    const diff = flags.diff ? diffText(run.results) : ''
    const output = flags.verbose ? commandOutputText(run.results) : ''
    cmd.log([diff, output, summaryText(run)].filter(Boolean).join('\n\n'))
  }
  const code = exitCode(run, flags['detailed-exitcode'])
  if (code !== 0) cmd.exit(code)
}

/** The README's table; with --detailed-exitcode (a --check), Terraform's: 0 in sync, 2 changes pending, 1 any error. */
export function exitCode(run: Pick<RunResult, 'outcome' | 'hosts'>, detailed: boolean): number {
  if (!detailed || run.outcome === 'interrupted') return EXIT_CODES[run.outcome]
  if (run.outcome !== 'ok') return 1
  return Object.values(run.hosts).some((h) => h.changed > 0) ? 2 : 0
}
