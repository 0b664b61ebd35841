import {Command, Flags} from '@oclif/core'
import {runCommand} from '../cli/run-command.js'
import {argumentErrorExit, runFlags} from '../cli/run-flags.js'
import {inventoryArg} from '../cli/inventory.js'

export default class Rollback extends Command {
  static description = `Return every host to the release that was active before the current one (or --to ID), in the same HA-safe order as deploy: files validated again and swapped all or nothing, only changed services reloaded, health and VIP checked after each director.
Files and sysctls the target lacks go back to what they were before lbctl managed them. Refused (exit 3) when the hosts went through different releases or the target is missing on some host, naming them, unless --force; --to with a release no host has exits 2. See \`lbctl releases\`.`

  static examples = ['<%= config.bin %> rollback prod', '<%= config.bin %> rollback prod --to r12-1a2b3c4d', '<%= config.bin %> rollback prod --check --diff']
  static args = {inventory: inventoryArg}
  static flags = {
    ...runFlags,
    to: Flags.string({description: 'Release ID to return to (default: the one active before the current)'}),
    force: Flags.boolean({description: 'Roll back the hosts that have the target release, leaving the others as they are'}),
  }

  /** Under --detailed-exitcode an argument error is 1 (2 would read as "changes pending"). */
  protected async catch(error: Parameters<Command['catch']>[0]): Promise<unknown> {
    if (this.argv.includes('--detailed-exitcode')) argumentErrorExit(error, 1)
    return super.catch(error)
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Rollback)
    await runCommand(this, {playbook: 'rollback', inventory: args.inventory, command: 'rollback', flags, rollback: {to: flags.to, force: flags.force}})
  }
}
