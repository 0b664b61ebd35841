import {Command, Flags} from '@oclif/core'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {refusedByHost, sshConnect} from '../playbook/connect.js'
import {releases} from '../playbook/index.js'
import {releaseList} from '../playbook/releases.js'
import {jsonText} from '../report/json.js'

export default class Releases extends Command {
  static description = `List the releases recorded on each host, in the order it activated them (last activated last; * marks the active one).
Exit codes: 0 every host answered, 2 invalid inventory, 3 a host refused (host key unknown or changed, authentication), 4 a host is unreachable.`

  static examples = ['<%= config.bin %> releases prod', '<%= config.bin %> releases prod --json']
  static args = {inventory: inventoryArg}
  static flags = {
    json: Flags.boolean({description: 'Print as JSON (schema_version 1)'}),
    'accept-new': Flags.boolean({description: 'Record unknown host keys (like StrictHostKeyChecking=accept-new)'}),
    'known-hosts': Flags.string({description: 'known_hosts file for every host'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Releases)
    const {cluster} = loadOrExit(this, args.inventory, flags.json)
    const states = await releases(cluster, sshConnect({acceptNew: flags['accept-new'], knownHosts: flags['known-hosts'], forks: cluster.deploy.forks}))
    const perHost = new Map([...states].map(([h, s]) => [h, s instanceof Error ? s : releaseList(s)]))
    const errors = [...perHost.values()].filter((v): v is Error => v instanceof Error)
    if (flags.json) {
      const hosts = Object.fromEntries([...perHost].map(([h, v]) => [h, v instanceof Error ? {error: v.message} : {releases: v}]))
      this.log(jsonText({hosts}))
    } else {
      for (const [host, v] of perHost) {
        this.log(host)
        if (v instanceof Error) this.log(`  error: ${v.message}`)
        else if (v.length === 0) this.log('  (no releases)')
        else for (const r of v) this.log(`  ${r.current ? '*' : ' '} ${r.id}  ${r.activated}  ${r.files} file(s)`)
      }
    }
    // The same classes as deploy: a host that answered and said no is a refusal, one that did not answer unreachable.
    if (errors.length) this.exit(errors.some(refusedByHost) ? 3 : 4)
  }
}
