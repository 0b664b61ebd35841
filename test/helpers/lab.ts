/**
 * Test labs: real namespace clusters (lbctl lab up) with helpers to look inside hosts without SSH and to run the
 * built CLI the way a user does. Every test lab is named it* so scripts/test.sh can sweep leftovers.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {labDown, labExec, labUp} from '../../src/lab/index.js'

export const ROOT = join(import.meta.dirname, '..', '..')

export interface TestLab {
  name: string
  inventory: string
  inventoryDir: string
  /** A shell command line inside a lab host (nsenter, no SSH). */
  sh(host: string, command: string): Promise<{code: number; stdout: string; stderr: string}>
  down(): Promise<void>
}

export async function upLab(name: string, subnet: string, opts: {realServers?: number; directors?: number} = {}): Promise<TestLab> {
  const inventoryDir = mkdtempSync(join(tmpdir(), `lbctl-${name}-`))
  await labDown({name, inventoryDir}).catch(() => undefined)
  await labUp({name, subnet, inventoryDir, realServers: opts.realServers ?? 3, directors: opts.directors ?? 2})
  return {
    name,
    inventoryDir,
    inventory: join(inventoryDir, `${name}.yaml`),
    sh: (host, command) => labExec(name, host, ['sh', '-c', command]),
    down: async () => {
      await labDown({name, inventoryDir})
      rmSync(inventoryDir, {recursive: true, force: true})
    },
  }
}

/** A lab with the cluster its inventory describes deployed on it (the usual start of an integration test). */
export async function upDeployedLab(name: string, subnet: string, opts: {realServers?: number; directors?: number} = {}): Promise<TestLab> {
  const lab = await upLab(name, subnet, opts)
  const d = await lbctl(['deploy', lab.inventory, '--json'])
  if (d.code !== 0) throw new Error(`deploy of lab ${name} failed (exit ${d.code}):\n${d.stdout}\n${d.stderr}`)
  return lab
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs the built CLI (bin/run.js → dist), as a user would, with CI=1 so progress is plain text. */
export function lbctl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env: {...process.env, CI: '1', ...env}})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}))
  })
}

/** sha256 of every file lbctl manages or keeps on a host, the release names and `current`: "no byte changed" is equality. */
export async function snapshot(lab: TestLab, host: string): Promise<string> {
  const r = await lab.sh(
    host,
    // Contents only: a refused run takes and gives back the lock (mkdir/rmdir in /var/lib/lbctl), which moves a
    // directory's mtime but changes no file.
    'for d in /etc/keepalived /etc/haproxy /etc/sysctl.d /etc/lbctl /var/lib/lbctl; do [ -d "$d" ] && find "$d" -type f -exec sha256sum {} + ; done | sort; ls -1 /var/lib/lbctl/releases 2>/dev/null; readlink /var/lib/lbctl/releases/current 2>/dev/null; true',
  )
  return r.stdout
}

export function freshDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` naming what it waited for. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}
