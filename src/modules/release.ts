import {z} from 'zod'
import {cmd, raw} from '../shell/index.js'
import {sha256} from './template.js'
import {failed, ok, type Module, type ModuleContext} from './types.js'

/**
 * A release is the whole managed bundle of a host as activated by one deploy:
 *   STATE/releases/ID/files/<absolute path>   copies (root-only, they may hold secrets)
 *   STATE/releases/ID/manifest.json           id, inventory name + sha256, and each file's sha256/mode
 *   STATE/releases/ID/files.list              the same, one "path sha256 mode validate service" line per file (for sh)
 *   STATE/releases/current → ID
 * IDs sort by time (20261121T093000Z-abcd1234), so "previous" is plain ordering.
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
  created: string
  inventory: string
  inventorySha256: string
  host: string
  files: ManifestFile[]
}

export function manifestFor(ctx: ModuleContext): Manifest {
  return {
    id: ctx.releaseId,
    created: new Date().toISOString(),
    inventory: ctx.cluster.name,
    inventorySha256: ctx.cluster.hash,
    host: ctx.host.name,
    files: ctx.files.map((f) => ({path: f.path, sha256: sha256(f.content), mode: f.mode.toString(8), validate: f.validate ?? 'none', service: f.service ?? '-'})),
  }
}

export function releasesDir(ctx: ModuleContext): string {
  return `${ctx.cluster.deploy.stateDir}/releases`
}

const RECORD = raw`set -eu
dir=$1; id=$2; keep=$3; shift 3
rel="$dir/$id"
rm -rf "$rel.tmp"; mkdir -p "$rel.tmp/files"; chmod 700 "$dir" "$rel.tmp"
cat > "$rel.tmp/manifest.json"
: > "$rel.tmp/files.list"
while [ $# -gt 0 ]; do
  f=$1; printf '%s %s %s %s %s\n' "$1" "$2" "$3" "$4" "$5" >> "$rel.tmp/files.list"; shift 5
  mkdir -p "$rel.tmp/files$(dirname "$f")"; cp -p "$f" "$rel.tmp/files$f"
done
rm -rf "$rel"; mv "$rel.tmp" "$rel"
ln -sfn "$id" "$dir/current"
ls -1 "$dir" | grep -v -e '^current$' -e '\.tmp$' | sort | head -n "-$keep" | while read -r old; do [ -n "$old" ] && rm -rf "$dir/$old"; done`

/** Records the host's files as a release when they differ from the current release (or none exists). */
export const release: Module<Record<string, never>> = {
  name: 'release',
  args: z.strictObject({}),
  probe: (_a, ctx) => cmd`cat ${releasesDir(ctx)}/current/files.list 2>/dev/null || true`,
  plan(_a, probe, ctx) {
    if (!probe) return failed('cannot read the current release')
    const m = manifestFor(ctx)
    const current = probe.stdout.trim().split('\n').filter(Boolean).sort().join('\n')
    const wanted = m.files.map((f) => `${f.path} ${f.sha256} ${f.mode} ${f.validate} ${f.service}`).sort().join('\n')
    if (current === wanted) return ok('current release already holds these files')
    const argv = m.files.flatMap((f) => [f.path, f.sha256, f.mode, f.validate, f.service])
    return {
      status: 'changed',
      message: `release ${m.id}`,
      steps: [{label: `record release ${m.id}`, command: cmd`sh -c ${RECORD.text} lbctl ${releasesDir(ctx)} ${m.id} ${String(ctx.cluster.deploy.releasesKeep)} ${argv}`, stdin: `${JSON.stringify(m, null, 2)}\n`}],
    }
  },
}
