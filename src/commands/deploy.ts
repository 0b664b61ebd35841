import {Command} from '@oclif/core'
import {runCommand} from '../cli/run-command.js'
import {argumentErrorExit, runFlags} from '../cli/run-flags.js'
import {inventoryArg} from '../cli/inventory.js'

export default class Deploy extends Command {
  static description = `Render, push, validate and activate the whole bundle on every host, HA-safe: real servers first, then each backup director one at a time, then the master(s); after each director its services must be healthy and every VIP held by exactly one director, or the run stops there.
Every file is checked by its own daemon (keepalived -t, haproxy -c) on the host before an atomic rename; only services whose files changed are reloaded; each host records a release for rollback.
Progress goes to stderr (a live tree on a terminal, one line per step otherwise); the diff, the PLAY RECAP and --json go to stdout.
Exit codes: 0 done, 1 a task failed or a host was lost mid-run (later hosts untouched), 2 invalid inventory, playbook or arguments (nothing contacted), 3 refused (host key, authentication, lock), 4 unreachable host, 130 interrupted (Ctrl-C; locks released). With --check --detailed-exitcode: 0 nothing to change, 2 changes pending, 1 any error.`

  static examples = [
    '<%= config.bin %> deploy prod',
    '<%= config.bin %> deploy prod --check --diff',
    '<%= config.bin %> deploy prod --check --detailed-exitcode   # cron/CI drift check',
    '<%= config.bin %> deploy prod --limit lb2',
    '<%= config.bin %> deploy prod --json',
  ]

  static args = {inventory: inventoryArg}
  static flags = runFlags

  /** Under --detailed-exitcode an argument error is 1 (2 would read as "changes pending"). */
  protected async catch(error: Parameters<Command['catch']>[0]): Promise<unknown> {
    if (this.argv.includes('--detailed-exitcode')) argumentErrorExit(error, 1)
    return super.catch(error)
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Deploy)
    await runCommand(this, {playbook: 'deploy', inventory: args.inventory, command: 'deploy', flags})
  }
}
