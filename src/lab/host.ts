import {spawn} from 'node:child_process'
import {closeSync, openSync} from 'node:fs'
import {access, chmod, cp, mkdir, readFile, truncate, writeFile} from 'node:fs/promises'
import {connect} from 'node:net'
import {join} from 'node:path'
import type {LabHostPlan, LabPlan} from './plan.js'
import {LabError, runOk} from './run.js'
import {cmd, quote} from './sh.js'

// What a lab host keeps to itself, like a separate machine would: the files lbctl deploys, the pid files and sockets
// in /run (/var/run is a symlink to it), scratch space, and root's home (the operator's ~/.bashrc can cost 200 ms
// per ssh command; shell history and ~/.ssh stay per host). Everything else (binaries, /usr, /etc/ssh) is the machine's.
export const PRIVATE_DIRS = ['/etc/keepalived', '/etc/haproxy', '/etc/sysctl.d', '/etc/lbctl', '/etc/systemd/system', '/run', '/var/lib/lbctl', '/tmp', '/root']
// These start as a copy of the machine's (package defaults such as /etc/haproxy/errors/), as on a fresh host with the
// packages installed; the rest start empty.
const SEEDED_DIRS = new Set(['/etc/keepalived', '/etc/haproxy', '/etc/sysctl.d', '/etc/systemd/system'])

// A clean environment for the host's daemons: the CGI script would otherwise print the operator's environment, and
// sshd sessions should not inherit whatever `lab up` was started with.
export const HOST_ENV = {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root'}

export const hostKeyPath = (h: LabHostPlan) => join(h.dir, 'ssh_host_ed25519_key')
export const initLogPath = (h: LabHostPlan) => join(h.dir, 'init.log')
/** Also how teardown recognises a host's init whose namespace lost its name: this path is in its argv. */
export const initScriptPath = (h: LabHostPlan) => join(h.dir, 'init.sh')
export const wwwDir = (h: LabHostPlan) => join(h.dir, 'www')
export const httpdConfigPath = (h: LabHostPlan) => join(h.dir, 'lighttpd.conf')
/** Outside the web root, so it is served only as the CGI behind /echo, never as a file. */
const echoScriptPath = (h: LabHostPlan) => join(h.dir, 'echo.cgi')
const fsDir = (h: LabHostPlan, path: string) => join(h.dir, 'fs', path)

const exists = (p: string) => access(p).then(() => true, () => false)

/** sshd reads its key and config from the state directory after the binds: it must not sit under a private one. */
export function checkStateDirVisible(stateDir: string): void {
  const hidden = PRIVATE_DIRS.find((d) => stateDir === d || stateDir.startsWith(`${d}/`) || (d === '/run' && stateDir.startsWith('/var/run/')))
  if (hidden) {
    throw new LabError(`the lab state directory ${stateDir} is under ${hidden}, which every lab host replaces with its own; ` +
      'set LBCTL_LAB_DIR to a directory elsewhere (default /var/lib/lbctl-lab)')
  }
}

/** Directories, host key, sshd_config and (real servers) the web root; keeps what a previous `lab up` made. */
export async function prepareHost(plan: LabPlan, h: LabHostPlan): Promise<void> {
  await mkdir(h.dir, {recursive: true, mode: 0o700})
  for (const d of PRIVATE_DIRS) {
    const target = fsDir(h, d)
    if (await exists(target)) continue
    await mkdir(target, {recursive: true, mode: 0o755})
    if (SEEDED_DIRS.has(d) && (await exists(d))) await cp(d, target, {recursive: true, verbatimSymlinks: true, force: false})
  }
  await chmod(fsDir(h, '/tmp'), 0o1777)
  await chmod(fsDir(h, '/root'), 0o700)
  // Debian's stock dotfiles for root, as on a freshly installed host.
  for (const f of ['bashrc', 'profile']) {
    const stock = `/usr/share/base-files/dot.${f}`
    const dest = join(fsDir(h, '/root'), `.${f}`)
    if ((await exists(stock)) && !(await exists(dest))) await cp(stock, dest)
  }
  // sshd refuses to start without its privilege-separation directory; /run/lock is where flock users expect it;
  // /run/haproxy is what the haproxy package's unit would create (RuntimeDirectory), for its admin socket.
  await mkdir(fsDir(h, '/run/sshd'), {recursive: true, mode: 0o755})
  await mkdir(fsDir(h, '/run/haproxy'), {recursive: true, mode: 0o755})
  await mkdir(fsDir(h, '/run/lock'), {recursive: true})
  await chmod(fsDir(h, '/run/lock'), 0o1777)
  if (!(await exists(hostKeyPath(h)))) {
    await runOk(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `root@${h.name}.${plan.name}.lab`, '-f', hostKeyPath(h)])
  }
  await writeFile(join(h.dir, 'sshd_config'), sshdConfig(plan, h), {mode: 0o600})
  await writeFile(initScriptPath(h), initScript(plan, h), {mode: 0o700})
  if (h.role === 'real_server') {
    await mkdir(wwwDir(h), {recursive: true})
    // `/` is a static file: failover probes and load tests hit it many times a second, and a CGI forking a shell per
    // request would make the real servers, not the failover, what they measure. The echo CGI has its own path.
    await writeFile(join(wwwDir(h), 'index.html'), `server=${h.name}\n`)
    await writeFile(echoScriptPath(h), echoScript(h), {mode: 0o755})
    await writeFile(httpdConfigPath(h), httpdConfig(plan, h))
    // Remove it to make HAProxy's httpchk fail this server.
    if (!(await exists(join(wwwDir(h), 'health')))) await writeFile(join(wwwDir(h), 'health'), 'ok\n')
    // 8 MiB at 32 KiB/s: four minutes of a connection that keeps moving data.
    if (!(await exists(join(wwwDir(h), 'stream')))) {
      await writeFile(join(wwwDir(h), 'stream'), '')
      await truncate(join(wwwDir(h), 'stream'), 8 << 20) // sparse: no disk used
    }
  }
}

/** sshd options every lab host shares, namespace or VM: key-only root logins, no PAM, room for many channels. */
export const SSHD_COMMON = [
  'PidFile /run/sshd.pid',
  'PermitRootLogin prohibit-password',
  'PubkeyAuthentication yes',
  'PasswordAuthentication no',
  'KbdInteractiveAuthentication no',
  // PAM would run the machine's session stack (systemd-logind, motd) for a host that has neither.
  'UsePAM no',
  'UseDNS no',
  'PrintMotd no',
  'AcceptEnv LANG LC_*',
  'Subsystem sftp internal-sftp',
  // A deploy opens several channels per connection and many connections at once.
  'MaxSessions 64',
  'MaxStartups 100:30:200',
]

export function sshdConfig(plan: LabPlan, h: LabHostPlan): string {
  return [
    `# sshd of lab host ${h.name} (lab ${plan.name}); rewritten by every \`lbctl lab up\`.`,
    `ListenAddress ${h.address}:22`,
    `HostKey ${hostKeyPath(h)}`,
    // PidFile /run/sshd.pid is inside the host's private /run, so each host's sshd has its own.
    `AuthorizedKeysFile ${join(plan.stateDir, 'authorized_keys')}`,
    ...SSHD_COMMON,
    '',
  ].join('\n')
}

// The first line of every answer is exactly `server=NAME`: tests and failover probes parse it. `/echo` (and anything
// below it) also prints the request: Host, X-Forwarded-For and Cookie always (empty when absent) so checks of
// forwarding and stickiness can rely on the lines, then the other request headers, sorted. lighttpd hands every
// request header to CGI as HTTP_NAME.
export function echoScript(h: LabHostPlan): string {
  return `#!/bin/sh
# Lab real server ${h.name}: says who answered and what it was asked.
printf 'Content-Type: text/plain\\r\\n\\r\\n'
printf 'server=%s\\n' ${quote(h.name)}
printf 'request: %s %s %s\\n' "$REQUEST_METHOD" "$REQUEST_URI" "$SERVER_PROTOCOL"
printf 'remote: %s:%s\\n' "$REMOTE_ADDR" "$REMOTE_PORT"
printf 'host: %s\\n' "$HTTP_HOST"
printf 'x-forwarded-for: %s\\n' "$HTTP_X_FORWARDED_FOR"
printf 'cookie: %s\\n' "$HTTP_COOKIE"
env | awk '/^HTTP_[A-Z0-9_]*=/ && !/^HTTP_(HOST|X_FORWARDED_FOR|COOKIE)=/ {
  i = index($0, "="); k = tolower(substr($0, 6, i - 6)); gsub("_", "-", k); print k ": " substr($0, i + 1) }' | sort
`
}

/**
 * lighttpd: one event-driven process per real server (about 2 MiB), thousands of new connections a second on two
 * cores, where busybox httpd's fork per connection managed a few hundred. Its pid file is in the host's private /run.
 */
export function httpdConfig(plan: LabPlan, h: LabHostPlan): string {
  const s = (v: string) => JSON.stringify(v)
  return [
    `# HTTP service of lab real server ${h.name} (lab ${plan.name}); rewritten by every \`lbctl lab up\`.`,
    `server.document-root = ${s(wwwDir(h))}`,
    // LVS-DR delivers packets still addressed to the VIP (on lo once deployed): listen on every address there.
    `server.bind = ${s(plan.topology === 'lvs-dr' ? '0.0.0.0' : h.address)}`,
    'server.port = 80',
    'server.pid-file = "/run/lighttpd.pid"',
    `server.errorlog = ${s(join(h.dir, 'lighttpd.log'))}`,
    'server.modules = ("mod_alias", "mod_cgi")',
    'index-file.names = ("index.html")',
    'mimetype.assign = ("" => "text/plain")',
    `alias.url = ("/echo" => ${s(echoScriptPath(h))})`,
    'cgi.assign = (".cgi" => "")',
    // A long download at a trickle: failover tests keep connections busy through a fault with it (--established).
    '$HTTP["url"] =~ "^/stream" { connection.kbytes-per-second = 32 }',
    '',
  ].join('\n')
}

/** The shell run as the child of the host's tini: private mounts, hostname, addresses, then sshd in the foreground. */
export function initScript(plan: LabPlan, h: LabHostPlan): string {
  const lines = [`# Init of lab host ${h.name} (lab ${plan.name}), run by tini as PID 2 of the host; rewritten by \`lbctl lab up\`.`, 'set -e']
  for (const d of PRIVATE_DIRS) lines.push(cmd`mount --bind ${fsDir(h, d)} ${d}`)
  lines.push(
    cmd`hostname ${h.name}`,
    'ip link set lo up',
    // replace, not add: a re-run of the same host must not fail on an address it already has.
    cmd`ip addr replace ${`${h.address}/${plan.prefix}`} dev eth0`,
    ...(h.aliases ?? []).map((a) => cmd`ip addr replace ${`${a}/${plan.prefix}`} dev eth0`),
    'ip link set eth0 up',
  )
  // Daemonizes after binding, so the port is open once this returns; its parent becomes tini, which reaps it.
  if (h.role === 'real_server') lines.push(cmd`lighttpd -f ${httpdConfigPath(h)}`)
  lines.push(cmd`exec /usr/sbin/sshd -D -e -f ${join(h.dir, 'sshd_config')}`)
  return lines.join('\n')
}

export interface Launched {
  host: LabHostPlan
  /** unshare, the host's outermost process: already in its network namespace, so /proc/PID/net shows the host's. */
  pid?: number
  /** Set when the init exits: the host is dead (a failed mount, sshd refusing its config, …). */
  exited?: number
}

/**
 * Start the host: `ip netns exec` puts it in its network namespace (and a first mount namespace with /sys for that
 * netns), unshare adds its own mount (private propagation, so its binds never show on the machine), UTS and PID
 * namespaces; tini is PID 1 there, so killing it ends every process of the host, sessions included.
 */
export function launchHost(plan: LabPlan, h: LabHostPlan): Launched {
  const log = openSync(initLogPath(h), 'a', 0o600)
  const argv = ['netns', 'exec', h.netns, 'unshare', '--mount', '--propagation', 'private', '--uts', '--pid', '--fork', '--mount-proc',
    'tini', '-s', '--', '/bin/sh', initScriptPath(h)]
  const child = spawn('ip', argv, {detached: true, stdio: ['ignore', log, log], env: HOST_ENV})
  closeSync(log)
  const launched: Launched = {host: h, pid: child.pid}
  child.on('exit', (code, signal) => (launched.exited = code ?? (signal ? 128 : 1)))
  child.on('error', () => (launched.exited = 127))
  child.unref()
  return launched
}

/**
 * Whether the host has a listening TCP socket on each port, read from /proc/PID/net/tcp: no packet sent, so no ARP
 * lookup that would fail while the host is still starting and then hold every retry for its 1 s timer.
 */
export async function listening(pid: number, ports: readonly number[]): Promise<boolean> {
  try {
    const table = await readFile(`/proc/${pid}/net/tcp`, 'utf8')
    const open = new Set<number>()
    for (const line of table.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f[3] === '0A') open.add(parseInt(f[1].split(':')[1], 16)) // 0A = LISTEN
    }
    return ports.every((p) => open.has(p))
  } catch {
    return false
  }
}

export function tcpProbe(address: string, port: number, timeoutMs = 250): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({host: address, port})
    const done = (ok: boolean) => {
      s.destroy()
      resolve(ok)
    }
    s.setTimeout(timeoutMs, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

/** Ports a healthy host answers on: sshd everywhere, HTTP on real servers. */
export function hostPorts(h: LabHostPlan): number[] {
  return h.role === 'real_server' ? [22, 80] : [22]
}

export async function tailLog(h: LabHostPlan, lines = 5): Promise<string> {
  try {
    return (await readFile(initLogPath(h), 'utf8')).trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return '(no init log)'
  }
}
