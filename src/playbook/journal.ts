import {raw, script} from '../shell/index.js'

/*
 * STATE/journal, written on the host by every activation before its first rename (modules/install.ts):
 *   release ID        the release being activated
 *   service NAME      a service whose files were renamed and that must reload (a handler name)
 * A run reads it with the facts and the lock (lock.ts) and finishes what it lists; lines go only once the service reloaded and the host's
 * checks passed, so a run killed, cut off or stopped anywhere in between leaves the work for the next one.
 */
// Builtins but for the one rename or removal: every host runs this at the end of every run that changed it.
const SETTLE = raw`state=$1; shift; j="$state/journal"
[ -f "$j" ] || exit 0
done=" $* "; keep=; left=0
while IFS= read -r l || [ -n "$l" ]; do
  case $l in "service "*) case $done in *" \${l#service } "*) continue ;; esac; left=1 ;; esac
  keep="$keep$l
"
done < "$j"
if [ "$left" = 0 ]; then rm -f "$j"; else printf '%s' "$keep" 2>/dev/null > "$j.new" && mv -f "$j.new" "$j"; fi`

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

/** Drops the services this run reloaded (or started) from the journal; removes it when none is left. */
export function settleJournalCommand(stateDir: string, handled: string[]) {
  return script(SETTLE, stateDir, handled)
}
