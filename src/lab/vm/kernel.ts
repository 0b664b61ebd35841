import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {access, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {LabError, run, runOk} from '../run.js'

/**
 * The directors' kernel: Debian's own linux-image (this machine's kernel may lack IPVS, Debian's has it as modules),
 * fetched once with apt-get download and kept, with only the modules a director needs, under the cache directory.
 */
export interface Kernel {
  version: string
  dir: string
  /** What QEMU boots: the uncompressed ELF (PVH entry, no decompression under TCG: ≈ 1.3 s less per boot), or vmlinuz. */
  image: string
  /** dir/lib/modules/VERSION: the pruned tree, depmod'ed; copied into the initramfs. */
  modulesDir: string
}

export const cacheRoot = () => resolve(process.env.LBCTL_LAB_CACHE ?? '/var/cache/lbctl-lab')
const kernelRoot = () => join(cacheRoot(), 'kernel')

/**
 * Loaded at boot: virtio (PCI transport, net, 9p), overlayfs for the writable root, and IPVS with every scheduler
 * keepalived's lb_algo accepts. crc32c_generic first: libcrc32c (needed by nf_conntrack, which ip_vs needs) asks the
 * crypto API for crc32c and the qemu64 CPU has no SSE4.2 for crc32c-intel. macvlan for use_vmac, 8021q for VLANs.
 */
export const BOOT_MODULES = [
  'virtio_pci', 'virtio_net', '9pnet_virtio', '9p', 'overlay', 'crc32c_generic', 'nf_conntrack', 'ip_vs',
  'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_lc', 'ip_vs_wlc', 'ip_vs_sh', 'ip_vs_dh', 'ip_vs_sed', 'ip_vs_nq', 'ip_vs_lblc',
  'ip_vs_lblcr', 'ip_vs_mh', 'ip_vs_fo', 'ip_vs_ovf', 'macvlan', '8021q',
]

const exists = (p: string) => access(p).then(() => true, () => false)

async function cached(): Promise<Kernel | undefined> {
  let names: string[] = []
  try {
    names = (await readdir(kernelRoot())).filter((n) => !n.startsWith('.')).sort().reverse()
  } catch {
    return undefined
  }
  for (const version of names) {
    try {
      const meta = JSON.parse(await readFile(join(kernelRoot(), version, 'kernel.json'), 'utf8')) as {image: string}
      const k = {version, dir: join(kernelRoot(), version), image: join(kernelRoot(), version, meta.image), modulesDir: join(kernelRoot(), version, 'lib', 'modules', version)}
      if ((await exists(k.image)) && (await exists(join(k.modulesDir, 'modules.dep')))) return k
    } catch {}
  }
  return undefined
}

/** The cached kernel, or fetch it: the package linux-image-amd64 depends on (apt's lists must be current). */
export async function ensureKernel(log: (line: string) => void): Promise<Kernel> {
  const have = await cached()
  if (have) return have
  const deps = await run(['apt-cache', 'depends', 'linux-image-amd64'])
  const pkg = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(deps.stdout)?.[1]
  if (!pkg) throw new LabError(`cannot find Debian's kernel package (apt-cache depends linux-image-amd64: ${(deps.stderr || deps.stdout).trim() || 'no answer'}); run apt-get update first`)
  const version = pkg.replace(/^linux-image-/, '')
  log(`fetching the directors' kernel ${pkg} (once; cached in ${kernelRoot()})`)
  await mkdir(kernelRoot(), {recursive: true, mode: 0o755})
  const tmp = await mkdtemp(join(kernelRoot(), '.fetch-'))
  try {
    await runOk(['apt-get', 'download', '-q', pkg], {cwd: tmp, timeoutMs: 600_000})
    const deb = (await readdir(tmp)).find((f) => f.endsWith('.deb'))
    if (!deb) throw new LabError(`apt-get download ${pkg} left no .deb in ${tmp}`)
    const root = join(tmp, 'root')
    await runOk(['dpkg-deb', '-x', join(tmp, deb), root], {timeoutMs: 300_000})
    const out = join(tmp, 'kernel')
    await mkdir(out)
    const image = await extractVmlinux(join(root, 'boot', `vmlinuz-${version}`), join(out, 'vmlinux'))
      .then(() => 'vmlinux')
      .catch(async () => (await copyFile(join(root, 'boot', `vmlinuz-${version}`), join(out, 'vmlinuz')), 'vmlinuz'))
    await pruneModules(root, version, out)
    await writeFile(join(out, 'kernel.json'), JSON.stringify({package: pkg, version, image, modules: BOOT_MODULES, fetched: new Date().toISOString()}, null, 2) + '\n')
    await rm(join(kernelRoot(), version), {recursive: true, force: true})
    await rename(out, join(kernelRoot(), version))
  } finally {
    await rm(tmp, {recursive: true, force: true})
  }
  return (await cached())!
}

/**
 * Debian's bzImage is a boot stub plus an xz stream of the ELF kernel. --single-stream stops at the end of that
 * stream (the stub's trailer follows it; plain xz calls that "corrupt"). QEMU boots the ELF through its PVH note.
 */
async function extractVmlinux(vmlinuz: string, dest: string): Promise<void> {
  const data = await readFile(vmlinuz)
  const at = data.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
  if (at < 0) throw new Error('no xz stream in the kernel image')
  const fd = openSync(dest, 'w', 0o644)
  const code = await new Promise<number>((done) => {
    const xz = spawn('xz', ['-dc', '--single-stream'], {stdio: ['pipe', fd, 'ignore']})
    xz.on('error', () => done(127))
    xz.on('close', (c) => done(c ?? 1))
    xz.stdin!.on('error', () => {})
    xz.stdin!.end(data.subarray(at))
  })
  closeSync(fd)
  const head = (await readFile(dest)).subarray(0, 4)
  if (code !== 0 || !head.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) throw new Error('xz could not extract the ELF kernel')
}

/** Copy BOOT_MODULES and their dependencies (modprobe --show-depends on the unpacked tree), then depmod the copy. */
async function pruneModules(root: string, version: string, out: string): Promise<void> {
  const src = join(root, 'lib', 'modules', version)
  await runOk(['depmod', '-b', root, version], {timeoutMs: 120_000})
  const files = new Set<string>()
  for (const m of BOOT_MODULES) {
    const r = await run(['modprobe', '-d', root, '-S', version, '--show-depends', m])
    if (r.code !== 0) throw new LabError(`kernel ${version} has no module ${m}: ${r.stderr.trim()}`)
    for (const line of r.stdout.split('\n')) if (line.startsWith('insmod ')) files.add(line.split(/\s+/)[1])
  }
  const dest = join(out, 'lib', 'modules', version)
  for (const f of files) {
    const rel = f.slice(src.length + 1)
    await mkdir(dirname(join(dest, rel)), {recursive: true})
    await copyFile(f, join(dest, rel))
  }
  for (const f of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
    if (await exists(join(src, f))) await copyFile(join(src, f), join(dest, f))
  }
  await runOk(['depmod', '-b', out, version])
}
