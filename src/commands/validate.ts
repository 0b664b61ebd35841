import {Args, Command, Flags} from '@oclif/core'
import {InventoryError, loadInventory, sortProblems, formatProblem, problemText, type Problem} from '../inventory/index.js'
import {EXIT} from '../cli/inventory.js'
import type {Cluster} from '../inventory/model.js'
import {loadPlaybook} from '../playbook/load.js'
import {redact} from '../render/secret-lines.js'
import {jsonText} from '../report/json.js'

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
  static description = `Check inventories (and playbooks) before anything is touched: schema and cluster-wide rules (VRIDs, priorities, VIPs, subnets, references); with --playbook, the playbook whole (modules, their args, when/changed_when/failed_when, notify, and with an inventory its hosts patterns).
Every problem is reported at once with file:line:column, the field, what is wrong and how to fix it. Exit code 2 when anything has a problem. No host is contacted.`

  static examples = [
    '<%= config.bin %> validate prod',
    '<%= config.bin %> validate prod --no-secrets   # in CI, without the passwords',
    '<%= config.bin %> validate inventories/examples/*.yaml',
    '<%= config.bin %> validate prod --json',
    '<%= config.bin %> validate --playbook playbooks/health.yaml prod',
  ]
  static strict = false
  static args = {inventory: Args.string({description: 'Inventory names or paths (several allowed); optional with --playbook'})}
  static flags = {
    json: Flags.boolean({description: 'Print results as JSON'}),
    'no-secrets': Flags.boolean({description: 'Check without the secrets: every ${env:…} and ${file:…} stands for a placeholder and nothing is read (lint in CI; a missing secret is then not found)'}),
    playbook: Flags.string({description: 'Also check this playbook (a name from playbooks/ or a path), against each inventory given'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Validate)
    if (argv.length === 0 && !flags.playbook) this.error('give an inventory (or --playbook FILE)', {exit: 2})
    const clusters: Cluster[] = []
    const results: Result[] = (argv as string[]).map((ref) => {
      try {
        const {cluster, warnings, resolved} = loadInventory(ref, {noSecrets: flags['no-secrets']})
        clusters.push(cluster)
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
    const playbooks = flags.playbook ? [playbookResult(flags.playbook, clusters)] : []
    const ok = results.every((r) => r.ok) && playbooks.every((p) => p.ok)
    if (flags.json) this.log(jsonText({ok, inventories: results, ...(flags.playbook ? {playbooks} : {})}))
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
      for (const p of playbooks) {
        if (p.ok) this.log(`ok   ${p.file}: playbook ${p.summary}`)
        else {
          process.stderr.write(`${p.problems.map(formatProblem).join('\n')}\n`)
          this.log(`FAIL ${p.file}: ${p.problems.length} problem${p.problems.length === 1 ? '' : 's'}`)
        }
      }
    }
    if (!ok) this.exit(EXIT.invalidInventory)
  }
}

/** A playbook checked whole, against every inventory that loaded (its hosts patterns), or alone. */
function playbookResult(ref: string, clusters: Cluster[]): {file: string; ok: boolean; summary?: string; problems: Problem[]} {
  const problems = new Map<string, Problem>()
  let summary: string | undefined
  for (const cluster of clusters.length ? clusters : [undefined]) {
    try {
      const {playbook} = loadPlaybook(ref, cluster)
      const tasks = playbook.plays.reduce((n, p) => n + p.tasks.length + (p.post_tasks?.length ?? 0), 0)
      summary = `${playbook.name}: ${playbook.plays.length} play(s), ${tasks} task(s)${cluster ? '' : '; hosts patterns not checked (no inventory given)'}`
    } catch (error) {
      if (!(error instanceof InventoryError)) throw error
      for (const p of error.problems) problems.set(`${p.line}:${p.column}:${p.message}`, p)
    }
  }
  return problems.size ? {file: ref, ok: false, problems: sortProblems([...problems.values()])} : {file: ref, ok: true, summary, problems: []}
}
