import {Command, Flags} from '@oclif/core'
import {LabError, type LabStatus, labStatus} from '../../lab/index.js'
import {checkRootLinux} from '../../lab/prereqs.js'
import {formatStatus} from '../../lab/view.js'

export default class LabStatusCommand extends Command {
  static description = 'Show a lab\'s hosts (address, namespace, init pid, sshd and HTTP up) and which director holds each VIP. Exit code 1 when the lab is not fully up.'

  static examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --name lab2 --json']

  static enableJsonFlag = true

  static flags = {
    name: Flags.string({default: 'lab', description: 'Lab name.'}),
  }

  async run(): Promise<LabStatus> {
    const {flags} = await this.parse(LabStatusCommand)
    try {
      checkRootLinux()
      const status = await labStatus({name: flags.name})
      for (const line of formatStatus(status)) this.log(line)
      if (!status.up) process.exitCode = 1
      return status
    } catch (err) {
      if (err instanceof LabError) this.error(err.message, {exit: 1})
      throw err
    }
  }
}
