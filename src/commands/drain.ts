import {Command, Flags} from '@oclif/core'
import {drainArgs, drainFlags, runDrainCommand} from '../cli/drain.js'

export default class Drain extends Command {
  static description = `Take real servers out of rotation on every director, then wait for the sessions they carry to end.
HAProxy: \`set server BACKEND/SERVER state drain\` in every backend that has the server (no new clients; its sessions, and sticky clients, carry on). LVS: weight 0. Each director keeps the list, and deploy and rollback apply it again after they reload, so a drained server stays drained until \`lbctl undrain\`. Refuses to drain the last server in service of a backend unless --force. Holds the deploy lock while it works.
Exit codes: 0 drained (and, with --wait, every session ended), 1 a director did not take the change or sessions remained when the wait ran out, 2 invalid inventory or server, 3 refused (lock held, last server), 4 a director is unreachable.`

  static examples = ['<%= config.bin %> drain prod web2 --wait 60', '<%= config.bin %> drain lab web1,web2 --force']
  static strict = false
  static args = drainArgs
  static flags = {
    ...drainFlags,
    wait: Flags.integer({default: 30, min: 0, description: 'Seconds to wait for the servers\' sessions to end (0: do not wait)'}),
    force: Flags.boolean({description: 'Drain even the last server in service of a backend'}),
  }

  async run(): Promise<void> {
    await runDrainCommand(this, await this.parse(Drain), true)
  }
}
