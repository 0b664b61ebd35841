import {identityFileOf, knownHostsOf} from './inventory.js'
import {findInit, pidsByNetns} from './network.js'
import {type LabHostPlan, type LabPlan, checkLabName, stateDirOf} from './plan.js'
import {LabArgumentError, LabError, type RunResult, run} from './run.js'
import {quote} from './sh.js'
import {readState} from './state.js'
import {planFromState} from './status.js'

export async function loadPlan(labName: string): Promise<LabPlan> {
  checkLabName(labName)
  const state = await readState(stateDirOf(labName))
  if (!state) throw new LabError(`lab "${labName}" is not up (no ${stateDirOf(labName)}/lab.json); start it with: lbctl lab up --name ${labName}`)
  return planFromState(state)
}

export async function findHost(labName: string, host: string): Promise<{plan: LabPlan; host: LabHostPlan}> {
  const plan = await loadPlan(labName)
  const h = plan.hosts.find((x) => x.name === host || x.address === host)
  if (!h) throw new LabArgumentError(`lab "${labName}" has no host "${host}" (hosts: ${plan.hosts.map((x) => x.name).join(', ')})`)
  return {plan, host: h}
}

/**
 * Run argv inside a lab host without ssh: nsenter into its init's network, mount, PID and UTS namespaces, so the
 * command sees what an ssh session on that host sees. A command that leaves a background process must redirect its
 * output (`… >/dev/null 2>&1 &`), or this waits for that process to close the pipes.
 */
export async function labExec(labName: string, host: string, argv: readonly string[], opts: {input?: string; timeoutMs?: number} = {}): Promise<RunResult> {
  const {host: h} = await findHost(labName, host)
  // A VM has no namespaces to enter from here: its own sshd it is (each word quoted, see remoteCommand).
  if (h.vm) return run(await labSshArgv(labName, host, [argv.map((w) => quote(w)).join(' ')]), {timeoutMs: 60_000, ...opts})
  const pids = (await pidsByNetns([h.netns])).get(h.netns) ?? []
  const init = await findInit(pids)
  if (init === undefined) throw new LabError(`lab host ${h.name} is not running; repair it with: lbctl lab up --name ${labName}`)
  return run(['nsenter', '-t', String(init), '-n', '-m', '-p', '-u', '--', ...argv], opts)
}

/**
 * One word is a shell command line, as with ssh (`lab ssh lb1 -- 'ps ax | grep keepalived'`); several words are an
 * argv, each quoted, so `curl -H 'X-Forwarded-For: 1.2.3.4' URL` arrives as typed (plain ssh would split the header).
 */
export function remoteCommand(command: readonly string[]): string | undefined {
  if (command.length === 0) return undefined
  return command.length === 1 ? command[0] : command.map((w) => quote(w)).join(' ')
}

/**
 * The system ssh's argv to reach a lab host as root with the lab key, verifying its host key against the lab's
 * known_hosts exactly as for production. -F /dev/null: the user's ~/.ssh/config (a ProxyJump for 198.18.*, a
 * ControlMaster whose socket outlived an earlier lab) must not change where this connects.
 */
export async function labSshArgv(labName: string, host: string, command: readonly string[] = [], opts: {tty?: boolean} = {}): Promise<string[]> {
  const {plan, host: h} = await findHost(labName, host)
  const remote = remoteCommand(command)
  return [
    'ssh',
    '-F', '/dev/null',
    '-i', identityFileOf(plan),
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHostsOf(plan)}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'ControlMaster=no',
    '-o', 'ControlPath=none',
    '-o', 'BatchMode=yes',
    // A VM's sshd runs on an emulated CPU: on a busy machine its banner alone can take seconds.
    '-o', `ConnectTimeout=${h.vm ? 30 : 5}`,
    '-o', 'LogLevel=ERROR',
    ...(opts.tty ? ['-t'] : []),
    `root@${h.address}`,
    // ssh reads options after the host too; "--" keeps a command starting with "-" from being taken for one.
    ...(remote === undefined ? [] : ['--', remote]),
  ]
}
