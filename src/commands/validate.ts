import {Args, Command, Flags} from '@oclif/core'
import {InventoryError, loadInventory, sortProblems, formatProblem, problemText, type Problem} from '../inventory/index.js'
import {EXIT} from '../cli/inventory.js'
import {redact} from '../render/secret-lines.js'

interface Result {
  file: string
  ok: boolean
  cluster?: string
  summary?: string
  problems: Problem[]
  /** Allowed, but probably not what was meant (e.g. a setting keepalived ignores). */
  warnings: Problem[]
  /** Host names lbctl resolved to check and render the cluster, and to what. */
  resolved: Problem[]
}

export default class Validate extends Command {
  static description = `Check inventories before anything is touched: schema and cluster-wide rules (VRIDs, priorities, VIPs, subnets, references).
Every problem is reported at once with file:line:column, the field, what is wrong and how to fix it. Exit code 2 when any inventory has a problem. No host is contacted.`

  static examples = ['<%= config.bin %> validate prod', '<%= config.bin %> validate inventories/examples/*.yaml', '<%= config.bin %> validate prod --json']
  static strict = false
  static args = {inventory: Args.string({required: true, description: 'Inventory names or paths (several allowed)'})}
  static flags = {json: Flags.boolean({description: 'Print results as JSON'})}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Validate)
    const results: Result[] = (argv as string[]).map((ref) => {
      try {
        const {cluster, warnings, resolved} = loadInventory(ref)
        const c = cluster
        const summary = `${c.directors.length} director(s), ${c.realServers.length} real server(s), ${c.instances.length} VRRP instance(s)` +
          (c.virtualServices.length ? `, ${c.virtualServices.length} LVS virtual service(s)` : '') + (c.haproxy ? ', HAProxy' : '')
        // The name may come from ${env:…} or ${file:…}, and whatever does is a secret.
        return {file: ref, ok: true, cluster: redact(c.name, c.secrets), summary, problems: [], warnings: sortProblems(warnings), resolved}
      } catch (error) {
        if (error instanceof InventoryError) return {file: ref, ok: false, problems: sortProblems(error.problems), warnings: [], resolved: []}
        throw error
      }
    })
    if (flags.json) this.log(JSON.stringify({ok: results.every((r) => r.ok), inventories: results}, null, 2))
    else {
      for (const r of results) {
        for (const n of r.resolved) process.stderr.write(`note: ${problemText(n)}\n`)
        for (const w of r.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`)
        if (r.ok) this.log(`ok   ${r.file}: cluster ${r.cluster}: ${r.summary}${r.warnings.length ? ` (${r.warnings.length} warning(s))` : ''}`)
        else {
          process.stderr.write(`${r.problems.map(formatProblem).join('\n')}\n`)
          this.log(`FAIL ${r.file}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`)
        }
      }
    }
    if (!results.every((r) => r.ok)) this.exit(EXIT.invalidInventory)
  }
}
