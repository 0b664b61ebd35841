import {Command} from '@oclif/core'
import {finishRun, interruptible, runFlags, runRequest} from '../cli/run-flags.js'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {runNamedPlaybook} from '../playbook/index.js'

export default class Deploy extends Command {
  static description = `Render, push, validate and activate the whole bundle on every host, HA-safe: real servers first, then each backup director one at a time, then the master(s); after each director its services must be healthy and every VIP held by exactly one director, or the run stops there.
Every file is checked by its own daemon (keepalived -t, haproxy -c) on the host before an atomic rename; only services whose files changed are reloaded; each host records a release for rollback.
Exit codes: 0 done, 1 a task failed or a host was lost mid-run (later hosts untouched), 2 invalid inventory, 3 refused (host key, lock), 4 unreachable host, 130 interrupted (Ctrl-C; locks released).`

  static examples = [
    '<%= config.bin %> deploy prod',
    '<%= config.bin %> deploy prod --check --diff',
    '<%= config.bin %> deploy prod --limit lb2',
    '<%= config.bin %> deploy prod --json',
  ]

  static args = {inventory: inventoryArg}
  static flags = runFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Deploy)
    const {cluster} = loadOrExit(this, args.inventory, flags.json)
    const run = await interruptible((signal) => runNamedPlaybook('deploy', cluster, {...runRequest(cluster, flags), signal}))
    finishRun(this, run, flags)
  }
}
