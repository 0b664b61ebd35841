import {Command, Flags} from '@oclif/core'
import {loadInventory} from '../../inventory/index.js'
import {LabArgumentError, LabError, type LabStatus, labStatus} from '../../lab/index.js'
import {checkRootLinux} from '../../lab/prereqs.js'
import {formatStatus} from '../../lab/view.js'
import {sshConnect} from '../../playbook/connect.js'
import {clusterStatus, statusText, type ClusterStatus} from '../../status/index.js'
import {labJson} from '../../report/json.js'

export default class LabStatusCommand extends Command {
  static description = `Show a lab's hosts (address, namespace, init pid, sshd and HTTP up) and which director holds each VIP; once the lab is deployed, the cluster as \`lbctl status\` sees it (VRRP states, HAProxy's servers, drift). Exit code 1 when the lab is not fully up.`

  static examples = ['<%= config.bin %> lab status', '<%= config.bin %> lab status --name lab2 --json']

  static enableJsonFlag = true

  /** --json: one naming style and a schema_version, like every other command. */
  protected toSuccessJson(result: unknown): unknown {
    return labJson(result)
  }

  static flags = {
    name: Flags.string({default: 'lab', description: 'Lab name.'}),
    cluster: Flags.boolean({default: true, allowNo: true, description: 'Also read the deployed cluster over SSH (lbctl status); --no-cluster for the hosts only'}),
  }

  async run(): Promise<LabStatus & {cluster?: ClusterStatus}> {
    const {flags} = await this.parse(LabStatusCommand)
    try {
      checkRootLinux()
      const status = await labStatus({name: flags.name})
      const cluster = flags.cluster && status.up ? await deployedCluster(status) : undefined
      const lines = formatStatus(status)
      if (cluster) {
        // The cluster section says who holds each VIP, and more: the lab's own VIP lines would repeat it.
        const own = lines.filter((l) => !l.startsWith('VIP '))
        const at = own.findIndex((l) => l === '')
        own.splice(at + 1, 0, `Cluster (lbctl status ${cluster.cluster}): ${cluster.level.toUpperCase()}`, ...statusText(cluster).split('\n').slice(1).map((l) => (l ? `  ${l}` : l)), '')
        for (const line of own) this.log(line)
      } else for (const line of lines) this.log(line)
      if (!status.up) process.exitCode = 1
      return {...status, ...(cluster ? {cluster} : {})}
    } catch (err) {
      if (err instanceof LabError) this.error(err.message, {exit: err instanceof LabArgumentError ? 2 : 1})
      throw err
    }
  }
}

/** The lab's cluster as `lbctl status` reads it, once something was deployed to it (else undefined). */
async function deployedCluster(s: LabStatus): Promise<ClusterStatus | undefined> {
  const file = s.lvsInventory ?? s.inventory
  if (!file) return undefined
  try {
    const {cluster} = loadInventory(file)
    const st = await clusterStatus(cluster, sshConnect({forks: 20}))
    return st.hosts.some((h) => h.release.current) ? st : undefined
  } catch {
    return undefined
  }
}
