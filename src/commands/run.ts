import {Args, Command} from '@oclif/core'
import {finishRun, interruptible, runFlags, runRequest} from '../cli/run-flags.js'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {runNamedPlaybook} from '../playbook/index.js'

export default class Run extends Command {
  static description = `Run a playbook (your own, or deploy/rollback) against an inventory, with the same engine, order, lock and flags as deploy.
A playbook is a YAML list of plays: hosts (groups: all, directors, real_servers, managed_real_servers, backup_directors, master_directors, custom groups, host names), serial, tasks (module + args + when + notify), handlers and post_tasks.`

  static examples = ['<%= config.bin %> run playbooks/maintenance.yaml prod --limit lb1', '<%= config.bin %> run deploy prod --check']
  // playbooks/failover-test.yaml is a scenarios file read by \`lbctl failover-test\`, not a playbook for run.
  static args = {playbook: Args.string({required: true, description: 'Playbook name (from playbooks/) or path'}), inventory: inventoryArg}
  static flags = runFlags

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Run)
    const {cluster} = loadOrExit(this, args.inventory, flags.json)
    const run = await interruptible((signal) => runNamedPlaybook(args.playbook, cluster, {...runRequest(cluster, flags), signal}, `run ${args.playbook}`))
    finishRun(this, run, flags)
  }
}
