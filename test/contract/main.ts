// npm run contract -- [--cases N] [--seed S] [--hostile-random N]: the contract run at any size (default 300
// generated inventories, every hostile string plus 5 random ones per field, a random seed). Exit 1 on a broken promise.
import {parseArgs} from 'node:util'
import {generatedRun, HOSTILE, hostileRun, summary} from './run.js'

const {values} = parseArgs({options: {cases: {type: 'string', default: '300'}, seed: {type: 'string'}, 'hostile-random': {type: 'string', default: '5'}}})
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31)
const started = Date.now()
const generated = await generatedRun(Number(values.cases), seed)
console.log(summary('generated inventories', generated))
const hostile = await hostileRun(seed, {fixed: HOSTILE, randomPerField: Number(values['hostile-random'])})
console.log(summary('hostile strings', hostile))
for (const f of [...generated.failures, ...hostile.failures].slice(0, 20)) console.log(`\n${f}`)
console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s; replay with: npm run contract -- --cases ${values.cases} --seed ${seed}`)
process.exit(generated.failures.length + hostile.failures.length > 0 ? 1 : 0)
