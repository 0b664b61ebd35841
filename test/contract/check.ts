/**
 * The contract, for one inventory text: validate either refuses it with problems at lines of the file, or every file
 * it renders passes the program that will read it — keepalived -t, haproxy -c without a warning, shellcheck and
 * sh -n. Daemon checks are cached by content: most inventories share most files.
 */
import {createHash} from 'node:crypto'
import {InventoryError, loadInventoryText, type Cluster, type Problem} from '../../src/inventory/index.js'
import {tableResolver} from '../../src/inventory/names.js'
import {renderCluster, type RenderedFile} from '../../src/render/index.js'
import {haproxyCheck, keepalivedCheck, shellcheck, type CheckResult} from '../helpers/daemons.js'

export interface Outcome {
  /** `rejected`: validate refused it; `rendered`: validate accepted it and every file was checked. */
  verdict: 'rejected' | 'rendered'
  problems: Problem[]
  cluster?: Cluster
  files: RenderedFile[]
  /** Each broken promise: a crash, a problem without a line, a file a daemon refused. */
  failures: string[]
}

const cache = new Map<string, Promise<CheckResult>>()
let running = 0
const waiting: Array<() => void> = []

/** At most two daemon checks at a time: the machine may be a busy 2-core VM, and nothing here depends on timing. */
async function limited<T>(job: () => Promise<T>): Promise<T> {
  if (running >= 2) await new Promise<void>((r) => waiting.push(r))
  running++
  try {
    return await job()
  } finally {
    running--
    waiting.shift()?.()
  }
}

function once(kind: string, content: string, extra: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  const key = createHash('sha256').update(`${kind}\0${content}\0${extra}`).digest('hex')
  let p = cache.get(key)
  if (!p) cache.set(key, (p = limited(run)))
  return p
}

export const daemonStats = () => ({distinctChecks: cache.size})

/** The scripts keepalived inspects when it loads the config: they sit next to it on a director. */
const companions = (files: RenderedFile[]) => files.filter((f) => f.kind === 'script' && f.path.startsWith('/etc/keepalived/'))

export async function checkFile(f: RenderedFile, all: RenderedFile[]): Promise<string | undefined> {
  let r: CheckResult | undefined
  if (f.validate === 'keepalived') {
    const files = companions(all)
    r = await once('keepalived', f.content, files.map((x) => `${x.path}\0${x.content}`).join('\0'), () => keepalivedCheck(f.content, {files}))
  } else if (f.validate === 'haproxy') {
    r = await once('haproxy', f.content, '', () => haproxyCheck(f.content))
    if (r.ok && /\[WARNING\]/.test(r.output)) return `haproxy -c warned on ${f.path}:\n${r.output}`
  } else if (f.kind === 'script') {
    r = await once('shell', f.content, '', () => shellcheck(f.content))
  }
  return r && !r.ok ? `${f.validate ?? 'shellcheck'} refused ${f.path}:\n${r.output}` : undefined
}

/**
 * `hosts` is what the inventory's host names resolve to where lbctl validates (never DNS). The daemons' checks give
 * every name they meet an address of their own (daemons.ts): the contract holds provided the names resolve on the
 * directors.
 */
export async function checkInventory(text: string, env: NodeJS.ProcessEnv, opts: {daemons?: boolean; hosts?: Readonly<Record<string, string>>} = {}): Promise<Outcome> {
  let cluster: Cluster
  try {
    cluster = loadInventoryText(text, 'generated.yaml', {env, resolver: tableResolver(opts.hosts ?? {})}).cluster
  } catch (e) {
    if (!(e instanceof InventoryError)) return {verdict: 'rejected', problems: [], files: [], failures: [`validate crashed: ${e instanceof Error ? e.stack : String(e)}`]}
    const lost = e.problems.filter((p) => p.line < 1)
    return {verdict: 'rejected', problems: e.problems, files: [], failures: lost.map((p) => `a problem without a line: ${p.path}: ${p.message}`)}
  }
  const failures: string[] = []
  const files: RenderedFile[] = []
  let hosts: ReturnType<typeof renderCluster>
  try {
    hosts = renderCluster(cluster)
  } catch (e) {
    return {verdict: 'rendered', problems: [], cluster, files, failures: [`render failed after validate accepted: ${e instanceof Error ? e.message : String(e)}`]}
  }
  for (const {host, files: own} of hosts) {
    files.push(...own)
    if (opts.daemons === false) continue
    const results = await Promise.all(own.map((f) => checkFile(f, own)))
    for (const r of results) if (r) failures.push(`${host}: ${r}`)
  }
  return {verdict: 'rendered', problems: [], cluster, files, failures}
}
