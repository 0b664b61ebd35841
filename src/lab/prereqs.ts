import {accessSync, constants, existsSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {LabError} from './run.js'

interface Requirement {
  cmd: string
  pkg: string
  why: string
}

// What a lab host needs: the daemons lbctl deploys (keepalived, haproxy, ipvsadm, ethtool are what the deploy engine
// runs *inside* the hosts, so a lab without them cannot be deployed to), plus what builds the hosts.
const NEEDED: Requirement[] = [
  {cmd: 'ip', pkg: 'iproute2', why: 'namespaces, veth, bridge'},
  {cmd: 'unshare', pkg: 'util-linux', why: 'mount/PID/UTS namespaces'},
  {cmd: 'nsenter', pkg: 'util-linux', why: 'lab exec'},
  {cmd: 'sshd', pkg: 'openssh-server', why: 'one sshd per lab host'},
  {cmd: 'ssh', pkg: 'openssh-client', why: 'lab ssh'},
  {cmd: 'ssh-keygen', pkg: 'openssh-client', why: 'lab and host keys'},
  {cmd: 'keepalived', pkg: 'keepalived', why: 'directors'},
  {cmd: 'haproxy', pkg: 'haproxy', why: 'directors'},
  {cmd: 'ipvsadm', pkg: 'ipvsadm', why: 'LVS directors'},
  {cmd: 'ethtool', pkg: 'ethtool', why: 'director NIC tuning'},
  {cmd: 'killall', pkg: 'psmisc', why: 'vrrp_script chk_haproxy (killall -0)'},
  {cmd: 'tini', pkg: 'tini', why: 'the reaping init of each host'},
  {cmd: 'lighttpd', pkg: 'lighttpd', why: 'the real servers\' HTTP service'},
]

// sudo and cron often run with a PATH that lacks the sbin directories where sshd and keepalived live.
const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']

export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_PATH]
  for (const d of dirs) {
    const p = join(d, cmd)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {}
  }
  return undefined
}

/** Root on Linux: every lab command needs both (namespaces, /run/netns, the 0700 state directory). */
export function checkRootLinux(): void {
  if (process.platform !== 'linux') throw new LabError(`lbctl lab needs Linux (network namespaces); this is ${process.platform}`)
  if (process.getuid?.() !== 0) throw new LabError('lbctl lab must run as root (it creates network namespaces, links and mounts): sudo lbctl lab …')
}

/** Everything `lab up` needs, checked before it touches anything; returns absolute paths of the programs. */
export async function checkPrereqs(): Promise<Record<string, string>> {
  checkRootLinux()
  const problems: string[] = []
  const missingPkgs = new Set<string>()
  const paths: Record<string, string> = {}
  for (const r of NEEDED) {
    const p = which(r.cmd)
    if (p) paths[r.cmd] = p
    else {
      problems.push(`  - ${r.cmd} (${r.why}): not found; install with: apt-get install -y ${r.pkg}`)
      missingPkgs.add(r.pkg)
    }
  }
  for (const ns of ['net', 'pid', 'mnt', 'uts']) {
    if (!existsSync(`/proc/self/ns/${ns}`)) problems.push(`  - the kernel has no ${ns} namespaces (/proc/self/ns/${ns} is missing)`)
  }
  if (problems.length > 0) {
    const all = missingPkgs.size > 0 ? `\nInstall everything missing at once: apt-get install -y ${[...missingPkgs].join(' ')}` : ''
    throw new LabError(`lbctl lab up needs:\n${problems.join('\n')}${all}`)
  }
  return paths
}
