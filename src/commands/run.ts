import {Args, Command} from '@oclif/core'
import {runCommand} from '../cli/run-command.js'
import {argumentErrorExit, runFlags} from '../cli/run-flags.js'
import {inventoryArg} from '../cli/inventory.js'

export default class Run extends Command {
  static description = `Run a playbook (your own, or deploy/rollback) against an inventory, with the same engine, order, lock and flags as deploy.
A playbook is a YAML mapping: name, description, lock (default true) and plays — each with hosts (groups: all, directors, real_servers, managed_real_servers, backup_directors, master_directors, custom groups, host names), serial, tasks (name + module + args + when + notify; command tasks also changed_when/failed_when), handlers and post_tasks. It is checked whole (modules, args, expressions, hosts) before any host is contacted: --syntax-check stops there.`

  static examples = [
    '<%= config.bin %> run health prod -v',
    '<%= config.bin %> run health prod --syntax-check',
    '<%= config.bin %> run deploy prod --check --list-tasks',
    '<%= config.bin %> run deploy prod --limit lb2 --start-at-task "director files"',
  ]
  // playbooks/failover-test.yaml is a scenarios file read by \`lbctl failover-test\`, not a playbook for run.
  static args = {playbook: Args.string({required: true, description: 'Playbook name (from playbooks/) or path'}), inventory: inventoryArg}
  static flags = runFlags

  /** Under --detailed-exitcode an argument error is 1 (2 would read as "changes pending"). */
  protected async catch(error: Parameters<Command['catch']>[0]): Promise<unknown> {
    if (this.argv.includes('--detailed-exitcode')) argumentErrorExit(error, 1)
    return super.catch(error)
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Run)
    await runCommand(this, {playbook: args.playbook, inventory: args.inventory, command: `run ${args.playbook}`, flags})
  }
}
