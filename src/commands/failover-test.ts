import {writeFileSync} from 'node:fs'
import {createInterface} from 'node:readline/promises'
import {Command, Flags} from '@oclif/core'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {runningLabOf} from '../failover/lab-guard.js'
import {runFailoverTest} from '../failover/run.js'
import {loadScenarios, selectScenarios, type Scenario} from '../failover/scenarios.js'
import {InventoryError, formatProblem, sortProblems} from '../inventory/index.js'
import {failoverJson, failoverTable, table} from '../report/failover-table.js'
import {jsonText} from '../report/json.js'
import {junitXml} from '../report/junit.js'
import {timelineHtml, timelineSvg} from '../report/timeline.js'

export default class FailoverTest extends Command {
  static description = `Prove failover: kill services on the cluster, measure what clients lose, and restore.
Probes every VIP service every --interval ms (a new connection each, HTTP GET --path or TCP connect) while each director streams its address and daemon events, then per scenario: a baseline (no fault unless the cluster answers), fault, VIP move, restore, back to the initial state. Each outage is compared with the bound keepalived's timers allow (see README, "Failover tests").
Default scenarios: haproxy-kill, keepalived-stop, keepalived-kill, realserver-down, maintenance; iface-down only when named. Scenarios are data: playbooks/failover-test.yaml.
Exit codes: 0 every scenario passed, 1 one failed, 2 invalid inventory/scenarios/arguments, 3 refused (unhealthy cluster, deploy lock held, not confirmed), 4 unreachable host, 5 inconclusive (the cluster did not answer before a fault: no verdict), 130 interrupted (restored first).`

  static examples = [
    '<%= config.bin %> failover-test lab',
    '<%= config.bin %> failover-test lab --scenario haproxy-kill --scenario iface-down --report failover.html',
    '<%= config.bin %> failover-test prod --from client1 --junit failover.xml --yes',
    '<%= config.bin %> failover-test lab --list',
  ]

  static args = {inventory: inventoryArg}
  static flags = {
    scenario: Flags.string({multiple: true, description: 'Scenario to run (repeatable, or comma-separated); default: the safe set'}),
    list: Flags.boolean({description: 'List the scenarios and exit'}),
    playbook: Flags.string({default: 'failover-test', description: 'Scenarios file: a name from playbooks/ or a path'}),
    instance: Flags.string({description: 'VRRP instance whose VIPs are failed over (default: the first)'}),
    from: Flags.string({description: 'Probe from this client host of the inventory (one perl process there, started over SSH) instead of the controller'}),
    interval: Flags.integer({default: 20, min: 5, description: 'Milliseconds between probes (each opens a new connection to every VIP service)'}),
    path: Flags.string({default: '/', description: 'HTTP path the probes ask for: on a busy or production cluster, a cheap page such as /health'}),
    timeout: Flags.integer({default: 800, min: 50, description: 'Probe timeout in ms (below the 1 s SYN retransmission, so a lost SYN counts as a failure)'}),
    established: Flags.integer({default: 0, min: 0, max: 1000, description: 'Keep N long downloads open through each fault (opened 4 s before it, old enough for IPVS sync to have told the backup) and count those still moving data after the VIP moved (see --stream-path)'}),
    'stream-path': Flags.string({default: '/stream', description: 'A long, slow download for --established (the lab serves /stream: 8 MiB at 32 KiB/s)'}),
    sticky: Flags.integer({default: 0, min: 0, max: 1000, description: 'Ask as M sticky clients before and after each fault and count those kept on their server: cookie jars from the controller, or the --from client\'s source addresses'}),
    'sticky-path': Flags.string({default: '/echo', description: 'A page naming the server that answered (`server=NAME` first, or the sticky cookie), for --sticky'}),
    'check-interval': Flags.integer({default: 50, min: 10, description: 'Milliseconds between checks of keepalived\'s and HAProxy\'s pids on each director (shell builtins: no process started)'}),
    'sample-interval': Flags.integer({hidden: true, min: 10, description: 'Old name of --check-interval'}),
    tolerance: Flags.integer({default: 10, min: 0, max: 1000, description: 'Percent a measured outage may exceed its bound'}),
    json: Flags.boolean({description: 'Print the full result (probe series and VIP samples included) as JSON'}),
    junit: Flags.string({description: 'Write JUnit XML here (one testcase per scenario)'}),
    report: Flags.string({description: 'Write the timeline picture here: FILE.html or FILE.svg'}),
    force: Flags.boolean({description: 'Run on a cluster that is not healthy (a VIP missing or doubled, a daemon down)'}),
    'break-lock': Flags.boolean({description: 'Take over a deploy lock left by a run that is gone'}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before testing an inventory that is not a lab'}),
    'accept-new': Flags.boolean({description: 'Record unknown host keys in known_hosts (changed keys are still refused)'}),
    'known-hosts': Flags.string({description: 'known_hosts file for every host'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(FailoverTest)
    const {cluster} = loadOrExit(this, args.inventory, flags.json)
    let scenarios: Scenario[]
    let all: Scenario[]
    try {
      all = loadScenarios(flags.playbook).scenarios
      scenarios = selectScenarios(all, flags.scenario?.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
    } catch (error) {
      if (error instanceof InventoryError) {
        process.stderr.write(`${sortProblems(error.problems).map(formatProblem).join('\n')}\n`)
        return this.exit(2)
      }
      this.error((error as Error).message, {exit: 2})
    }
    if (flags.list) {
      if (flags.json) this.log(jsonText({scenarios: all.map((s) => ({name: s.name, default: s.default, description: s.description}))}))
      else this.log(table([['SCENARIO', 'DEFAULT', 'DESCRIPTION'], ...all.map((s) => [s.name, s.default ? 'yes' : 'no', s.description])]))
      return
    }
    if (flags.report && !/\.(html?|svg)$/i.test(flags.report)) this.error('--report: give a file ending in .html or .svg', {exit: 2})
    for (const [flag, v] of [['path', flags.path], ['stream-path', flags['stream-path']], ['sticky-path', flags['sticky-path']]] as const) {
      if (!/^\/[\x21-\x7e]*$/.test(v)) this.error(`--${flag}: give a URL path starting with "/" and without spaces (got ${JSON.stringify(v)})`, {exit: 2})
    }

    if (!runningLabOf(cluster) && !flags.yes) await this.confirm(cluster.name, cluster.directors.map((d) => d.name), scenarios)

    const controller = new AbortController()
    let interrupts = 0
    const lockedHosts: string[] = []
    const onSigint = () => {
      interrupts++
      if (interrupts > 1) {
        const locks = lockedHosts.length ? `; the deploy lock stays on ${lockedHosts.join(', ')} (a later deploy sees it stale and says so; --break-lock takes it over)` : ''
        process.stderr.write(`\nsecond Ctrl-C: exiting without waiting for the restore; check the cluster (lbctl status / ip addr)${locks}\n`)
        process.exit(130)
      }
      process.stderr.write('\ninterrupted: restoring what was done, then exiting (Ctrl-C again to exit at once)\n')
      controller.abort()
    }
    process.on('SIGINT', onSigint)
    let report
    try {
      report = await runFailoverTest({
        cluster,
        scenarios,
        instance: flags.instance,
        from: flags.from,
        probeIntervalMs: flags.interval,
        probeTimeoutMs: flags.timeout,
        path: flags.path,
        established: flags.established,
        streamPath: flags['stream-path'],
        sticky: flags.sticky,
        stickyPath: flags['sticky-path'],
        checkIntervalMs: flags['sample-interval'] ?? flags['check-interval'],
        tolerance: flags.tolerance / 100,
        force: flags.force,
        breakLock: flags['break-lock'],
        acceptNew: flags['accept-new'],
        knownHosts: flags['known-hosts'],
        signal: controller.signal,
        lockedHosts,
        log: (line) => process.stderr.write(`${line}\n`),
      })
    } catch (error) {
      this.error((error as Error).message, {exit: 2})
    } finally {
      process.off('SIGINT', onSigint)
    }

    const text = failoverTable(report)
    this.log(flags.json ? failoverJson(report) : text)
    if (flags.junit) writeFileSync(flags.junit, junitXml(report))
    if (flags.report) writeFileSync(flags.report, /\.svg$/i.test(flags.report) ? timelineSvg(report) : timelineHtml(report, text))
    if (report.interrupted) return this.exit(130)
    if (report.unreachable) return this.exit(4)
    if (report.refused) return this.exit(3)
    if (report.scenarios.some((s) => s.status === 'fail' || s.status === 'error')) return this.exit(1)
    if (report.scenarios.some((s) => s.status === 'inconclusive')) return this.exit(5)
    if (!report.ok) return this.exit(1)
  }

  /** Outside the lab this kills daemons on real machines: say so and ask, or refuse without a terminal. */
  private async confirm(name: string, directors: string[], scenarios: Scenario[]): Promise<void> {
    const what = `failover-test will kill and restart services on ${directors.join(', ')} (inventory "${name}", which is not a lab inventory: its hosts are not those of a lab running here): ${scenarios.map((s) => s.name).join(', ')}`
    if (!process.stdin.isTTY) this.error(`${what}.\nRefusing without confirmation: no terminal to ask on. Re-run with --yes if that is what you want.`, {exit: 3})
    const rl = createInterface({input: process.stdin, output: process.stderr})
    const answer = await rl.question(`${what}.\nContinue? Type "yes": `)
    rl.close()
    if (answer.trim().toLowerCase() !== 'yes') this.error('not confirmed; nothing was done', {exit: 3})
  }
}
