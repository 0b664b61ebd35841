import {describePem} from '../inventory/certs.js'
import {Command, Flags} from '@oclif/core'
import {mkdirSync, writeFileSync, chmodSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {redact} from '../render/secret-lines.js'
import {renderCluster} from '../render/index.js'
import {inventoryArg, loadOrExit} from '../cli/inventory.js'
import {jsonText} from '../report/json.js'

export default class Render extends Command {
  static description = `Render every file each host needs (keepalived.conf, haproxy.cfg, sysctl drop-ins, ipvsadm rules, real-server and notify scripts) without contacting any host.
Printed output masks secrets (VRRP and stats passwords, anything from \${env:} or \${file:}) unless --show-secrets; files written with --out contain the real values, with the mode each has on the hosts (keepalived.conf and haproxy.cfg 0600 when they hold a password, scripts executable).`

  static examples = [
    '<%= config.bin %> render prod',
    '<%= config.bin %> render prod --host lb1',
    '<%= config.bin %> render prod --out out/prod',
    '<%= config.bin %> render prod --json',
  ]

  static args = {inventory: inventoryArg}
  static flags = {
    host: Flags.string({description: 'Only this host (repeatable)', multiple: true}),
    out: Flags.string({description: 'Write files under DIR/HOST/<absolute path> instead of printing them'}),
    'show-secrets': Flags.boolean({description: 'Print secrets in clear text (never the default)'}),
    json: Flags.boolean({description: 'Print hosts and files as JSON (contents masked unless --show-secrets)'}),
    'no-secrets': Flags.boolean({exclusive: ['out', 'show-secrets'], description: 'Render without reading any ${env:…} or ${file:…} (each stands for a placeholder, masked like any secret): the printed files, in CI'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Render)
    const {cluster} = loadOrExit(this, args.inventory, flags.json, undefined, {noSecrets: flags['no-secrets']})
    const known = [...cluster.directors, ...cluster.realServers].map((h) => h.name)
    for (const h of flags.host ?? []) {
      if (!known.includes(h)) this.error(redact(`host "${h}" is not in inventory ${cluster.name} (hosts: ${known.join(', ')})`, cluster.secrets), {exit: 2})
    }
    const hosts = renderCluster(cluster).filter((h) => !flags.host || flags.host.includes(h.host))
    const show = (text: string) => (flags['show-secrets'] ? text : redact(text, cluster.secrets))
    // A certificate is shown by what identifies it, never by its content (the private key is in it).
    const body = (f: {kind: string; content: string}) => (f.kind === 'certificate' && !flags['show-secrets'] ? `${describePem(f.content)}\n` : show(f.content))

    if (flags.out) {
      for (const {host, files} of hosts) {
        for (const f of files) {
          const target = join(flags.out, host, f.path)
          mkdirSync(dirname(target), {recursive: true})
          // The mode each file has on the hosts: by its kind, root-only where a secret-bearing file holds one.
          writeFileSync(target, f.content, {mode: f.mode})
          chmodSync(target, f.mode)
        }
      }
    }

    if (flags.json) {
      const out = hosts.map(({host, files}) => ({
        host,
        files: files.map((f) => ({
          path: f.path,
          kind: f.kind,
          mode: `0${f.mode.toString(8)}`,
          content: flags.out ? undefined : body(f),
        })),
      }))
      this.log(show(jsonText({cluster: cluster.name, out: flags.out, hosts: out})))
      return
    }
    for (const {host, files} of hosts) {
      for (const f of files) {
        if (flags.out) this.log(`wrote ${join(flags.out, host, f.path)}`)
        else this.log(`==> ${host}:${f.path} (${f.kind}, mode 0${f.mode.toString(8)}) <==\n${body(f)}`)
      }
    }
  }
}
