/**
 * What `lbctl status` asks each host, in one round trip: sections a parser can split (`@@ NAME` lines), read from the
 * daemons themselves — keepalived's JSON dump (SIGJSON), HAProxy's stats socket, the live IPVS table — plus the
 * addresses, versions, uptimes, the active release, the files that differ from it, and a deploy left unfinished
 * (the journal). Nothing here changes the host's configuration, and nothing secret leaves it: keepalived's dump
 * carries the VRRP password, which is blanked before it is printed.
 */
import {DIRECT, PATHS} from '../render/paths.js'
import {cmd, type ShellCommand} from '../shell/index.js'

// A constant of this file, passed to sh -c as one quoted word (statusCommand). Arguments:
//   $1 director (0/1)  $2 haproxy (0/1)  $3 lvs (0/1)  $4 real-server script (0/1)  $5 state dir
//   $6 keepalived pid file  $7 haproxy pid file  $8 haproxy admin socket  $9 real-server script path
const SCRIPT = `director=$1 haproxy=$2 lvs=$3 rs=$4 state=$5 kpid=$6 hpid=$7 sock=$8 rsscript=$9
# How long a process has run: its start (field 22 of /proc/PID/stat, after the parenthesised name) over CLK_TCK,
# and /proc/uptime; the controller subtracts.
tck=$(getconf CLK_TCK)
started() { { read -r s </proc/$1/stat && read -r up _ </proc/uptime; } 2>/dev/null || return 0; s=\${s##*) }; set -- $s; echo "started $(( \${20} / tck )) $up"; }
running() { p=$(cat "$1" 2>/dev/null); [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
echo '@@ addresses'; ip -4 -o addr show
if [ "$director" = 1 ]; then
  echo '@@ keepalived'
  if running "$kpid"; then
    echo "pid $p"; started "$p"; keepalived --version 2>&1 | head -n 1 | sed 's/^/version /'
    # keepalived writes /tmp/keepalived.json on SIGJSON (--signum gives its number); complete once its size holds.
    n=$(keepalived --signum=JSON 2>/dev/null)
    if [ -n "$n" ]; then
      k=$p; rm -f /tmp/keepalived.json; kill -"$n" "$k"; i=0; last=-1
      while [ $i -lt 60 ]; do
        size=$({ wc -c </tmp/keepalived.json; } 2>/dev/null || echo -1)
        [ "$size" -gt 0 ] && [ "$size" = "$last" ] && break
        last=$size; i=$((i+1)); sleep 0.05
      done
      echo '@@ keepalived.json'; sed 's/"auth_data":"[^"]*"/"auth_data":""/g' /tmp/keepalived.json 2>/dev/null; echo; rm -f /tmp/keepalived.json
    fi
  else echo down; fi
fi
if [ "$haproxy" = 1 ]; then
  echo '@@ haproxy'
  if running "$hpid"; then
    echo "pid $p"; started "$p"
    # One command per connection on the admin socket; perl-base is on every Debian host, socat often is not.
    perl -MIO::Socket::UNIX -e 'for my $c ("show info", "show stat") { print "\\@\\@ haproxy $c\\n"; my $s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or do { print "error cannot connect to $ARGV[0]: $!\\n"; next }; print $s "$c\\n"; print while <$s>; }' "$sock"
  else echo down; fi
fi
if [ "$lvs" = 1 ]; then
  echo '@@ ipvs'
  if command -v ipvsadm >/dev/null 2>&1 && [ -e /proc/net/ip_vs ]; then ipvsadm -Sn; echo '@@ ipvs stats'; ipvsadm -Ln --stats; else echo unavailable; fi
fi
if [ "$rs" = 1 ]; then echo '@@ realserver'; "$rsscript" status >/dev/null 2>&1; echo "exit $?"; fi
echo '@@ release'
cur=$(readlink "$state/releases/current" 2>/dev/null || true)
echo "current \${cur:--}"
[ ! -f "$state/journal" ] || sed 's/^/journal /' "$state/journal"
# One sha256sum for every file of the release: "FAILED" is drift, "FAILED open or read" a missing file.
if [ -n "$cur" ] && [ -f "$state/releases/$cur/files.list" ]; then
  awk '{print $2 "  " $1}' "$state/releases/$cur/files.list" | LC_ALL=C sha256sum -c - 2>/dev/null | sed -n 's/^\\(.*\\): FAILED open or read$/missing \\1/p; s/^\\(.*\\): FAILED$/drift \\1/p'
fi
true`

export interface ProbeWhat {
  director: boolean
  haproxy: boolean
  lvs: boolean
  realServerScript: boolean
  stateDir: string
}

const flag = (b: boolean) => (b ? '1' : '0')

export function statusCommand(w: ProbeWhat): ShellCommand {
  return cmd`sh -c ${SCRIPT} lbctl-status ${flag(w.director)} ${flag(w.haproxy)} ${flag(w.lvs)} ${flag(w.realServerScript)} ${w.stateDir} ${DIRECT.keepalivedPid} ${DIRECT.haproxyPid} ${DIRECT.haproxyStatsSock} ${PATHS.realServerScript}`
}

/** `@@ NAME` sections of the answer, by name. */
export function sections(stdout: string): Map<string, string> {
  const out = new Map<string, string>()
  let name: string | undefined
  let body: string[] = []
  const close = () => {
    if (name !== undefined) out.set(name, body.join('\n'))
  }
  for (const line of stdout.split('\n')) {
    const m = /^@@ (.+)$/.exec(line)
    if (m) {
      close()
      name = m[1]
      body = []
    } else body.push(line)
  }
  close()
  return out
}
