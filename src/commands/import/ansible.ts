import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {Args, Command, Flags} from '@oclif/core'
import {EXIT} from '../../cli/inventory.js'
import {importAnsible} from '../../import/ansible/index.js'
import {formatProblem, InventoryError, loadInventoryText, problemText, sortProblems} from '../../inventory/index.js'
import {systemResolver} from '../../inventory/names.js'

export default class ImportAnsible extends Command {
  static description = `Start an lbctl inventory from an Ansible inventory (INI, YAML, or ansible-inventory --list JSON).
Hosts, addresses (ansible_host), SSH settings (ansible_user, ansible_port, ansible_ssh_private_key_file, a bastion in ansible_ssh_common_args) and groups are carried over, each value commented with the Ansible variable it came from; the keepalived and HAProxy parts are a minimal T1 skeleton whose choices are marked # TODO. What lbctl cannot carry over (a password, host-key checking turned off, a connection that is not SSH) is refused at its line, and nothing is written (exit 2).`

  static examples = [
    '<%= config.bin %> import ansible hosts.ini',
    '<%= config.bin %> import ansible hosts.ini --directors loadbalancers --real-servers app --out inventories/prod.yaml',
    'ansible-inventory -i hosts --list > hosts.json && <%= config.bin %> import ansible hosts.json --out inventories/prod.yaml',
  ]

  static args = {file: Args.string({required: true, description: 'Ansible inventory file'})}
  static flags = {
    directors: Flags.string({description: 'Ansible group of the load balancers (default: the first of lb, lbs, loadbalancers, haproxy, keepalived, directors, lvs …)'}),
    'real-servers': Flags.string({description: 'Ansible group of the web/app servers (default: the first of web, webservers, app, backend, real_servers …)'}),
    name: Flags.string({description: 'Cluster name (default: from the file name)'}),
    out: Flags.string({description: 'Write the inventory to this file instead of printing it'}),
    force: Flags.boolean({description: 'Overwrite --out if it exists'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImportAnsible)
    if (!existsSync(args.file)) this.error(`${args.file}: no such file`, {exit: EXIT.invalidInventory})
    if (flags.out && existsSync(flags.out) && !flags.force) this.error(`${flags.out} exists: nothing was written (--force overwrites it)`, {exit: EXIT.invalidInventory})
    const command = ['lbctl import ansible', args.file, ...(flags.directors ? ['--directors', flags.directors] : []), ...(flags['real-servers'] ? ['--real-servers', flags['real-servers']] : [])].join(' ')
    const resolver = systemResolver()
    const r = importAnsible(readFileSync(args.file, 'utf8'), args.file, {directors: flags.directors, realServers: flags['real-servers'], name: flags.name, command, resolver})
    if (!r.ok) {
      const problems = sortProblems(r.problems)
      process.stderr.write(`${problems.map(formatProblem).join('\n')}\n${problems.length} problem${problems.length === 1 ? '' : 's'}; nothing was written.\n`)
      return this.exit(EXIT.invalidInventory)
    }
    if (flags.out) writeFileSync(flags.out, r.text)
    else this.log(r.text.trimEnd())
    const todo = r.text.split('\n').filter((l) => l.includes('# TODO')).length
    const written = flags.out ?? 'the inventory above'
    process.stderr.write(`${flags.out ? `wrote ${flags.out}: ` : ''}${r.plan.directors.length} director(s) from [${r.plan.directorGroup}], ${r.plan.realServers.length} real server(s) from [${r.plan.realServerGroup}], ${r.plan.custom.length} other group(s); ${todo} TODO line(s) to review in ${written}\n`)
    process.stderr.write(`${this.check(r.text, flags.out ?? 'imported.yaml')}\n`)
  }

  /** What validate will say once the VRRP password is set: the import's own check of what it wrote. */
  private check(text: string, file: string): string {
    const env = {...process.env, LBCTL_VRRP_PASS: process.env.LBCTL_VRRP_PASS || 'unset'}
    try {
      loadInventoryText(text, file, {env, resolver: systemResolver()})
      return `validate: ok once LBCTL_VRRP_PASS is set; next: review the TODO lines, then lbctl validate ${target(file)}`
    } catch (e) {
      if (!(e instanceof InventoryError)) throw e
      return `validate will report ${e.problems.length} problem(s) in what was imported:\n${sortProblems(e.problems).map((p) => `  ${problemText(p)}`).join('\n')}`
    }
  }
}

const target = (file: string) => (file === 'imported.yaml' ? 'FILE (after --out FILE)' : file)
