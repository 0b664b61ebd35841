import {hostname, userInfo} from 'node:os'
import {raw, seq, script} from '../shell/index.js'
import type {HostFacts} from '../modules/types.js'
import type {Transport} from '../transport/types.js'

/**
 * One round trip per host at the start of a run: the facts every module needs, and the per-host lock.
 * The lock is a directory (mkdir is atomic) holding who took it, so a second deploy is refused with a name and a
 * time instead of racing the first.
 */
const FACTS = raw`set -u
state=$1; mode=$2
# Builtins only, but for the lock's mkdir: every process here is paid by every host at once, before any work starts.
if [ -d /run/systemd/system ]; then echo systemd=1; else echo systemd=0; fi
pm=none; for p in apt-get dnf yum; do if command -v "$p" >/dev/null 2>&1; then pm=$p; break; fi; done
printf 'pm=%s\n' "$pm"
ID=; VERSION_ID=; [ ! -r /etc/os-release ] || . /etc/os-release 2>/dev/null || true
printf 'os=%s\n' "$ID $VERSION_ID"
take_lock() {
  [ "$mode" = nolock ] && return 0
  [ -d "$state" ] || { mkdir -p "$state" && chmod 700 "$state"; } || return 1
  [ "$mode" = break ] && rm -rf "$state/lock"
  h=
  if mkdir "$state/lock" 2>/dev/null; then
    # The holder (one line of JSON) comes on stdin. A lock whose holder cannot be written (disk full) is no lock: the
    # next run would find it unreadable.
    IFS= read -r h || true
    if printf '%s' "$h" > "$state/lock/holder" && [ -s "$state/lock/holder" ]; then
      echo lock=acquired
      # Only the holder gets here: releases half-staged by a run that was killed go.
      for t in "$state"/releases/*.tmp; do [ ! -e "$t" ] || rm -rf "$t"; done
    else rm -rf "$state/lock"; echo 'cannot write the lock holder (disk full?)' >&2; return 1; fi
  else IFS= read -r h < "$state/lock/holder" 2>/dev/null; printf 'lock=held\nholder=%s\n' "$h"; fi
}`

const FACTS_AND_LOCK = seq(FACTS, raw`take_lock`)

// The same, then the exit status of take_lock and the journal (STATE/journal, see journal.ts) in the same process.
const FACTS_LOCK_AND_JOURNAL = seq(FACTS, raw`take_lock; rc=$?
echo "lockrc=$rc"
[ ! -f "$state/journal" ] || while IFS= read -r l || [ -n "$l" ]; do printf 'journal %s\n' "$l"; done < "$state/journal"
exit "$rc"`)

const UNLOCK = raw`h=; IFS= read -r h < "$1/lock/holder" 2>/dev/null; case "$h" in *"$2"*) rm -rf "$1/lock" ;; esac; true`

export interface LockHolder {
  runId: string
  user: string
  controller: string
  pid: number
  since: string
  command: string
}

export function newHolder(runId: string, command: string): LockHolder {
  return {runId, user: userInfo().username, controller: hostname(), pid: process.pid, since: new Date().toISOString(), command}
}

export function factsAndLockCommand(stateDir: string, mode: 'lock' | 'nolock' | 'break') {
  return script(FACTS_AND_LOCK, stateDir, mode)
}

/** The first round trip's head: facts, the lock (`lockrc=N`), then the journal's lines (`journal ...`). */
export function factsLockAndJournalCommand(stateDir: string, mode: 'lock' | 'nolock' | 'break') {
  return script(FACTS_LOCK_AND_JOURNAL, stateDir, mode)
}

export function unlockCommand(stateDir: string, runId: string) {
  return script(UNLOCK, stateDir, runId)
}

export interface FactsAndLock {
  facts: HostFacts
  lock: 'acquired' | 'held' | 'none'
  holder?: LockHolder
  /** Exit status of the facts/lock script when the caller printed it as `lockrc=N`. */
  lockExit?: number
}

export function parseFactsAndLock(stdout: string): FactsAndLock {
  const kv = new Map<string, string>()
  // Only the lines before any probe output (which may well contain "=").
  for (const line of stdout.split('\n')) {
    if (/^[0-9a-f]{24} begin /.test(line)) break
    const i = line.indexOf('=')
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1))
  }
  const pm = kv.get('pm')
  let holder: LockHolder | undefined
  try {
    holder = kv.get('holder') ? (JSON.parse(kv.get('holder')!) as LockHolder) : undefined
  } catch {
    holder = undefined
  }
  return {
    facts: {systemd: kv.get('systemd') === '1', packageManager: pm === 'apt-get' ? 'apt' : pm === 'dnf' ? 'dnf' : pm === 'yum' ? 'yum' : 'none', os: (kv.get('os') ?? '').trim()},
    lock: (kv.get('lock') as 'acquired' | 'held' | undefined) ?? 'none',
    holder,
    lockExit: kv.has('lockrc') ? Number(kv.get('lockrc')) : undefined,
  }
}

/** Why a lock is held, and whether its holder is provably gone (same controller, process no longer running). */
export function describeHolder(host: string, h: LockHolder | undefined, now = Date.now()): {message: string; stale: boolean} {
  if (!h) return {message: `${host} is locked by a run whose details are unreadable; if no deploy is running, re-run with --break-lock`, stale: false}
  const age = Math.round((now - Date.parse(h.since)) / 1000)
  const who = `${h.command} by ${h.user}@${h.controller} (pid ${h.pid}) since ${h.since} (${age}s ago)`
  let alive = true
  if (h.controller === hostname()) {
    try {
      process.kill(h.pid, 0)
    } catch {
      alive = false
    }
  }
  if (!alive) return {message: `${host} is locked by ${who}, which is no longer running (a stale lock); re-run with --break-lock to take it over`, stale: true}
  return {message: `${host} is locked by ${who}; wait for it to finish, or --break-lock if you are sure it is gone`, stale: false}
}

/**
 * Takes the deploy lock on every host of `lock` (and reads every host's facts), for a command that changes the cluster
 * outside a playbook run (failover-test, drain). Returns who was locked, each host's facts, and why the hosts that
 * were not could not be.
 */
export async function lockHosts(
  transports: Map<string, Transport>,
  lock: ReadonlySet<string>,
  stateDir: string,
  holder: LockHolder,
  breakLock: boolean,
): Promise<{locked: string[]; facts: Map<string, HostFacts>; held: string[]}> {
  const locked: string[] = []
  const held: string[] = []
  const facts = new Map<string, HostFacts>()
  await Promise.all(
    [...transports].map(async ([name, t]) => {
      const mode = !lock.has(name) ? 'nolock' : breakLock ? 'break' : 'lock'
      const r = await t.exec(factsAndLockCommand(stateDir, mode), {stdin: JSON.stringify(holder)})
      const parsed = parseFactsAndLock(r.stdout)
      facts.set(name, parsed.facts)
      if (parsed.lock === 'acquired') locked.push(name)
      else if (mode !== 'nolock') held.push(parsed.lock === 'held' ? describeHolder(name, parsed.holder).message : `${name}: cannot take the lock: ${r.stderr.trim()}`)
    }),
  )
  return {locked, facts, held}
}

/** Gives back the locks `lockHosts` took (a host that cannot be reached keeps it: a later --break-lock takes it). */
export async function unlockHosts(transports: Map<string, Transport>, locked: readonly string[], stateDir: string, runId: string): Promise<void> {
  await Promise.all(locked.map((name) => transports.get(name)?.exec(unlockCommand(stateDir, runId)).catch(() => undefined)))
}
