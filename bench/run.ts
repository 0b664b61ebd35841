// npm run bench [lab|deploy|failover|lvs|load|status|compare|sim|timeline ...]: runs the named benchmarks (default: lab and deploy) one after another.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

const all = ['lab', 'deploy', 'failover', 'lvs', 'load', 'status', 'compare', 'sim', 'timeline']
const wanted = process.argv.slice(2).filter((a) => all.includes(a))
const extra = process.argv.slice(2).filter((a) => !all.includes(a))
let failed = 0
for (const name of wanted.length ? wanted : ['lab', 'deploy']) {
  const file = join(import.meta.dirname, `${name}.ts`)
  if (!existsSync(file)) {
    console.error(`bench ${name}: not available`)
    failed++
    continue
  }
  console.log(`\n== bench ${name}`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', file, ...extra], {stdio: 'inherit'})
  if (r.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
