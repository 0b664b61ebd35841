import {z} from 'zod'
import {cmd, raw} from '../shell/index.js'
import {failed, ok, type Module, type Plan} from './types.js'

const args = z.strictObject({values: z.record(z.string(), z.union([z.string(), z.number()])).optional()})
type Args = z.infer<typeof args>

/*
 * STATE/sysctl.orig holds "key=value" for every key lbctl has changed: its value before lbctl first set it. A key
 * the inventory (or a rolled-back-to release) no longer sets goes back to that value, and leaves the record.
 */
// A key's value is read from /proc/sys with builtins (no process per key on every host); sysctl(8) answers only
// where the file is not there or cannot be read. Multi-value keys keep their tabs: the controller compares words.
export const LIVE_AND_ORIGINAL = raw`live() { set -f; p=/proc/sys; o=$IFS; IFS=.; for w in $1; do p="$p/$w"; done; IFS=$o; set +f
  if [ -f "$p" ] && 2>/dev/null read -r l < "$p"; then :; else l=$(sysctl -n "$1" 2>/dev/null) || l='<missing>'; fi; }
if [ -f "$state/sysctl.orig" ]; then while IFS='=' read -r k v; do
  printf 'ORIG %s=%s\n' "$k" "$v"; live "$k"; printf 'LIVE %s=%s\n' "$k" "$l"
done < "$state/sysctl.orig"; fi`

const PROBE = cmd`state=$1; shift
${LIVE_AND_ORIGINAL}
for k in "$@"; do live "$k"; printf 'LIVE %s=%s\n' "$k" "$l"; done`

// Records originals before changing anything, so a full disk stops the change instead of losing the old value.
const APPLY = raw`set -eu
state=$1; rec="$state/sysctl.orig"
mkdir -p "$state"; [ -f "$rec" ] || : > "$rec"
ops=$(cat)
new=$(printf '%s\n' "$ops" | while read -r op k v; do
  if [ "$op" = set ] && ! awk -F= -v k="$k" '$1 == k {f = 1} END {exit !f}' "$rec"; then printf '%s=%s\n' "$k" "$(sysctl -n "$k" | tr '\t' ' ')"; fi
done)
drop=$(printf '%s\n' "$ops" | awk '$1 == "restore" {printf "%s ", $2}')
{ awk -F= -v drop=" $drop" 'index(drop, " " $1 " ") == 0' "$rec" && { [ -z "$new" ] || printf '%s\n' "$new"; }; } > "$rec.new" && mv -f "$rec.new" "$rec" \
  || { rm -f "$rec.new"; echo "cannot record sysctl values in $rec (disk full?); no sysctl was changed" >&2; exit 65; }
printf '%s\n' "$ops" | while read -r op k v; do [ -z "$op" ] || sysctl -q -w "$k=$v"; done`

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
  const missing = Object.keys(want).filter((k) => facts.live[k] === '<missing>')
  if (missing.length) return failed(`this kernel has no sysctl ${missing.join(', ')}`)
  const set = Object.keys(want).filter((k) => norm(facts.live[k] ?? '') !== norm(want[k]))
  const back = restore ? Object.keys(facts.original).filter((k) => !(k in want)) : []
  if (set.length === 0 && back.length === 0) return ok(`${Object.keys(want).length} sysctl(s) already set`)
  const ops = [...set.map((k) => `set ${k} ${want[k]}\n`), ...back.map((k) => `restore ${k} ${facts.original[k]}\n`)].join('')
  const message = [
    ...set.map((k) => `${k}: ${norm(facts.live[k] ?? '')} → ${want[k]}`),
    ...back.map((k) => `${k}: ${norm(facts.live[k] ?? '')} → ${facts.original[k]} (as before lbctl)`),
  ].join(', ')
  return {status: 'changed', message, steps: [{label: 'sysctl -w', command: cmd`sh -c ${APPLY.text} lbctl ${stateDir}`, stdin: ops}], writes: [...set, ...back].map((k) => `sysctl:${k}`)}
}

function desired(a: Args, sysctls: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(a.values ?? sysctls).map(([k, v]) => [k, String(v)]))
}

/** Runtime values; the persistent drop-in under /etc/sysctl.d is a rendered file (template module). */
export const sysctl: Module<Args> = {
  name: 'sysctl',
  effects: () => ({reads: ['sysctl'], writes: ['sysctl']}),
  args,
  probe(a, ctx) {
    return cmd`sh -c ${PROBE.text} lbctl ${ctx.cluster.deploy.stateDir} ${Object.keys(desired(a, ctx.host.tuning.sysctls))}`
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
