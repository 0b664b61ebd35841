import {raw, script} from '../shell/index.js'

/*
 * STATE/journal, written on the host by every activation before its first rename (modules/install.ts):
 *   release ID        the release being activated
 *   service NAME      a service whose files were renamed and that must reload (a handler name)
 * A run reads it with the facts and the lock (lock.ts) and finishes what it lists; lines go only once the service reloaded and the host's
 * checks passed, so a run killed, cut off or stopped anywhere in between leaves the work for the next one.
 */
export interface Journal {
  releases: string[]
  services: string[]
}

export function parseJournal(stdout: string): Journal {
  const j: Journal = {releases: [], services: []}
  for (const line of stdout.split('\n')) {
    const w = line.split(' ')
    if (w[0] !== 'journal') continue
    if (w[1] === 'release' && w[2]) j.releases.push(w[2])
    if (w[1] === 'service' && w[2]) j.services.push(w[2])
  }
  return j
}

// The run's goodbye to a host: the services it reloaded leave the journal (which goes once none is left), then its lock
// goes (lock.ts UNLOCK) — builtins but for one rm(1) for both, or the rename of a journal that keeps lines: every host
// runs this at the end of every run, a no-op's while the directors still work.
const SETTLE_AND_UNLOCK = raw`state=$1; run=$2; shift 2; j="$state/journal"; gone=
if [ -f "$j" ]; then
  done=" $* "; keep=; left=0
  while IFS= read -r l || [ -n "$l" ]; do
    case $l in "service "*) case $done in *" \${l#service } "*) continue ;; esac; left=1 ;; esac
    keep="$keep$l
"
  done < "$j"
  if [ "$left" = 0 ]; then gone=$j; else printf '%s' "$keep" 2>/dev/null > "$j.new" && mv -f "$j.new" "$j"; fi
fi
h=; IFS= read -r h < "$state/lock/holder" 2>/dev/null; case "$h" in *"$run"*) mine=$state/lock ;; *) mine= ;; esac
[ -z "$gone$mine" ] || rm -rf \${gone:+"$gone"} \${mine:+"$mine"}`

/** Drops the services this run reloaded (or started) from the journal, removed when none is left; gives back run `runId`'s lock. */
export function settleAndUnlockCommand(stateDir: string, runId: string, handled: string[]) {
  return script(SETTLE_AND_UNLOCK, stateDir, runId, handled)
}
