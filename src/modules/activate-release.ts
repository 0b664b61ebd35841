import {z} from 'zod'
import {cmd, raw} from '../shell/index.js'
import {releasesDir} from './release.js'
import {INSTALL_FILE} from './scripts.js'
import {failed, ok, type Module, type Plan, type Step} from './types.js'

const args = z.strictObject({})

/*
 * Picks the newest release at or before the target ID on this host (a host unchanged by some deploy has no
 * release of that ID: its state "as of" the target is its latest older release), then reports each file's
 * recorded and current sha256/mode.
 */
const PROBE = raw`dir=$1; target=$2
id=$(ls -1 "$dir" 2>/dev/null | grep -v -e '^current$' -e '\.tmp$' | sort | awk -v t="$target" '$0 <= t' | tail -n 1)
if [ -z "$id" ]; then echo NONE; exit 0; fi
echo "ID $id"
echo "CURRENT $(readlink "$dir/current" 2>/dev/null || echo -)"
while read -r path sha mode validate service; do
  if [ -f "$path" ]; then cur=$(sha256sum < "$path" | cut -d' ' -f1); cm=$(stat -c %a "$path"); else cur=-; cm=-; fi
  echo "FILE $path $sha $mode $validate $service $cur $cm"
done < "$dir/$id/files.list"`

export interface ReleaseProbe {
  id?: string
  current?: string
  files: {path: string; sha256: string; mode: string; validate: string; service: string; liveSha256: string; liveMode: string}[]
}

export function parseReleaseProbe(stdout: string): ReleaseProbe {
  const out: ReleaseProbe = {files: []}
  for (const line of stdout.split('\n')) {
    const w = line.split(' ')
    if (w[0] === 'ID') out.id = w[1]
    else if (w[0] === 'CURRENT') out.current = w[1]
    else if (w[0] === 'FILE') out.files.push({path: w[1], sha256: w[2], mode: w[3], validate: w[4], service: w[5], liveSha256: w[6], liveMode: w[7]})
  }
  return out
}

/** Rollback: re-installs a release's files (validated, atomic, like a deploy) and points `current` at it. */
export const activateRelease: Module<z.infer<typeof args>> = {
  name: 'activate_release',
  args,
  probe(_a, ctx) {
    return cmd`sh -c ${PROBE.text} lbctl ${releasesDir(ctx)} ${String(ctx.vars.release ?? '')}`
  },
  plan(_a, probe, ctx): Plan {
    const target = String(ctx.vars.release ?? '')
    if (!target) return failed('no release to roll back to was given')
    if (!probe || probe.code !== 0) return failed(`cannot read releases: ${probe?.stderr.trim() || 'no answer'}`)
    const r = parseReleaseProbe(probe.stdout)
    if (!r.id) return failed(`this host has no release at or before ${target}`)
    const dir = `${releasesDir(ctx)}/${r.id}/files`
    const steps: Step[] = []
    const services = new Set<string>()
    const changedPaths: string[] = []
    for (const f of r.files) {
      if (f.sha256 === f.liveSha256 && f.mode === f.liveMode) continue
      steps.push({label: `restore ${f.path}`, command: cmd`sh -c ${INSTALL_FILE.text} lbctl ${f.path} ${f.mode} ${f.validate} < ${dir + f.path}`})
      changedPaths.push(f.path)
      if (f.service !== '-') services.add(f.service)
    }
    if (r.current !== r.id) steps.push({label: `current → ${r.id}`, command: cmd`ln -sfn ${r.id} ${releasesDir(ctx)}/current`})
    if (steps.length === 0) return ok(`release ${r.id} is active`)
    return {status: 'changed', message: `activate ${r.id} (${changedPaths.length} file(s))`, steps, changedPaths, services: [...services]}
  },
}
