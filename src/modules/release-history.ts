import {raw} from '../shell/index.js'

/*
 * What a host knows about its releases, read in one round trip:
 *   STATE/releases/ID/{files/, manifest.json, files.list, sysctls}   a complete release (ID.tmp while being staged)
 *   STATE/releases/current → ID                                    the active one
 *   STATE/history                                                  one "TIME ACTION ID" line per activation
 * Order comes from the history (what was active before what), never from IDs or clocks: the controller's clock may
 * be a day off, and a rollback makes an old ID current again.
 */
export const RELEASE_STATE = raw`state=$1; dir="$state/releases"
[ ! -f "$state/history" ] || while IFS= read -r l || [ -n "$l" ]; do printf 'history %s\n' "$l"; done < "$state/history"
# One awk for every release's bundle digest and paths (a process per release adds up over 50 hosts and 5 kept
# releases); the shell only lists them, in the order ls would, and finds the current one with test -ef (a builtin;
# readlink only for a link to a release that is gone).
cd "$dir" 2>/dev/null || { echo 'current -'; exit 0; }
c=-; ids=''; set --
for d in *; do
  [ -e "$d" ] && [ "$d" != current ] || continue
  [ ! "$d" -ef current ] || c=$d
  ids="$ids $d"
  [ ! -f "$d/manifest.json" ] || set -- "$@" "$d/manifest.json"
  case "$d" in *.tmp) ;; *) [ ! -f "$d/files.list" ] || set -- "$@" "$d/files.list" ;; esac
done
[ "$c" != - ] || [ ! -L current ] || c=$(readlink current) || c=-
printf 'current %s\n' "$c"
[ -n "$ids" ] || exit 0
awk -v ids="$ids" '
  { split(FILENAME, w, "/"); id = w[1] }
  w[2] == "files.list" { print "path", id, $1; next }
  !(id in b) && match($0, /^ *"bundle": *"[0-9a-f]*"/) { v = substr($0, RSTART, RLENGTH); sub(/^ *"bundle": *"/, "", v); sub(/"$/, "", v); b[id] = v }
  END { k = split(ids, d, " "); for (i = 1; i <= k; i++) print "release", d[i], (b[d[i]] != "" ? b[d[i]] : "-") }
' "$@" </dev/null`

export type Action = 'deploy' | 'rollback'

export interface HistoryEntry {
  time: string
  action: Action
  id: string
}

export interface ReleaseState {
  current?: string
  history: HistoryEntry[]
  /** Complete releases on the host: ID → bundle digest (undefined for releases older than digests). */
  releases: Map<string, string | undefined>
  /** Releases left half-staged by a run that did not finish. */
  staged: string[]
  /** Managed paths of each complete release. */
  paths: Map<string, string[]>
}

export function parseReleaseState(stdout: string): ReleaseState {
  const s: ReleaseState = {history: [], releases: new Map(), staged: [], paths: new Map()}
  for (const line of stdout.split('\n')) {
    const w = line.split(' ')
    if (w[0] === 'current' && w[1] && w[1] !== '-') s.current = w[1]
    else if (w[0] === 'history' && w.length >= 4) s.history.push({time: w[1], action: w[2] === 'rollback' ? 'rollback' : 'deploy', id: w[3]})
    else if (w[0] === 'release' && w[1]) {
      if (w[1].endsWith('.tmp')) s.staged.push(w[1].slice(0, -4))
      else s.releases.set(w[1], w[2] && w[2] !== '-' ? w[2] : undefined)
    } else if (w[0] === 'path' && w[2]) s.paths.set(w[1], [...(s.paths.get(w[1]) ?? []), w[2]])
  }
  // Hosts deployed before there was a history: their releases were named by time, so sorted names are the order.
  if (s.history.length === 0 && s.current) {
    s.history = [...s.releases.keys()].filter((id) => id <= s.current!).sort().map((id) => ({time: '-', action: 'deploy' as const, id}))
  }
  return s
}

/**
 * The releases a host went through, as a stack: a deploy pushes, a rollback returns to an entry (dropping what came
 * after it). So A → B → rollback → C → rollback is [A], not B: rollback means "what ran before", never "the one
 * rolled away from".
 */
export function lineage(history: HistoryEntry[]): string[] {
  const stack: string[] = []
  for (const e of history) {
    if (e.action === 'rollback') {
      const i = stack.lastIndexOf(e.id)
      if (i >= 0) stack.length = i + 1
      else stack.push(e.id)
    } else if (stack.at(-1) !== e.id) stack.push(e.id)
  }
  return stack
}

/**
 * Releases a host may delete once `next` is active: everything but the current one, the one a rollback would
 * return to, and the last `keep` activated (by history, not by name or date).
 */
export function prunable(state: ReleaseState, next: HistoryEntry, keep: number): string[] {
  const history = [...state.history, next]
  const stack = lineage(history)
  const kept = new Set<string>([next.id, ...(stack.length > 1 ? [stack.at(-2)!] : [])])
  for (const e of [...history].reverse()) {
    if (kept.size >= Math.max(keep, 2)) break
    kept.add(e.id)
  }
  return [...state.releases.keys()].filter((id) => !kept.has(id))
}

const SEQ = /^r(\d+)-/

/** Release IDs are `r<sequence>-<digest>`: the sequence only keeps names apart and readable, it orders nothing. */
export function nextReleaseId(states: ReleaseState[], maskedDigest: string): string {
  let max = 0
  for (const s of states) {
    for (const id of [...s.releases.keys(), ...s.staged, ...s.history.map((h) => h.id)]) {
      const m = SEQ.exec(id)
      if (m) max = Math.max(max, Number(m[1]))
    }
  }
  return `r${max + 1}-${maskedDigest.slice(0, 8)}`
}
