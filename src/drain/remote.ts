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

// True when every `backend/server` of $want is DRAIN in `show stat` (status is its 18th field).
const ALL_DRAINED = `BEGIN { n = split(want, W, " "); for (i = 1; i <= n; i++) need[W[i]] = 1 }
($1 "/" $2) in need { seen++; if ($18 !~ /^DRAIN/) bad = 1 }
END { exit (bad || seen < n) }`
// True when every `-t VIP:PORT RIP:PORT` of $want has weight 0 in `ipvsadm -Ln`.
const ALL_ZERO = `BEGIN { n = split(want, W, ","); for (i = 1; i <= n; i++) need[W[i]] = 1 }
/^(TCP|UDP)/ { svc = ($1 == "TCP" ? "-t " : "-u ") $2 }
$1 == "->" && ((svc " " $2) in need) { seen++; if ($4 != 0) bad = 1 }
END { exit (bad || seen < n) }`

/**
 * Drains again after a reload, and makes it stick. A reload answers before it is over: HAProxy's old worker may still
 * hold the admin socket (a drain sent to it dies with it, and a look at it shows DRAIN while the new worker has the
 * server UP), and keepalived puts its configured LVS weights back once it has re-read its file. So: wait until the
 * socket answers from the master's newest worker, then look, apply where needed, and look again until two looks
 * half a second apart agree. Prints "applied" when it had to drain anything again.
 */
export function reapplyCommand(plan: DrainPlan, names: string[], stateDir: string, haproxy: boolean): ShellCommand {
  const h = haproxy && plan.haproxy.length > 0
  const drained = cmd`${h ? cmd`${haproxyCli(['show stat'])} | awk -F, -v ${`want=${plan.haproxy.map((t) => `${t.backend}/${t.server}`).join(' ')}`} ${ALL_DRAINED}` : cmd`true`} && ${plan.lvs.length ? cmd`ipvsadm -Ln | awk -v ${`want=${plan.lvs.map((t) => `${t.service} ${t.real}`).join(',')}`} ${ALL_ZERO}` : cmd`true`}`
  const newest = h
    ? cmd`m=$(cat ${DIRECT.haproxyPid} 2>/dev/null); i=0; while [ -n "$m" ] && [ $i -lt 40 ]; do w=$(pgrep -n -P "$m"); a=$(${haproxyCli(['show info'])} | sed -n 's/^Pid: //p'); [ -n "$w" ] && [ "$a" = "$w" ] && break; sleep 0.25; i=$((i + 1)); done`
    : cmd`true`
  return cmd`${newest}; i=0; good=0; applied=''; while [ $i -lt 30 ]; do if ${drained}; then good=$((good + 1)); [ $good -lt 2 ] || { if [ -n "$applied" ]; then echo applied; else echo held; fi; exit 0; }; else good=0; applied=applied; ${applyCommand(plan, names, true, stateDir, haproxy)} >/dev/null; fi; sleep 0.5; i=$((i + 1)); done; echo 'the drain did not hold after the reload' >&2; exit 1`
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
