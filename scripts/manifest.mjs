// Writes oclif.manifest.json after `tsc`, as `oclif manifest` would: with it, oclif lists commands without importing
// every command module (and ssh2, listr2, handlebars… behind them) on each start.
import {Plugin} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true})
await plugin.load()
writeFileSync(join(root, 'oclif.manifest.json'), `${JSON.stringify(plugin.manifest, null, 2)}\n`)
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
