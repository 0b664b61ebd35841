import {Command, Flags} from '@oclif/core'
import {type DownResult, LabArgumentError, LabError, labDown} from '../../lab/index.js'
import {formatDown} from '../../lab/view.js'
import {labJson} from '../../report/json.js'

export default class LabDown extends Command {
  static description = 'Remove a lab: kill every process in its hosts, delete its namespaces, veths and bridge, its state directory (keys, known_hosts) and the inventory it wrote. Also cleans up after a half-built or half-killed lab.'

  static examples = ['<%= config.bin %> lab down', '<%= config.bin %> lab down --name lab2']

  static enableJsonFlag = true

  /** --json: one naming style and a schema_version, like every other command. */
  protected toSuccessJson(result: unknown): unknown {
    return labJson(result)
  }

  static flags = {
    name: Flags.string({default: 'lab', description: 'Lab name.'}),
    'inventory-dir': Flags.string({description: 'Where the lab\'s inventory is, if its state is lost (default ./inventories/labs).'}),
  }

  async run(): Promise<DownResult> {
    const {flags} = await this.parse(LabDown)
    try {
      const result = await labDown({name: flags.name, inventoryDir: flags['inventory-dir']})
      for (const line of formatDown(result)) this.log(line)
      return result
    } catch (err) {
      if (err instanceof LabError) this.error(err.message, {exit: err instanceof LabArgumentError ? 2 : 1})
      throw err
    }
  }
}
