import {z} from 'zod'
import {cmd, raw, script} from '../shell/index.js'
import {failed, ok, type Module, type Plan} from './types.js'

const args = z.strictObject({values: z.record(z.string(), z.union([z.string(), z.number()])).optional()})
type Args = z.infer<typeof args>

/*
 * STATE/sysctl.orig holds "key=value" for every key lbctl has changed: its value before lbctl first set it. A key
 * the inventory (or a rolled-back-to release) no longer sets goes back to that value, and leaves the record.
 */
// One sysctl(8) reads every key at once: the record's and "$@". Not a builtin `read` of /proc/sys: the kernel's
// integer handlers answer only a read at offset 0, and dash's `read` takes one byte per read(2), so it gets the first
// digit and EOF. A key sysctl -e does not print is missing. Multi-value keys keep their tabs: the controller compares
// words.
export const LIVE_AND_ORIGINAL = raw`live_and_original() {
  if [ -f "$state/sysctl.orig" ]; then while IFS='=' read -r k v; do printf 'ORIG %s=%s\n' "$k" "$v"; set -- "$@" "$k"; done < "$state/sysctl.orig"; fi
  [ $# -eq 0 ] || sysctl -e "$@" | while read -r k eq v; do printf 'LIVE %s=%s\n' "$k" "$v"; done
}`

const PROBE = cmd`state=$1; shift
${LIVE_AND_ORIGINAL}
live_and_original "$@"`

// Writes a value the way sysctl -w does, with builtins: one write(2) of "VALUE\n" at offset 0 of its /proc/sys file
// (dash's printf writes once). sysctl(8)'s key syntax: dots separate names, unless the key has a slash — then slashes
// do, and a dot belongs to a name (a VLAN interface's "eth0.100"). Under set -f (a key is never a pattern).
export const SYSCTL_SET = raw`sysctl_set() {
  p=$1
  case $p in */*) ;; *) o=$IFS; IFS=.; set -- "$2" "$1" $1; v=$1; k=$2; shift 2; IFS=/; p="$*"; IFS=$o; set -- "$k" "$v" ;; esac
  printf '%s\n' "$2" 2>/dev/null > "/proc/sys/$p" || { printf 'cannot set sysctl %s to %s (no such key, or the kernel refused the value)\n' "$1" "$2" >&2; return 1; }
}`

// Records originals before changing anything, so a full disk stops the change instead of losing the old value.
// stdin: "set KEY VALUE" / "restore KEY VALUE" lines, then ".": the step reads its own stdin to that end (a batch hands
// it the batch's stdin). Builtins but for one sysctl read and the record's rename, and only when a key is new to the
// record or leaves it: on 200 hosts sharing two cores every process start counts.
const APPLY = cmd`set -euf
state=$1; rec="$state/sysctl.orig"
[ -d "$state" ] || mkdir -p "$state"
have=' '; [ ! -f "$rec" ] || while IFS='=' read -r k v; do have="$have$k "; done < "$rec"
drop=' '; need=; set --
while read -r op k v; do
  [ "$op" != . ] || break
  [ -n "$op" ] || continue
  set -- "$@" "$k=$v"
  case $op in restore) drop="$drop$k " ;; *) case $have in *" $k "*) ;; *) need="$need $k" ;; esac ;; esac
done
words() { w="$*"; }
if [ -n "$need" ] || [ "$drop" != ' ' ]; then
  new=; [ -z "$need" ] || new=$(sysctl -e $need | while read -r k eq v; do words $v; printf '%s=%s\n' "$k" "$w"; done)
  ( [ ! -f "$rec" ] || while IFS='=' read -r k v; do case $drop in *" $k "*) ;; *) printf '%s=%s\n' "$k" "$v" 2>/dev/null || exit 1 ;; esac; done < "$rec"
    [ -z "$new" ] || printf '%s\n' "$new" 2>/dev/null ) > "$rec.new" && mv -f "$rec.new" "$rec" \
    || { rm -f "$rec.new"; echo "cannot record sysctl values in $rec (disk full?); no sysctl was changed" >&2; exit 65; }
fi
${SYSCTL_SET}
for kv in "$@"; do sysctl_set "\${kv%%=*}" "\${kv#*=}"; done`

// A drop-in under /etc/sysctl.d applied as sysctl -p would (lbctl renders "key = value" and "#" comments), with
// builtins. Args: the drop-ins; one that is not there is skipped.
export const APPLY_DROPINS = cmd`set -euf
${SYSCTL_SET}
for f in "$@"; do
  [ -f "$f" ] || continue
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in '' | '#'* | ';'*) continue ;; esac
    k=\${l%%=*}; v=\${l#*=}
    k=\${k%"\${k##*[! 	]}"}; k=\${k#"\${k%%[! 	]*}"}; v=\${v%"\${v##*[! 	]}"}; v=\${v#"\${v%%[! 	]*}"}
    sysctl_set "$k" "$v"
  done < "$f"
done`

// sysctl -n separates multi-value keys (e.g. ip_local_port_range) with tabs; compare words, not whitespace.
const norm = (v: string) => v.trim().split(/\s+/).join(' ')

export interface SysctlFacts {
  live: Record<string, string>
  original: Record<string, string>
}

export function parseSysctlFacts(stdout: string): SysctlFacts {
  const out: SysctlFacts = {live: {}, original: {}}
  for (const line of stdout.split('\n')) {
    const m = /^(LIVE|ORIG) ([^=]+)=(.*)$/.exec(line)
    if (m) (m[1] === 'LIVE' ? out.live : out.original)[m[2]] = m[3]
  }
  return out
}

/**
 * Sets what differs from `want`; with `restore`, puts every recorded key that `want` lacks back to its original
 * value. Shared by deploy (want = the inventory) and rollback (want = the release).
 */
export function planSysctls(want: Record<string, string>, facts: SysctlFacts, stateDir: string, restore: boolean): Plan {
  const absent = Object.keys(want).filter((k) => facts.live[k] === undefined || facts.live[k] === '<missing>')
  // IPVS's keys appear when ip_vs is loaded, which keepalived does only later in the same run: load it first.
  const loadIpvs = absent.some((k) => k.startsWith(IPVS_PREFIX))
  const missing = absent.filter((k) => !k.startsWith(IPVS_PREFIX))
  if (missing.length) return failed(`this kernel has no sysctl ${missing.join(', ')}`)
  const set = Object.keys(want).filter((k) => norm(facts.live[k] ?? '') !== norm(want[k]))
  const back = restore ? Object.keys(facts.original).filter((k) => !(k in want)) : []
  if (set.length === 0 && back.length === 0) return ok(`${Object.keys(want).length} sysctl(s) already set`)
  const ops = [...set.map((k) => `set ${k} ${want[k]}\n`), ...back.map((k) => `restore ${k} ${facts.original[k]}\n`), '.\n'].join('')
  const message = [
    ...set.map((k) => (absent.includes(k) ? `${k} → ${want[k]}` : `${k}: ${norm(facts.live[k] ?? '')} → ${want[k]}`)),
    ...back.map((k) => `${k}: ${norm(facts.live[k] ?? '')} → ${facts.original[k]} (as before lbctl)`),
  ].join(', ')
  const apply = {label: 'sysctl -w', command: script(APPLY, stateDir), stdin: ops, selfDelimited: true}
  return {
    status: 'changed',
    message: loadIpvs ? `loads ip_vs, ${message}` : message,
    steps: loadIpvs ? [{label: 'modprobe ip_vs', command: cmd`modprobe ip_vs`}, apply] : [apply],
    writes: [...set, ...back].map((k) => `sysctl:${k}`),
  }
}

const IPVS_PREFIX = 'net.ipv4.vs.'

function desired(a: Args, sysctls: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(a.values ?? sysctls).map(([k, v]) => [k, String(v)]))
}

/** Runtime values; the persistent drop-in under /etc/sysctl.d is a rendered file (template module). */
export const sysctl: Module<Args> = {
  name: 'sysctl',
  effects: () => ({reads: ['sysctl'], writes: ['sysctl']}),
  args,
  probe(a, ctx) {
    return script(PROBE, ctx.cluster.deploy.stateDir, Object.keys(desired(a, ctx.host.tuning.sysctls)))
  },
  plan(a, probe, ctx) {
    if (!probe || probe.code !== 0) return failed(`cannot read sysctls: ${probe?.stderr.trim() || 'no answer'}`)
    const want = desired(a, ctx.host.tuning.sysctls)
    const facts = parseSysctlFacts(probe.stdout)
    // Explicit values in a playbook set those keys only; the inventory's set is the whole managed set.
    const plan = planSysctls(want, facts, ctx.cluster.deploy.stateDir, a.values === undefined)
    return plan.status === 'ok' && Object.keys(want).length === 0 ? ok('no sysctls for this host') : plan
  },
}
