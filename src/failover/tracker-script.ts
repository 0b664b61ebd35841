/**
 * The program each director runs for the whole failover test, on one SSH channel: it streams what the kernel and the
 * daemons do instead of being asked over and over. One `ip monitor` process reports every address and link change as
 * it happens; the shell itself (bash builtins only: `read` with a timeout as its clock, $EPOCHREALTIME for time stamps,
 * /proc reads) watches keepalived's and HAProxy's pids. After the start-up snapshot it starts no process at all, so
 * the instrument is not the load on the director it measures. It counts the processes it started, and reads the
 * host's last allocated pid, so the report can show both.
 *
 * Protocol, one line each, times are the host's wall clock in seconds (`$EPOCHREALTIME`):
 *   I LINE                 snapshot: a line of `ip -o -4 addr show` or `ip -o link show`
 *   S TIME LASTPID         the snapshot is complete; events follow
 *   A TIME [STAMP] LINE    an `ip -ts -o monitor address link` line (address or link added, changed or "Deleted"),
 *                          with ip's own time stamp (local time): taken as the event arrives, before the line
 *                          crosses a pipe into this shell, which on a slow or emulated host can be tenths of a
 *                          second later
 *   K TIME 0|1 PID         keepalived stopped running / runs (its pid)
 *   P TIME 0|1 PID         the same for HAProxy (when a pid file is given)
 *   H TIME LASTPID FORKS LATE   heartbeat, every second; LATE: the most its timed waits overran in that second (µs)
 *   Q TIME ID              the answer to a `ping ID` line on stdin, at once
 *   X TIME LASTPID FORKS   the tracker ends (stdin closed or any other line, or its time limit)
 *   E MESSAGE              it cannot work (no bash 5, no ip monitor)
 * LASTPID is /proc/sys/kernel/ns_last_pid (processes started on the host since: the difference); FORKS is how many
 * processes the tracker itself started. LATE measures the host: a process waiting on a timer (keepalived's advert and
 * master-down timers, its script runs) wakes up that much late when the CPUs are busy.
 */
import {cmd, type ShellCommand} from '../shell/index.js'

// A constant of this file, passed to bash -c as one quoted word (cmd`` below).
const TRACKER = `LC_ALL=C
kfile=$1 hfile=$2 tick=$3 max=$4 tickus=$5
if [ -z "\${EPOCHREALTIME:-}" ]; then echo "E bash \${BASH_VERSION:-?} has no \\$EPOCHREALTIME: bash 5 or later is needed"; exit 3; fi
forks=0 lp=0 R_up=0 R_pid=
readlp() { lp=0; { read -r lp </proc/sys/kernel/ns_last_pid; } 2>/dev/null || lp=0; }
# running PIDFILE KNOWNPID COMM: sets R_up (0/1) and R_pid. A pid file may outlive its daemon (SIGKILL), and a
# zombie is not running: read the process's own stat line.
running() {
  local st c p=$2
  R_up=0 R_pid=
  if [ -z "$p" ]; then
    { read -r p <"$1"; } 2>/dev/null || return 0
  fi
  case $p in ''|*[!0-9]*) return 0 ;; esac
  { read -r st <"/proc/$p/stat"; } 2>/dev/null || return 0
  c=\${st#*\\(}; c=\${c%%\\)*}; st=\${st##*\\) }; st=\${st%% *}
  [ "$c" = "$3" ] || return 0
  case $st in Z|X|x) return 0 ;; esac
  R_up=1 R_pid=$p
}
ks=- kp= hs=- hp=
check() {
  running "$kfile" "$kp" keepalived
  if [ -n "$kp" ] && [ "$R_up" = 0 ]; then running "$kfile" "" keepalived; fi
  if [ "$R_up" != "$ks" ] || [ "$R_pid" != "$kp" ]; then
    [ "$ks" = 1 ] && [ "$R_up" = 1 ] && echo "K $EPOCHREALTIME 0 $kp"
    ks=$R_up kp=$R_pid; echo "K $EPOCHREALTIME $ks $kp"
  fi
  [ -n "$hfile" ] || return 0
  running "$hfile" "$hp" haproxy
  if [ -n "$hp" ] && [ "$R_up" = 0 ]; then running "$hfile" "" haproxy; fi
  if [ "$R_up" != "$hs" ] || [ "$R_pid" != "$hp" ]; then
    [ "$hs" = 1 ] && [ "$R_up" = 1 ] && echo "P $EPOCHREALTIME 0 $hp"
    hs=$R_up hp=$R_pid; echo "P $EPOCHREALTIME $hs $hp"
  fi
}
stop=0
trap 'stop=1' TERM
# A coprocess, not <(…): that needs /dev/fd, which a minimal host may lack.
coproc MON { exec ip -ts -o monitor address link 2>&1; }
mon=\${MON[0]} mpid=$MON_PID
forks=$((forks + 1))
# ip monitor says nothing once it listens: give it a moment before the snapshot, so no change falls between them.
read -r -t 0.2 -u 0 _ && exit 0
{ ip -o -4 addr show; ip -o link show; } | while IFS= read -r l; do echo "I $l"; done
forks=$((forks + 4))
readlp; echo "S $EPOCHREALTIME $lp"
check
# stdin: "ping ID" is answered at once (the controller times the round trip to place this host's clock); anything
# else, or EOF (the controller is done or gone), stops the tracker.
exec {in}<&0
( while read -r -u "$in" c id && [ "$c" = ping ]; do echo "Q $EPOCHREALTIME $id"; done; kill -TERM $$ 2>/dev/null ) &
rpid=$!
forks=$((forks + 1))
now=\${EPOCHREALTIME%.*}; next=$((now + 1)); end=$((now + max))
part= late=0 prev=\${EPOCHREALTIME/./}
while [ "$stop" = 0 ]; do
  # read's time limit is for the whole line: when it runs out halfway through one, what it read so far is in $l
  # (and gone from the pipe), so keep it for the next read.
  if IFS= read -r -t "$tick" -u "$mon" l; then
    echo "A $EPOCHREALTIME $part$l"; part= prev=\${EPOCHREALTIME/./}
  elif [ $? -gt 128 ]; then
    part=$part$l t=\${EPOCHREALTIME/./}
    [ $((t - prev - tickus)) -gt "$late" ] && late=$((t - prev - tickus))
    prev=$t
  elif [ "$stop" = 0 ]; then
    echo "E the address monitor (ip monitor) ended: \${l:-no output}"; break
  fi
  check
  now=\${EPOCHREALTIME%.*}
  if [ "$now" -ge "$next" ]; then
    readlp; echo "H $EPOCHREALTIME $lp $forks $late"; next=$((now + 1)) late=0
    [ "$now" -lt "$end" ] || break
  fi
done
kill "$rpid" 2>/dev/null
kill "$mpid" 2>/dev/null
readlp; echo "X $EPOCHREALTIME $lp $forks"`

export interface TrackerArgs {
  keepalivedPidfile: string
  /** Empty: the cluster has no HAProxy. */
  haproxyPidfile: string
  /** How often the daemons' pids are checked (no process is started for it). */
  checkMs: number
  /** The tracker ends by itself after this long, should its controller vanish without closing the channel. */
  maxSeconds: number
}

export function trackerCommand(a: TrackerArgs): ShellCommand {
  const tick = (Math.max(10, a.checkMs) / 1000).toFixed(3)
  return cmd`command -v bash >/dev/null 2>&1 || { echo 'E bash is not installed'; exit 127; }; exec bash -c ${TRACKER} lbctl-track ${a.keepalivedPidfile} ${a.haproxyPidfile} ${tick} ${String(Math.ceil(a.maxSeconds))} ${String(Math.round(Number(tick) * 1e6))}`
}
