import {cmd, raw} from '../shell/index.js'

/*
 * STATE/journal, written on the host by every activation before its first rename (modules/install.ts):
 *   release ID        the release being activated
 *   service NAME      a service whose files were renamed and that must reload (a handler name)
 * A run reads it with the facts and the lock (lock.ts) and finishes what it lists; lines go only once the service reloaded and the host's
 * checks passed, so a run killed, cut off or stopped anywhere in between leaves the work for the next one.
 */
const SETTLE = raw`state=$1; shift; j="$state/journal"
[ -f "$j" ] || exit 0
awk -v done=" $* " '$1 == "service" && index(done, " " $2 " ") {next} {print}' "$j" > "$j.new" && mv -f "$j.new" "$j"
grep -q '^service ' "$j" || rm -f "$j"`

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
  return cmd`sh -c ${SETTLE.text} lbctl ${stateDir} ${handled}`
}
