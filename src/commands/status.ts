import {Command, Flags} from '@oclif/core'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {argumentErrorExit} from '../cli/run-flags.js'
import {sshConnect} from '../playbook/connect.js'
import {jsonText} from '../report/json.js'
import {clusterStatus, statusText} from '../status/index.js'

export default class Status extends Command {
  static description = `The cluster as it runs: who holds each VIP, each director's VRRP state and priority as keepalived reports it, HAProxy's servers (status, check, sessions), the live IPVS table against the rendered one, daemon versions and uptimes, the active release and every managed file that differs from it.
One SSH connection and one round trip per host; nothing is changed. Exit codes, as a Nagios/Icinga check: 0 OK, 1 DEGRADED (a server down, a director in FAULT, drift, a deploy left unfinished), 2 CRITICAL (a VIP held by no director or by two, a daemon down on the VIP holder, a backend with no server in service); 3 UNKNOWN: the inventory or the arguments are invalid.`

  static examples = ['<%= config.bin %> status prod', '<%= config.bin %> status prod --json', '<%= config.bin %> status lab --watch 2']

  static args = {inventory: inventoryArg}
  static flags = {
    json: Flags.boolean({description: 'Print the status as JSON'}),
    watch: Flags.boolean({description: 'Redraw every --every seconds until Ctrl-C (`--watch N` sets it too)'}),
    every: Flags.integer({default: 2, min: 1, description: 'Seconds between redraws with --watch'}),
    'accept-new': Flags.boolean({description: 'Record unknown host keys in known_hosts (changed keys are still refused)'}),
    'known-hosts': Flags.string({description: 'known_hosts file for every host'}),
  }

  /** A monitoring check's usage error is UNKNOWN (3), like an invalid inventory: 2 would read as CRITICAL. */
  protected async catch(error: Parameters<Command['catch']>[0]): Promise<unknown> {
    argumentErrorExit(error, 3)
    return super.catch(error)
  }

  async run(): Promise<void> {
    // `--watch 5` as the operator writes it: the number is the interval.
    const i = this.argv.indexOf('--watch')
    if (i >= 0 && /^\d+$/.test(this.argv[i + 1] ?? '')) this.argv.splice(i, 2, '--watch', '--every', this.argv[i + 1])
    const {args, flags} = await this.parse(Status)
    const {cluster} = loadOrExit(this, args.inventory, flags.json, 3)
    const connect = sshConnect({acceptNew: flags['accept-new'], knownHosts: flags['known-hosts'], forks: cluster.deploy.forks})
    const once = async () => {
      const s = await clusterStatus(cluster, connect)
      return {s, text: flags.json ? jsonText(s) : statusText(s)}
    }
    if (!flags.watch) {
      const {s, text} = await once()
      this.log(text)
      if (s.exitCode) this.exit(s.exitCode)
      return
    }
    const tty = process.stdout.isTTY
    for (;;) {
      const {text} = await once()
      // On a terminal, in place: home, the text, then clear what the last (longer) frame left below it.
      if (tty) process.stdout.write(`\x1b[H${text.replace(/\n/g, '\x1b[K\n')}\x1b[K\n\x1b[J${new Date().toLocaleTimeString()} — every ${flags.every}s, Ctrl-C to stop\x1b[K`)
      else this.log(`${text}\n`)
      await new Promise((r) => setTimeout(r, flags.every * 1000))
    }
  }
}
