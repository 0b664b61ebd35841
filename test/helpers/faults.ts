/**
 * Faults fired at exact moments of a real run: the CLI stops itself at a named point (LBCTL_PAUSE_AT, see
 * src/playbook/host-tasks.ts), the test breaks something — kills the controller, cuts its SSH session, takes a link
 * down, fills a disk — and lets it go on. Nothing here waits a fixed time for something to happen.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {ROOT, waitFor, type CliResult, type TestLab} from './lab.js'

export interface PausedRun {
  pid: number
  /** The run's end, and how long it took from resume() (or from the start when never paused). */
  done: Promise<CliResult & {afterResumeMs: number}>
  signal(sig: NodeJS.Signals): void
  resume(): void
}

/** Runs the built CLI and resolves once it has stopped itself at `pauseAt` ("after:director files@lb2"). */
export async function pausedCli(args: string[], pauseAt: string, env: NodeJS.ProcessEnv = {}): Promise<PausedRun> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], {cwd: ROOT, env: {...process.env, CI: '1', LBCTL_PAUSE_AT: pauseAt, ...env}})
  let stdout = ''
  let stderr = ''
  let resumedAt = Date.now()
  child.stdout!.on('data', (d) => (stdout += d))
  child.stderr!.on('data', (d) => (stderr += d))
  const done = new Promise<CliResult & {afterResumeMs: number}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, sig) => resolve({code: code ?? (sig === 'SIGKILL' ? 137 : -1), stdout, stderr, afterResumeMs: Date.now() - resumedAt}))
  })
  let ended = false
  void done.then(() => (ended = true))
  await waitFor(`lbctl ${args.join(' ')} to pause at ${pauseAt}`, 180_000, async () => {
    if (ended) throw new Error(`lbctl ended before pausing at ${pauseAt}:\n${stdout}\n${stderr}`)
    return stderr.includes(`paused at ${pauseAt.replace(/@(.*)$/, ' on $1')}`) ? true : undefined
  })
  return {
    pid: child.pid!,
    done,
    signal: (sig) => void child.kill(sig),
    resume: () => {
      resumedAt = Date.now()
      child.kill('SIGCONT')
    },
  }
}

// Waits (inotify) for a file ending in $2 to appear in directory $1, then kills every SSH session on the host:
// within a millisecond of the file's creation, long before the install that creates it has validated anything.
const CUT_ON_CREATE = `import ctypes, os, signal, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init()
libc.inotify_add_watch(fd, sys.argv[1].encode(), 0x100 | 0x80)
open("/tmp/lbctl-watch-ready", "w").write("ready")
while True:
    buf, i = os.read(fd, 4096), 0
    while i < len(buf):
        wd, mask, cookie, n = struct.unpack_from("iIII", buf, i)
        name, i = buf[i + 16:i + 16 + n].rstrip(b"\\0").decode(), i + 16 + n
        if name.endswith(sys.argv[2]):
            for p in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if open("/proc/%s/cmdline" % p, "rb").read().startswith(b"sshd: ") and b"@notty" in open("/proc/%s/cmdline" % p, "rb").read():
                        os.kill(int(p), signal.SIGKILL)
                except OSError:
                    pass
            sys.exit(0)
`

/** Arms an inotify watch on the host; resolves once armed, with `fired`: the watch's end (it has cut the sessions). */
export async function cutSessionsWhenCreated(lab: TestLab, host: string, dir: string, suffix: string): Promise<{fired: Promise<unknown>}> {
  await lab.sh(host, 'rm -f /tmp/lbctl-watch-ready')
  const b64 = Buffer.from(CUT_ON_CREATE).toString('base64')
  const fired = lab.sh(host, `echo ${b64} | base64 -d > /tmp/lbctl-watch.py && timeout 300 python3 /tmp/lbctl-watch.py ${dir} ${suffix}`)
  await waitFor(`the watch on ${host}:${dir}`, 60_000, async () => ((await lab.sh(host, 'cat /tmp/lbctl-watch-ready 2>/dev/null')).stdout === 'ready' ? true : undefined))
  // Wrapped: an async function returning the promise itself would wait for it.
  return {fired}
}

/** Kills every SSH session on the host (not its sshd listener): the controller's connection drops at once. */
export async function killSessions(lab: TestLab, host: string): Promise<void> {
  await lab.sh(host, "pkill -KILL -f '^sshd: [a-z]+@notty' || true")
}

/**
 * Cuts the host off from the controller only (a blackhole route to the controller's address): the host goes on
 * serving clients and VRRP, but no SSH packet comes back — what a link down looks like from the controller.
 */
export async function cutFromController(lab: TestLab, host: string, controller: string): Promise<() => Promise<void>> {
  await lab.sh(host, `ip route add blackhole ${controller}/32`)
  return async () => void (await lab.sh(host, `ip route del blackhole ${controller}/32`))
}

/**
 * Fills the filesystem of `dir` on the host: a small tmpfs over it holding a copy of what was there, then a filler.
 * The returned function removes the filler (the tmpfs stays, with whatever was written to it meanwhile).
 */
export async function fillDisk(lab: TestLab, host: string, dir: string): Promise<() => Promise<void>> {
  const r = await lab.sh(
    host,
    `set -e; mountpoint -q ${dir} && grep -q " ${dir} tmpfs " /proc/mounts || { rm -rf /tmp/keep; cp -a ${dir} /tmp/keep; mount -t tmpfs -o size=4m,mode=755 tmpfs ${dir}; cp -a /tmp/keep/. ${dir}/; }
     dd if=/dev/zero of=${dir}/.filler bs=4k >/dev/null 2>&1 || true; dd if=/dev/zero of=${dir}/.filler2 bs=1 >/dev/null 2>&1 || true; df -k ${dir} | tail -n 1`,
  )
  if (r.code !== 0) throw new Error(`cannot fill ${dir} on ${host}: ${r.stderr}`)
  return async () => void (await lab.sh(host, `rm -f ${dir}/.filler ${dir}/.filler2`))
}

/** What bench/loadgen.mjs prints when stopped. */
export interface LoadResult {
  sent: number
  failed: number
  failures: Record<string, number>
  failedAt: {at: number; detail: string}[]
  outageMs: number
  slowestMs: number
  longestStallMs: number
}

/**
 * An open-loop client load through the VIP from the lab's client host (bench/loadgen.mjs) until stopped.
 * `mark(name)` notes what the test is doing from now on, so a failed request is reported with the step it fell in.
 */
export function startLoad(labName: string, url: string, rate: number): {stop: () => Promise<LoadResult>; mark: (step: string) => void; explain: (r: LoadResult) => string} {
  const c = spawn('ip', ['netns', 'exec', `lbctl.${labName}.client`, process.execPath, join(ROOT, 'bench', 'loadgen.mjs'), url, String(rate)], {stdio: ['pipe', 'pipe', 'inherit']})
  let out = ''
  c.stdout!.on('data', (d) => (out += d))
  const ended = new Promise<void>((resolve) => c.on('close', () => resolve()))
  const steps: {at: number; step: string}[] = [{at: Date.now(), step: 'start'}]
  let result: Promise<LoadResult> | undefined
  return {
    stop: () =>
      (result ??= (async () => {
        c.stdin!.end()
        await ended
        return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult
      })()),
    mark: (step) => void steps.push({at: Date.now(), step}),
    explain: (r) =>
      JSON.stringify({
        ...r,
        failedAt: r.failedAt?.map((f) => ({...f, at: new Date(f.at).toISOString(), during: [...steps].reverse().find((s) => s.at <= f.at)?.step})),
      }),
  }
}
