import {z} from 'zod'
import {certificateDiff, fileDiff} from './template.js'
import {cmd, script} from '../shell/index.js'
import {installStep, type InstallFile} from './install.js'
import {releasesDir} from './release.js'
import {LIVE_AND_ORIGINAL, parseSysctlFacts, planSysctls} from './sysctl.js'
import {failed, ok, type FileDiff, type Module, type Plan, type Step} from './types.js'

const args = z.strictObject({})

/*
 * The target release's files with their recorded and live sha256/mode, and its sysctls with their live values. With
 * $4 = 1 (--diff), each file that differs also comes as it is on the host (`C path base64`) and in the release
 * (`R path base64`).
 */
const PROBE = cmd`dir=$1; target=$2; state=$3; diff=$4
if [ ! -d "$dir/$target" ]; then echo NONE; exit 0; fi
while read -r path sha mode validate service; do
  if [ -f "$path" ]; then cur=$(sha256sum < "$path" | cut -d' ' -f1); cm=$(stat -c %a "$path"); else cur=-; cm=-; fi
  echo "FILE $path $sha $mode $validate $service $cur $cm"
  if [ "$diff" = 1 ] && [ "$cur" != "$sha" ]; then
    [ ! -f "$path" ] || { printf 'C %s ' "$path"; base64 -w0 < "$path"; echo; }
    printf 'R %s ' "$path"; base64 -w0 < "$dir/$target/files$path"; echo
  fi
done < "$dir/$target/files.list"
set --
if [ -f "$dir/$target/sysctls" ]; then echo SYSCTLS; while read -r k v; do
  printf 'WANT %s=%s\n' "$k" "$v"; set -- "$@" "$k"
done < "$dir/$target/sysctls"; fi
${LIVE_AND_ORIGINAL}
live_and_original "$@"`

export interface ReleaseProbe {
  found: boolean
  files: {path: string; sha256: string; mode: string; validate: string; service: string; liveSha256: string; liveMode: string}[]
  /** undefined for releases recorded before lbctl kept sysctls with them. */
  sysctls?: Record<string, string>
  /** With --diff: each differing file as it is on the host and as the release has it. */
  live: Map<string, string>
  release: Map<string, string>
}

export function parseReleaseProbe(stdout: string): ReleaseProbe {
  const out: ReleaseProbe = {found: !/^NONE$/m.test(stdout), files: [], live: new Map(), release: new Map()}
  for (const line of stdout.split('\n')) {
    const w = line.split(' ')
    if (w[0] === 'C' || w[0] === 'R') (w[0] === 'C' ? out.live : out.release).set(w[1], Buffer.from(w[2] ?? '', 'base64').toString('utf8'))
    else if (w[0] === 'FILE') out.files.push({path: w[1], sha256: w[2], mode: w[3], validate: w[4], service: w[5], liveSha256: w[6], liveMode: w[7]})
    else if (w[0] === 'SYSCTLS') out.sysctls = {}
    else if (w[0] === 'WANT' && out.sysctls) {
      const kv = line.slice(5)
      out.sysctls[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1)
    }
  }
  return out
}

/**
 * Rollback: re-installs the target release's files (all validated before any is renamed, journaled, like a deploy)
 * and its sysctls; keys the release lacks go back to their value from before lbctl. The release module then makes
 * it current and removes files it lacks.
 */
export const activateRelease: Module<z.infer<typeof args>> = {
  name: 'activate_release',
  args,
  probe(_a, ctx) {
    return script(PROBE, releasesDir(ctx), String(ctx.vars.release ?? ''), ctx.cluster.deploy.stateDir, ctx.diff ? '1' : '0')
  },
  plan(_a, probe, ctx): Plan {
    const target = String(ctx.vars.release ?? '')
    if (!target) return failed('no release to roll back to was given')
    if (!probe || probe.code !== 0) return failed(`cannot read release ${target}: ${probe?.stderr.trim() || 'no answer'}`)
    const r = parseReleaseProbe(probe.stdout)
    if (!r.found) return ctx.vars.force ? ok(`no release ${target} on this host: left as it is (--force)`) : failed(`this host has no release ${target}`)
    const install: InstallFile[] = r.files
      .filter((f) => f.sha256 !== f.liveSha256 || f.mode !== f.liveMode)
      .map((f) => ({path: f.path, mode: parseInt(f.mode, 8), validate: f.validate}))
    const services = [...new Set(r.files.filter((f) => install.some((i) => i.path === f.path) && f.service !== '-').map((f) => f.service))]
    const steps: Step[] = install.length ? [installStep(ctx, install, services, target)] : []
    const notes: string[] = []
    if (r.sysctls) {
      const s = planSysctls(r.sysctls, parseSysctlFacts(probe.stdout), ctx.cluster.deploy.stateDir, true)
      if (s.status === 'failed') return s
      if (s.status === 'changed') {
        steps.push(...s.steps)
        notes.push(s.message ?? '')
      }
    }
    if (steps.length === 0) return ok(`release ${target}'s files and sysctls are in place`)
    const diffs = ctx.diff ? releaseDiffs(r, install.map((f) => f.path), ctx.cluster.secrets) : undefined
    return {status: 'changed', message: [`activate ${target} (${install.length} file(s))`, ...notes].join('; '), steps, changedPaths: install.map((f) => f.path), services, diffs}
  },
}

/** What rollback --diff shows: each file to be re-activated, from what the host runs to what the release holds (a certificate by its identity only). */
function releaseDiffs(r: ReleaseProbe, paths: string[], secrets: string[]): FileDiff[] {
  return paths.filter((p) => r.release.has(p)).map((p) => {
    const [before, after] = [r.live.get(p), r.release.get(p)!]
    return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(`${before ?? ''}${after}`) ? certificateDiff(p, before, after) : fileDiff(p, before, after, secrets)
  })
}
