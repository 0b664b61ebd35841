import {Command, Flags} from '@oclif/core'
import {DEFAULT_DIRECTORS, DEFAULT_REAL_SERVERS, DEFAULT_SUBNET, LabArgumentError, LabError, type LabTopology, type LabUpResult, TOPOLOGIES, labUp} from '../../lab/index.js'
import {formatUp} from '../../lab/view.js'
import {labJson} from '../../report/json.js'

export default class LabUp extends Command {
  static description = `Start a local HA cluster of Linux namespaces: a client, directors and real servers on one bridge, each with its own sshd, hostname, processes and /etc/{keepalived,haproxy}. Writes a ready inventory (inventories/labs/NAME.yaml, which git ignores; \`lbctl deploy NAME\` finds it) and the hosts' known_hosts. Running it on an up lab repairs what is broken and keeps the rest. Needs root.`

  static examples = [
    '<%= config.bin %> lab up',
    '<%= config.bin %> lab up --real-servers 5',
    '<%= config.bin %> lab up --name lab2 --subnet 198.18.1.0/24',
    '<%= config.bin %> lab up --json',
    '<%= config.bin %> lab up --topology lvs-dr   # directors as QEMU VMs with real IPVS; also writes inventories/labs/lab-dr.yaml',
    '<%= config.bin %> lab up --name nat --subnet 198.18.2.0/24 --topology lvs-nat',
  ]

  static enableJsonFlag = true

  /** --json: one naming style and a schema_version, like every other command. */
  protected toSuccessJson(result: unknown): unknown {
    return labJson(result)
  }

  static flags = {
    name: Flags.string({default: 'lab', description: 'Lab name (a-z, 0-9, "-"); labs with different names and subnets coexist.'}),
    directors: Flags.integer({description: `Directors (keepalived + HAProxy). Default: the lab's current count, else ${DEFAULT_DIRECTORS}.`, min: 1}),
    'real-servers': Flags.integer({description: `Real servers (HTTP on port 80). Default: the lab's current count, else ${DEFAULT_REAL_SERVERS}.`, min: 0}),
    subnet: Flags.string({description: `IPv4 network of the lab bridge, /16 to /24. Default: the lab's current one, else ${DEFAULT_SUBNET}.`}),
    'inventory-dir': Flags.string({description: 'Where to write NAME.yaml. Default: the lab\'s current one, else ./inventories/labs (git ignores it).'}),
    topology: Flags.string({
      options: [...TOPOLOGIES],
      description: 'namespaces: every host a namespace. lvs-dr / lvs-nat: the directors are QEMU VMs with their own kernel and real IPVS, and NAME-dr.yaml / NAME-nat.yaml is written too (lvs-nat puts the real servers on an inside bridge behind the DIP). Default: the lab\'s current one, else namespaces. See docs/lvs-lab.md.',
    }),
  }

  async run(): Promise<LabUpResult> {
    const {flags} = await this.parse(LabUp)
    try {
      const result = await labUp({
        name: flags.name,
        directors: flags.directors,
        realServers: flags['real-servers'],
        subnet: flags.subnet,
        inventoryDir: flags['inventory-dir'],
        topology: flags.topology as LabTopology | undefined,
        log: (line) => this.log(line),
      })
      for (const line of formatUp(result)) this.log(line)
      return result
    } catch (err) {
      if (err instanceof LabError) this.error(err.message, {exit: err instanceof LabArgumentError ? 2 : 1})
      throw err
    }
  }
}
