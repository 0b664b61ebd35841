import {Command, Flags} from '@oclif/core'
import {finishRun, runFlags, runRequest} from '../cli/run-flags.js'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {rollback} from '../playbook/index.js'

export default class Rollback extends Command {
  static description = `Re-activate the previous release (or --to ID) on every host, in the same HA-safe order as deploy: files validated again and swapped atomically, only changed services reloaded, health and VIP checked after each director.
A host that did not change in the target deploy activates its newest release older than it. See \`lbctl releases\`.`

  static examples = ['<%= config.bin %> rollback prod', '<%= config.bin %> rollback prod --to 20261121T093000123Z-1a2b3c4d', '<%= config.bin %> rollback prod --check --diff']
  static args = {inventory: inventoryArg}
  static flags = {...runFlags, to: Flags.string({description: 'Release ID to return to (default: the one before the current)'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Rollback)
    const {cluster} = loadOrExit(this, args.inventory, flags.json)
    const r = await rollback(cluster, {...runRequest(cluster, flags), to: flags.to})
    if (!r.run) {
      if (flags.json) this.log(JSON.stringify({playbook: 'rollback', outcome: 'failed', error: r.error}, null, 2))
      this.error(r.error ?? 'rollback failed', {exit: /reached/.test(r.error ?? '') ? 4 : 1})
    }
    finishRun(this, r.run, flags, {target: r.target})
  }
}
