import {spawnSync} from 'node:child_process'
import {Args, Command, Flags} from '@oclif/core'
import {LabArgumentError, LabError, labSshArgv} from '../../lab/index.js'

export default class LabSsh extends Command {
  static description = `Log in to a lab host as root with the system ssh, the lab key and the lab's known_hosts (StrictHostKeyChecking=yes). With a command after --, run it and exit with its exit code: a single word is a shell command line (as with ssh), several words are an argv passed as typed.`

  static examples = [
    '<%= config.bin %> lab ssh lb1',
    '<%= config.bin %> lab ssh web2 -- cat /etc/hostname',
    '<%= config.bin %> lab ssh client -- curl -s -H "X-Forwarded-For: 203.0.113.7" http://198.18.0.100/',
    '<%= config.bin %> lab ssh lb1 -- \'ip -4 addr show dev eth0 | grep inet\'',
    '<%= config.bin %> lab ssh lb1 --name lab2 -t -- top',
  ]

  static strict = false

  static args = {
    host: Args.string({required: true, description: 'Host name (lb1, web2, client) or its lab address.'}),
  }

  static flags = {
    name: Flags.string({default: 'lab', description: 'Lab name.'}),
    tty: Flags.boolean({char: 't', default: false, description: 'Force a terminal for the command (ssh -t).'}),
  }

  async run(): Promise<void> {
    const {args, argv, flags} = await this.parse(LabSsh)
    // oclif lists the host first among the non-flag words; everything after it is the remote command.
    const command = (argv as string[]).slice(1)
    let sshArgv: string[]
    try {
      sshArgv = await labSshArgv(flags.name, args.host, command, {tty: flags.tty})
    } catch (err) {
      if (err instanceof LabError) this.error(err.message, {exit: err instanceof LabArgumentError ? 2 : 1})
      throw err
    }
    // Hand the terminal to ssh (an interactive shell works), then leave with its exit code, as ssh itself would.
    const r = spawnSync(sshArgv[0], sshArgv.slice(1), {stdio: 'inherit'})
    if (r.error) this.error(`cannot run ssh: ${r.error.message}`, {exit: 1})
    this.exit(r.status ?? 255)
  }
}
