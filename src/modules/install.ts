import type {RenderedFile} from '../render/index.js'
import {cmd, script} from '../shell/index.js'
import {asLines, PUT_FILE} from './stdin-lines.js'
import {tarball} from './tar.js'
import type {ModuleContext, Step} from './types.js'

/*
 * Installs a host's changed files all or nothing, in one round trip:
 *  1. stage every file beside its target as PATH.lbctl-new (from stdin, as lines or a tar, or copied from a release);
 *  2. check every staged file with its daemon's own validator — keepalived.conf against the staged scripts it
 *     names, haproxy.cfg against the staged certificates, so a first deploy validates too — and stop at the first
 *     rejection with nothing renamed;
 *  3. save what was there before lbctl first managed a path (STATE/originals), so removing it later restores it;
 *  4. write the journal (STATE/journal): the release being activated and the services that must reload. Every later
 *     run reads it first and finishes the reload, however this run ends;
 *  5. rename each file into place, ignoring hangups: once renaming starts it finishes even if the controller goes.
 * A disk full anywhere fails in 1–4, before anything is active. Args: STATE RELEASE SOURCE SERVICE… -- PATH CHECK…
 */
export const INSTALL = cmd`set -eu
state=$1; release=$2; source=$3; shift 3
services=''
while [ "$1" != -- ]; do services="$services $1"; shift; done; shift
cleanup() { i=0; for x in "$@"; do [ $((i % 2)) = 1 ] || rm -f "$x.lbctl-new" "$x.lbctl-check"; i=$((i + 1)); done; }
fail() { msg=$1; shift; cleanup "$@"; printf '%s\n' "$msg" >&2; exit 65; }
trap 'cleanup "$@"; exit 70' HUP INT TERM
staged=''
i=0
for x in "$@"; do
  if [ $((i % 2)) = 0 ]; then
    p=$x; d=\${p%/*}; [ -d "\${d:-/}" ] || mkdir -p "$d"; staged="$staged $p"
    case "$source" in
      tar | lines*) ;;
      *) cp -p "$source$p" "$p.lbctl-new" 2>/dev/null || fail "cannot stage $p from $source (disk full?); nothing was changed on this host" "$@" ;;
    esac
  fi
  i=$((i + 1))
done
if [ "$source" = tar ]; then
  out=$(tar -x -m -p --no-same-owner -C / -f - 2>&1) || fail "cannot stage the new files (disk full?); nothing was changed on this host:
$out" "$@"
fi
${PUT_FILE}
case "$source" in lines*)
  shapes=\${source#lines }; i=0
  for x in "$@"; do
    if [ $((i % 2)) = 0 ]; then
      s=\${shapes%% *}; shapes=\${shapes#"$s"}; shapes=\${shapes# }
      put_file "$s" "$x.lbctl-new" || fail "cannot stage $x (disk full?); nothing was changed on this host" "$@"
    fi
    i=$((i + 1))
  done ;;
esac
# keepalived.conf and haproxy.cfg are checked with the staged scripts' and certificates' paths, as they will find them
# once everything is renamed.
subst() {
  awk -v list="$staged" 'BEGIN { n = split(list, P, " ") }
  { for (i = 1; i <= n; i++) { s = $0; o = ""
      while ((k = index(s, P[i])) > 0) { e = k + length(P[i]); o = o substr(s, 1, e - 1); if (substr(s, e, 1) !~ /[A-Za-z0-9._-]/) o = o ".lbctl-new"; s = substr(s, e) }
      $0 = o s }
    print }' "$1"
}
i=0
for x in "$@"; do
  if [ $((i % 2)) = 0 ]; then p=$x; else
    [ -f "$p.lbctl-new" ] || fail "cannot stage $p; nothing was changed on this host" "$@"
    case "$x" in
      keepalived) subst "$p.lbctl-new" > "$p.lbctl-check"; chmod 600 "$p.lbctl-check"
        out=$(keepalived -t -f "$p.lbctl-check" 2>&1) || fail "keepalived -t rejected the new $p (the old one stays active; nothing was changed on this host):
$out" "$@"
        rm -f "$p.lbctl-check" ;;
      haproxy) subst "$p.lbctl-new" > "$p.lbctl-check"; chmod 600 "$p.lbctl-check"
        out=$(haproxy -c -f "$p.lbctl-check" 2>&1) || fail "haproxy -c rejected the new $p (the old one stays active; nothing was changed on this host):
$out" "$@"
        rm -f "$p.lbctl-check" ;;
      shell) out=$(sh -n "$p.lbctl-new" 2>&1) || fail "sh -n rejected the new $p (nothing was changed on this host):
$out" "$@" ;;
      none) ;;
      *) fail "unknown validator $x" "$@" ;;
    esac
  fi
  i=$((i + 1))
done
umask 077
# One mkdir for the directories of every original still to save (a first deploy has one per file).
dirs=
for p in $staged; do
  o="$state/originals$p"; d=\${o%/*}
  [ -e "$o" ] || [ -e "$o.lbctl-absent" ] || [ -d "$d" ] || case " $dirs " in *" $d "*) ;; *) dirs="$dirs $d" ;; esac
done
[ -z "$dirs" ] || mkdir -p $dirs || fail "cannot write $state (disk full?); nothing was changed on this host" "$@"
for p in $staged; do
  o="$state/originals$p"
  [ -e "$o" ] || [ -e "$o.lbctl-absent" ] || {
    if [ -f "$p" ] && ! head -n 3 "$p" | grep -q 'Managed by lbctl'; then cp -p "$p" "$o"; else : > "$o.lbctl-absent"; fi || fail "cannot save the original $p in $state (disk full?); nothing was changed on this host" "$@"
  }
done
# The journal so far plus this activation, each line once; a write that fails (disk full) stops before the rename.
once() { case $seen in *"|$1|"*) return ;; esac; seen="$seen|$1|"; printf '%s\n' "$1" 2>/dev/null || exit 1; }
( seen=
  [ ! -f "$state/journal" ] || while IFS= read -r l || [ -n "$l" ]; do [ -z "$l" ] || once "$l"; done < "$state/journal"
  once "release $release"; for s in $services; do once "service $s"; done ) > "$state/journal.new" \
  && mv -f "$state/journal.new" "$state/journal" || fail "cannot write the journal $state/journal (disk full?); nothing was changed on this host" "$@"
trap '' HUP INT TERM PIPE
bad=''
for p in $staged; do mv -f "$p.lbctl-new" "$p" || bad="$bad $p"; done
[ -z "$bad" ] || { printf 'could not rename:%s\n' "$bad" >&2; exit 1; }`

// keepalived -t fails when a script its config names does not exist, and HAProxy should reload before keepalived
// re-reads its track scripts: scripts and units first, keepalived.conf last.
export const INSTALL_ORDER: RenderedFile['kind'][] = ['script', 'unit', 'sysctl', 'ipvsadm', 'certificate', 'haproxy', 'keepalived']

export interface InstallFile {
  path: string
  mode: number
  validate: string
  content?: string | Buffer
}

/**
 * The step that installs `files` (with content: from the controller; without: copied from release `from`) and
 * records `services` as due for reload in the host's journal.
 */
export function installStep(ctx: ModuleContext, files: InstallFile[], services: string[], from?: string): Step {
  const pairs = files.flatMap((f) => [f.path, f.validate])
  const label = files.length === 1 ? `install ${files[0].path}` : `install ${files.length} files`
  const command = (source: string) => script(INSTALL, ctx.cluster.deploy.stateDir, ctx.releaseId || '-', source, services, '--', pairs)
  if (from) return {label, command: command(`${ctx.cluster.deploy.stateDir}/releases/${from}/files`)}
  const lines = asLines(files.map((f) => ({content: f.content ?? '', mode: f.mode})))
  if (lines) return {label, command: command(`lines ${lines.shapes.join(' ')}`), stdin: lines.stdin, selfDelimited: true}
  return {label, command: command('tar'), stdin: tarball(files.map((f) => ({name: `${f.path.slice(1)}.lbctl-new`, content: f.content ?? '', mode: f.mode})))}
}
