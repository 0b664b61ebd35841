/**
 * Runs the real daemons' own config checks on rendered files, without touching the machine's /etc or network:
 *   keepalivedCheck  `keepalived -t -f` in a throwaway network namespace holding the interfaces the config names
 *                    (keepalived -t fails on "interface … doesn't exist"), with /etc/keepalived replaced by a tmpfs in
 *                    a private mount namespace when the config's scripts must exist (it fails on a missing
 *                    vrrp_script file, and enable_script_security inspects the real path).
 *   haproxyCheck     `haproxy -c -f`, with a throwaway self-signed PEM at every `crt` path (haproxy -c loads
 *                    certificates), again on a tmpfs in a private mount namespace.
 *   shellcheck       `shellcheck` and `sh -n` on a script.
 * Both daemons resolve the host names a config uses (HAProxy servers, keepalived's smtp_server) when they load it,
 * and fail on one that does not resolve. lbctl's contract assumes the names resolve on the directors; here each one
 * gets a documentation address in a private /etc/hosts (hostsFile), so no check depends on DNS.
 * Every helper needs the binary; the namespace ones need root. `prerequisites()` says what is missing so a test can
 * skip with a reason instead of failing on a developer laptop.
 */
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {isIPv4} from 'node:net'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

export interface CheckResult {
  ok: boolean
  /** stdout and stderr of the check, for assertion messages. */
  output: string
}

export interface ExtraFile {
  path: string
  content: string
  mode?: number
}

interface Run {
  code: number
  output: string
}

function run(cmd: string, args: string[], opts: {input?: string; timeoutMs?: number} = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, {timeout: opts.timeoutMs ?? 30_000, maxBuffer: 8 << 20}, (error, stdout, stderr) => {
      // A non-zero exit gives a numeric code; a binary that cannot start gives a string (ENOENT), a timeout null.
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0
      resolve({code, output: `${stdout}${stderr}`})
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await run(cmd, args)
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.output}`)
  return r.output
}

function which(bin: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => existsSync(join(d, bin)))
}

/** What stops a helper from running here, or null. */
export function prerequisites(what: 'keepalived' | 'haproxy' | 'shellcheck' | 'netns'): string | null {
  const root = process.getuid?.() === 0
  switch (what) {
    case 'keepalived':
      return !which('keepalived') ? 'keepalived is not installed' : !root ? 'keepalived -t runs in a network namespace: needs root' : null
    case 'haproxy':
      return !which('haproxy') ? 'haproxy is not installed' : !root ? 'haproxy -c with certificates needs a mount namespace: needs root' : null
    case 'shellcheck':
      return which('shellcheck') ? null : 'shellcheck is not installed'
    case 'netns':
      return !which('ip') ? 'iproute2 is not installed' : !root ? 'network namespaces need root' : null
  }
}

let nsCounter = 0

/** A fresh network namespace; `fn` gets its name; the namespace is deleted afterwards whatever happens. */
export async function withNetns<T>(fn: (ns: string) => Promise<T>): Promise<T> {
  const ns = `lbctl-t${process.pid}-${++nsCounter}`
  await must('ip', ['netns', 'add', ns])
  try {
    return await fn(ns)
  } finally {
    await run('ip', ['netns', 'del', ns])
  }
}

/**
 * An interface that exists as far as keepalived is concerned. The dummy driver is not available on every kernel
 * (it is a module; the CI VM has no /lib/modules), a bridge always is and takes any name up to 15 characters.
 */
export async function addInterface(ns: string, name: string): Promise<void> {
  if (name === 'lo') return
  for (const type of ['dummy', 'bridge']) {
    // "name": a short name like "l" or "a" would otherwise be read as an abbreviated ip keyword (link, address).
    if ((await run('ip', ['-n', ns, 'link', 'add', 'name', name, 'type', type])).code === 0) return
  }
  throw new Error(`cannot create interface ${name} in namespace ${ns}`)
}

/** Every interface a keepalived.conf names: instance interfaces, `dev` of VIPs and routes, tracked interfaces. */
export function keepalivedInterfaces(conf: string): string[] {
  const found = new Set<string>()
  for (const m of conf.matchAll(/^\s*interface\s+(\S+)/gm)) found.add(m[1]!)
  for (const m of conf.matchAll(/\bdev\s+(\S+)/g)) found.add(m[1]!)
  for (const block of conf.matchAll(/track_interface\s*\{([^}]*)\}/g)) {
    for (const line of block[1]!.split('\n')) {
      const name = line.trim().split(/\s+/)[0]
      if (name) found.add(name)
    }
  }
  return [...found].sort()
}

/** Host names a config makes its daemon resolve: HAProxy `server NAME HOST:PORT`, keepalived `smtp_server HOST`. */
export function hostNamesIn(conf: string): string[] {
  const hosts = [...conf.matchAll(/^\s*server\s+\S+\s+([^\s:]+):\d+/gm), ...conf.matchAll(/^\s*smtp_server\s+(\S+)/gm)].map((m) => m[1]!)
  return [...new Set(hosts.filter((h) => !isIPv4(h)))].sort()
}

/** An /etc/hosts giving every name a TEST-NET-1 address (RFC 5737), and localhost its own. */
function hostsFile(names: string[]): string {
  return ['127.0.0.1 localhost', ...names.map((n, i) => `192.0.2.${(i % 250) + 1} ${n}`)].join('\n') + '\n'
}

async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `lbctl-${prefix}-`))
}

/**
 * `keepalived -t -f` on `conf`. `files` are companions keepalived inspects at load (the check-haproxy and notify
 * scripts): they are written under a tmpfs mounted over /etc/keepalived in a private mount namespace, where the
 * config is placed too, exactly as a director would hold them.
 */
export async function keepalivedCheck(conf: string, opts: {files?: ExtraFile[]; interfaces?: string[]} = {}): Promise<CheckResult> {
  const files = opts.files ?? []
  for (const f of files) {
    if (!f.path.startsWith('/etc/keepalived/')) throw new Error(`keepalivedCheck: companion file ${f.path} must live under /etc/keepalived/`)
  }
  const dir = await tempDir('keepalived')
  try {
    await writeFile(join(dir, 'keepalived.conf'), conf, {mode: 0o644})
    await writeFile(join(dir, 'hosts'), hostsFile(hostNamesIn(conf)))
    for (const f of files) {
      const p = join(dir, 'files', f.path.slice('/etc/keepalived/'.length))
      await mkdir(dirname(p), {recursive: true})
      await writeFile(p, f.content)
      await chmod(p, f.mode ?? 0o755)
    }
    // tmpfs defaults to mode 1777, which enable_script_security rejects as an unsafe parent of every script.
    const script = [
      'set -e',
      'mount -t tmpfs -o mode=0755 lbctl-keepalived-test /etc/keepalived',
      `mount --bind ${dir}/hosts /etc/hosts`,
      files.length > 0 ? `cp -pR ${dir}/files/. /etc/keepalived/` : ':',
      `cp -p ${dir}/keepalived.conf /etc/keepalived/keepalived.conf`,
      'exec keepalived -t -f /etc/keepalived/keepalived.conf',
    ].join('\n')
    return await withNetns(async (ns) => {
      for (const iface of opts.interfaces ?? keepalivedInterfaces(conf)) await addInterface(ns, iface)
      const r = await run('ip', ['netns', 'exec', ns, 'unshare', '--mount', '--propagation', 'private', 'sh', '-c', script])
      return {ok: r.code === 0, output: r.output}
    })
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

let pemCache: string | undefined

/** A self-signed certificate + key in one PEM, as HAProxy's `crt` wants; made once per test run. */
async function selfSignedPem(): Promise<string> {
  if (pemCache !== undefined) return pemCache
  const dir = await tempDir('pem')
  try {
    await must('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=lbctl-test.invalid', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')])
    pemCache = (await readFile(join(dir, 'cert.pem'), 'utf8')) + (await readFile(join(dir, 'key.pem'), 'utf8'))
    return pemCache
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

// Mounting a tmpfs over one of these would hide what haproxy -c itself needs (users, libraries).
const TOO_WIDE = new Set(['/', '/etc', '/usr', '/var', '/lib', '/run', '/tmp'])

/**
 * `haproxy -c -f` on `cfg`. For every `crt PATH` a throwaway self-signed PEM is put at PATH: the existing directory
 * closest to PATH gets a tmpfs in a private mount namespace, so nothing is written to the machine's real /etc.
 */
export async function haproxyCheck(cfg: string): Promise<CheckResult> {
  const dir = await tempDir('haproxy')
  try {
    const cfgPath = join(dir, 'haproxy.cfg')
    await writeFile(cfgPath, cfg)
    const crts = [...new Set([...cfg.matchAll(/\bcrt\s+(\S+)/g)].map((m) => m[1]!))]
    const names = hostNamesIn(cfg)
    await writeFile(join(dir, 'hosts'), hostsFile(names))
    if (crts.length === 0 && names.length === 0) {
      const r = await run('haproxy', ['-c', '-f', cfgPath])
      return {ok: r.code === 0, output: r.output}
    }
    const pem = join(dir, 'test.pem')
    if (crts.length > 0) await writeFile(pem, await selfSignedPem(), {mode: 0o600})
    const mounts = new Set<string>()
    for (const crt of crts) {
      let root = dirname(crt)
      while (!existsSync(root)) root = dirname(root)
      if (TOO_WIDE.has(root)) throw new Error(`haproxyCheck: ${crt} would need a tmpfs over ${root}; put certificates in a directory of their own (e.g. /etc/haproxy/certs)`)
      mounts.add(root)
    }
    const roots = [...mounts].sort().filter((r, i, all) => !all.slice(0, i).some((a) => r.startsWith(`${a}/`)))
    const script = [
      'set -e',
      ...(names.length ? [`mount --bind ${dir}/hosts /etc/hosts`] : []),
      ...roots.map((r) => `mount -t tmpfs -o mode=0755 lbctl-haproxy-test ${r}`),
      ...crts.map((c) => `mkdir -p ${dirname(c)} && cp ${pem} ${c}`),
      `exec haproxy -c -f ${cfgPath}`,
    ].join('\n')
    const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script])
    return {ok: r.code === 0, output: r.output}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** shellcheck (POSIX sh dialect, every warning level) and `sh -n`; ok only when both are clean. */
export async function shellcheck(script: string): Promise<CheckResult> {
  const dir = await tempDir('sh')
  try {
    const file = join(dir, 'script.sh')
    await writeFile(file, script, {mode: 0o755})
    const syntax = await run('sh', ['-n', file])
    const lint = await run('shellcheck', ['--shell=sh', '--severity=style', file])
    return {ok: syntax.code === 0 && lint.code === 0, output: `${syntax.output}${lint.output}`}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** Runs `sh FILE ARGS…` inside network namespace `ns`; for scripts that must touch only that namespace. */
export async function runScriptInNetns(ns: string, script: string, args: string[]): Promise<Run> {
  const dir = await tempDir('run')
  try {
    const file = join(dir, 'script.sh')
    await writeFile(file, script, {mode: 0o755})
    return await run('ip', ['netns', 'exec', ns, 'sh', file, ...args])
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** Runs a command inside network namespace `ns`. */
export function inNetns(ns: string, cmd: string, args: string[]): Promise<Run> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args])
}
