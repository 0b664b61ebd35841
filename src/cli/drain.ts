import {Args, type Command, Flags} from '@oclif/core'
import {drainPlan, drainServers, type DrainReport} from '../drain/index.js'
import {sshConnect} from '../playbook/connect.js'
import {jsonText} from '../report/json.js'
import {inventoryArg, loadOrExit} from './inventory.js'

/** What drain and undrain share: the inventory, the servers, how to connect. */
export const drainArgs = {inventory: inventoryArg, servers: Args.string({required: true, description: 'Real server(s), comma-separated or one per argument'})}
export const drainFlags = {
  json: Flags.boolean({description: 'Print the result as JSON'}),
  'break-lock': Flags.boolean({description: 'Take over a deploy lock left by a run that is gone'}),
  'accept-new': Flags.boolean({description: 'Record unknown host keys in known_hosts (changed keys are still refused)'}),
  'known-hosts': Flags.string({description: 'known_hosts file for every host'}),
}

export function drainText(r: DrainReport): string {
  const out: string[] = []
  if (r.unreachable) return `unreachable, nothing was done:\n${r.unreachable}`
  if (r.refused) return `refused: ${r.refused}`
  for (const d of r.directors) out.push(`${d.name}: ${d.ok ? d.states.join(', ') : `FAILED: ${d.error}`}`)
  if (r.sessions) {
    const s = r.sessions
    out.push(s.waitedOut ? `${s.left} of ${s.atStart} session(s) still open after ${s.seconds.toFixed(1)} s (the wait ran out; the servers stay drained)` : `${s.atStart} session(s) drained in ${s.seconds.toFixed(1)} s`)
  }
  out.push(`${r.action}: ${r.exitCode === 0 ? 'ok' : 'FAILED'} — ${r.servers.join(', ')}`)
  return out.join('\n')
}

/** Parses, loads, checks the names (exit 2 before any connection), drains or undrains, prints, exits. */
export async function runDrainCommand(cmd: Command, parsed: {args: {inventory: string; servers: string}; argv: unknown[]; flags: {json: boolean; 'break-lock': boolean; 'accept-new': boolean; 'known-hosts'?: string; wait?: number; force?: boolean}}, drain: boolean): Promise<void> {
  const {args, flags} = parsed
  const servers = [args.servers, ...parsed.argv.slice(2).map(String)].flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean)
  const {cluster} = loadOrExit(cmd, args.inventory, flags.json)
  const plan = drainPlan(cluster, servers)
  if ('problems' in plan) cmd.error(plan.problems.join('\n'), {exit: 2})
  const r = await drainServers({
    cluster,
    servers,
    drain,
    waitS: flags.wait ?? 0,
    force: Boolean(flags.force),
    breakLock: flags['break-lock'],
    connect: sshConnect({acceptNew: flags['accept-new'], knownHosts: flags['known-hosts'], forks: cluster.deploy.forks}),
    log: (line) => process.stderr.write(`${line}\n`),
  })
  cmd.log(flags.json ? jsonText(r) : drainText(r))
  if (r.exitCode) cmd.exit(r.exitCode)
}
