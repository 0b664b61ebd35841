import {z} from 'zod'
import {cmd, raw, script} from '../shell/index.js'
import {RELEASE_STATE, parseReleaseState, prunable, type Action} from './release-history.js'
import {asLines, PUT_FILE} from './stdin-lines.js'
import {tarball} from './tar.js'
import {sha256} from './template.js'
import {failed, ok, type Module, type ModuleContext} from './types.js'

/**
 * A release is the whole managed bundle of a host as one deploy wants it:
 *   STATE/releases/ID/files/<absolute path>   copies (root-only, they may hold secrets)
 *   STATE/releases/ID/manifest.json           id, inventory name + sha256, the cluster bundle digest, files, sysctls
 *   STATE/releases/ID/files.list              "path sha256 mode validate service" per file (for sh)
 *   STATE/releases/ID/sysctls                 "key value" per sysctl the release sets
 * One ID names one desired state of the whole cluster, on every host (see playbook/releases.ts).
 */
export interface ManifestFile {
  path: string
  sha256: string
  mode: string
  validate: string
  service: string
}

export interface Manifest {
  id: string
  inventory: string
  inventorySha256: string
  /** sha256 of every host's files and sysctls: how a later run recognises this release. Never printed. */
  bundle: string
  host: string
  files: ManifestFile[]
  sysctls: Record<string, string>
}

export function manifestFor(ctx: ModuleContext): Manifest {
  return {
    id: ctx.releaseId,
    inventory: ctx.cluster.name,
    inventorySha256: ctx.cluster.hash,
    bundle: ctx.bundle ?? '',
    host: ctx.host.name,
    files: ctx.files.map((f) => ({path: f.path, sha256: sha256(f.content), mode: f.mode.toString(8), validate: f.validate ?? 'none', service: f.service ?? '-'})),
    sysctls: Object.fromEntries(Object.entries(ctx.host.tuning.sysctls).map(([k, v]) => [k, String(v)])),
  }
}

export function releasesDir(ctx: ModuleContext): string {
  return `${ctx.cluster.deploy.stateDir}/releases`
}

// Staged before any file is activated, so a full disk fails the deploy while the old files still run. Earlier
// half-staged releases (a run that was killed) go first: only the run holding the lock gets here.
// SOURCE: "tar" (a tar on stdin), or "lines SHAPES" then DIRS (the release's directories, one word) and its FILES
// (relative to it), each file's lines in turn on stdin (stdin-lines.ts): one mkdir for the releases directory, the
// release's and all of its own.
const STAGE = cmd`set -eu
dir=$1; id=$2; source=$3; shift 3
for t in "$dir"/*.tmp; do [ ! -e "$t" ] || rm -rf "$t"; done
failed() { rm -rf "$dir/$id.tmp"; printf 'cannot stage release %s in %s (disk full?); nothing was changed on this host:\n%s\n' "$id" "$dir" "$1" >&2; exit 65; }
if [ "$source" = tar ]; then
  [ -d "$dir" ] || { mkdir -p "$dir"; chmod 700 "$dir"; }
  mkdir -m 700 "$dir/$id.tmp"
  out=$(tar -x -m -p --no-same-owner -C "$dir/$id.tmp" -f - 2>&1) || failed "$out"
else
  ${PUT_FILE}
  make_dirs() { b=$1; w=$2; set -- "$b"; set -f; for d in $w; do set -- "$@" "$b/$d"; done; set +f; mkdir -p -- "$@"; }
  [ ! -e "$dir/$id.tmp" ] || failed "$id.tmp is in the way"
  umask 077; make_dirs "$dir/$id.tmp" "$1" || failed "cannot make its directories"; shift
  shapes=\${source#lines }
  for f in "$@"; do
    s=\${shapes%% *}; shapes=\${shapes#"$s"}; shapes=\${shapes# }
    put_file "$s" "$dir/$id.tmp/$f" || failed "cannot write $f"
  done
fi`

// Only renames and small writes once the files are active. Files the new release lacks go back to what was there
// before lbctl managed them (or away), after the reloads, so no running daemon ever misses a script it still names.
// TIME is the controller's (UTC): one clock for every host of a run, and no date(1) on each.
const RECORD = raw`set -eu
time=$1; state=$2; id=$3; action=$4; shift 4
dir="$state/releases"
[ -d "$dir/$id" ] || [ -d "$dir/$id.tmp" ] || { printf 'release %s is not on this host (it was not staged)\n' "$id" >&2; exit 65; }
[ -d "$dir/$id" ] || mv "$dir/$id.tmp" "$dir/$id"
# A host deployed before there was a history starts one with the release it runs.
[ -f "$state/history" ] || { c=$(readlink "$dir/current" 2>/dev/null) && printf -- '- deploy %s\n' "$c" > "$state/history" || true; }
ln -sfn "$id" "$dir/.current.new"; mv -T "$dir/.current.new" "$dir/current"
printf '%s %s %s\n' "$time" "$action" "$id" >> "$state/history"
while [ "$1" != -- ]; do rm -rf "$dir/$1"; shift; done; shift
for p in "$@"; do
  o="$state/originals$p"
  if [ -f "$o" ]; then cp -p "$o" "$p.lbctl-new" && mv -f "$p.lbctl-new" "$p" && rm -f "$o"
  else rm -f "$p" "$o.lbctl-absent"; fi
done`

const args = z.strictObject({stage: z.boolean().optional().describe('Stage the release before activation (deploy) instead of recording it')})

function stagePlan(ctx: ModuleContext, stdout: string) {
  const state = parseReleaseState(stdout)
  const id = ctx.releaseId
  if (state.releases.has(id)) return ok(`release ${id} is on the host`)
  const m = manifestFor(ctx)
  const list = m.files.map((f) => `${f.path} ${f.sha256} ${f.mode} ${f.validate} ${f.service}\n`).join('')
  const sysctls = Object.entries(m.sysctls).map(([k, v]) => `${k} ${v}\n`).join('')
  const entries = [
    ...ctx.files.map((f) => ({name: `files${f.path}`, content: f.content, mode: f.mode})),
    {name: 'manifest.json', content: `${JSON.stringify(m, null, 2)}\n`, mode: 0o600},
    {name: 'files.list', content: list, mode: 0o600},
    {name: 'sysctls', content: sysctls, mode: 0o600},
  ]
  const label = `stage release ${id}`
  const step = (source: string, stdin: Buffer, ...rest: string[]) => ({status: 'changed' as const, message: label, steps: [{label, command: script(STAGE, releasesDir(ctx), id, source, ...rest), stdin, selfDelimited: source !== 'tar' || undefined}]})
  // The directories go to mkdir as one word, split on the host: a name with a space or a pattern character travels in a tar.
  const dirs = [...new Set(ctx.files.map((f) => `files${f.path.slice(0, f.path.lastIndexOf('/'))}`))]
  const lines = dirs.every((d) => /^[\w./@+-]+$/.test(d)) ? asLines(entries) : undefined
  return lines ? step(`lines ${lines.shapes.join(' ')}`, lines.stdin, dirs.join(' '), ...entries.map((e) => e.name)) : step('tar', tarball(entries))
}

function recordPlan(ctx: ModuleContext, stdout: string) {
  const state = parseReleaseState(stdout)
  const id = ctx.releaseId
  const action: Action = ctx.vars.release ? 'rollback' : 'deploy'
  if (state.current === id && state.history.at(-1)?.id === id) return {...ok(`release ${id} is active`), current: id}
  const present = state.releases.has(id) || state.staged.includes(id)
  if (!present && action === 'rollback' && ctx.vars.force) return ok(`no release ${id} on this host: left as it is (--force)`)
  // --check stages nothing, so the release it would record is not there yet.
  if (!present && ctx.check) return {status: 'changed' as const, message: `release ${id} (would be staged and recorded)`, steps: []}
  // Not there when the host was read: staged by this run's "stage release", in the same batch (the record checks on
  // the host, before it changes anything), or never — then the record fails with this same message.
  const before = new Set(state.current ? (state.paths.get(state.current) ?? []) : [])
  const after = new Set(state.paths.get(id) ?? ctx.files.map((f) => f.path))
  const removed = [...before].filter((p) => !after.has(p))
  const prune = prunable(state, {time: '-', action, id}, ctx.cluster.deploy.releasesKeep)
  return {
    status: 'changed' as const,
    current: id,
    message: `release ${id}${removed.length ? `; removed ${removed.join(', ')}` : ''}`,
    steps: [{label: `record release ${id}`, command: script(RECORD, new Date().toISOString().replace(/\.\d+Z$/, 'Z'), ctx.cluster.deploy.stateDir, id, action, prune, '--', removed)}],
  }
}

/** `stage: true` puts the release on the host before activation; without it, makes it current once all checks passed. */
export const release: Module<z.infer<typeof args>> = {
  name: 'release',
  // Staging adds a half-made release, which recording checks for on the host itself; recording puts back the files
  // a release no longer has.
  effects: (a) => (a.stage ? {reads: ['releases'], writes: ['releases:staged']} : {reads: ['releases:active'], writes: ['releases:active', 'file']}),
  args,
  probe: (_a, ctx) => script(RELEASE_STATE, ctx.cluster.deploy.stateDir),
  plan(a, probe, ctx) {
    if (!probe || probe.code !== 0) return failed(`cannot read the releases: ${probe?.stderr.trim() || 'no answer'}`)
    return a.stage ? stagePlan(ctx, probe.stdout) : recordPlan(ctx, probe.stdout)
  },
}
