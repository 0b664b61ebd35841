import {Command} from '@oclif/core'
import {drainArgs, drainFlags, runDrainCommand} from '../cli/drain.js'

export default class Undrain extends Command {
  static description = `Put drained real servers back in rotation on every director (HAProxy: state ready; LVS: the inventory's weight), and check that each director took it.
Exit codes: 0 back in service, 1 a director did not take the change, 2 invalid inventory or server, 3 refused (lock held), 4 a director is unreachable.`

  static examples = ['<%= config.bin %> undrain prod web2']
  static strict = false
  static args = drainArgs
  static flags = drainFlags

  async run(): Promise<void> {
    await runDrainCommand(this, await this.parse(Undrain), false)
  }
}
