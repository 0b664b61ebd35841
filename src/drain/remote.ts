/**
 * The commands a drain sends a director: HAProxy's runtime API on its admin socket, ipvsadm for LVS weights, and the
 * list of drained servers the director keeps (STATE/drained), which a deploy or rollback re-applies after it
 * reloads the daemons (their configuration knows nothing of drains).
 */
import {DIRECT} from '../render/paths.js'
import {cmd, type ShellCommand} from '../shell/index.js'
import type {DrainPlan} from './plan.js'

// One command per connection on the admin socket (perl-base is on every Debian host, socat often is not); each
// answer follows a `@@ COMMAND` line.
const CLI = `use IO::Socket::UNIX; my $sock = shift; for my $c (@ARGV) { print "\\@\\@ $c\\n"; my $s = IO::Socket::UNIX->new(Peer => $sock) or do { print "error cannot connect to $sock: $!\\n"; next }; print $s "$c\\n"; print while <$s>; }`

/** Runs HAProxy runtime-API commands on a director. */
export function haproxyCli(commands: string[]): ShellCommand {
  return cmd`perl -e ${CLI} ${DIRECT.haproxyStatsSock} ${commands}`
}

export const drainedFile = (stateDir: string) => `${stateDir}/drained`

/**
 * Puts `names` in (drain) or takes them out of (undrain) the director's list, then sets every target's state:
 * HAProxy `set server B/S state drain|ready`, LVS weight 0 or back to the rendered one.
 */
export function applyCommand(plan: DrainPlan, names: string[], drain: boolean, stateDir: string, haproxy: boolean): ShellCommand {
  const file = drainedFile(stateDir)
  const list = drain
    ? cmd`mkdir -p ${stateDir} && { cat ${file} 2>/dev/null; printf '%s\n' ${names}; } | sort -u > ${`${file}.new`} && mv -f ${`${file}.new`} ${file}`
    : cmd`if [ -f ${file} ]; then grep -vxF ${names.map((n) => ['-e', n]).flat()} ${file} > ${`${file}.new`}; mv -f ${`${file}.new`} ${file}; fi`
  const parts: ShellCommand[] = [list]
  if (haproxy && plan.haproxy.length) parts.push(haproxyCli(plan.haproxy.map((t) => `set server ${t.backend}/${t.server} state ${drain ? 'drain' : 'ready'}`)))
  for (const t of plan.lvs) parts.push(cmd`ipvsadm -e ${t.service.split(' ')} -r ${t.real} ${t.forwarding} -w ${String(drain ? 0 : t.weight)}`)
  return cmd`${parts.map((p) => cmd`${p} &&`)} true`
}

/** What a drain needs to see: HAProxy's servers (show stat) and the live IPVS table with its connection counts. */
export function observeCommand(haproxy: boolean, lvs: boolean): ShellCommand {
  const parts: ShellCommand[] = []
  if (haproxy) parts.push(haproxyCli(['show stat']))
  if (lvs) parts.push(cmd`echo '@@ ipvs'; ipvsadm -Ln`)
  return cmd`${parts.map((p) => cmd`${p};`)} true`
}

/** The director's list of drained servers. */
export function readDrainedCommand(stateDir: string): ShellCommand {
  return cmd`cat ${drainedFile(stateDir)} 2>/dev/null; true`
}
