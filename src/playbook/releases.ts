import type {Cluster, Host} from '../inventory/model.js'
import {cmd, raw} from '../shell/index.js'
import type {Transport} from '../transport/types.js'

/** Lists each release dir with its manifest's creation time and inventory, and which one is current. */
const LIST = raw`dir=$1
cur=$(readlink "$dir/current" 2>/dev/null || echo -)
for d in $(ls -1 "$dir" 2>/dev/null | grep -v -e '^current$' -e '\.tmp$' | sort); do
  created=$(sed -n 's/.*"created": *"\([^"]*\)".*/\1/p' "$dir/$d/manifest.json" | head -n 1)
  n=$(wc -l < "$dir/$d/files.list")
  if [ "$d" = "$cur" ]; then c=current; else c=-; fi
  echo "$d $c $created $n"
done`

export interface HostRelease {
  id: string
  current: boolean
  created: string
  files: number
}

export function parseReleaseList(stdout: string): HostRelease[] {
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, c, created, n] = l.split(' ')
      return {id, current: c === 'current', created, files: Number(n)}
    })
}

export async function listReleases(cluster: Cluster, hosts: Host[], transports: Map<string, Transport | Error>): Promise<Map<string, HostRelease[] | Error>> {
  const answers = await Promise.all(
    hosts.map(async (h): Promise<HostRelease[] | Error> => {
      const t = transports.get(h.name)
      if (!t || t instanceof Error) return t ?? new Error(`${h.name}: not connected`)
      const r = await t.exec(cmd`sh -c ${LIST.text} lbctl ${`${cluster.deploy.stateDir}/releases`}`)
      return r.code === 0 ? parseReleaseList(r.stdout) : new Error(`${h.name}: ${r.stderr.trim()}`)
    }),
  )
  // In inventory order, whatever order the hosts answered in.
  return new Map(hosts.map((h, i) => [h.name, answers[i]]))
}

/**
 * The cluster-wide rollback target. Releases of one deploy share an ID on every host it changed; the cluster's
 * current release is the newest current one, and "previous" is the newest ID older than it on any host. Each host
 * then activates its newest release at or before that ID.
 */
export function rollbackTarget(perHost: Map<string, HostRelease[] | Error>, to?: string): {id?: string; error?: string} {
  const all = [...perHost.values()].filter((v): v is HostRelease[] => !(v instanceof Error))
  const ids = [...new Set(all.flat().map((r) => r.id))].sort()
  if (to) return ids.includes(to) ? {id: to} : {error: `no host has release ${to} (known: ${ids.join(', ') || 'none'})`}
  const current = all.flatMap((rs) => rs.filter((r) => r.current).map((r) => r.id)).sort().pop()
  if (!current) return {error: 'no host has a current release: deploy first'}
  const previous = ids.filter((id) => id < current).pop()
  return previous ? {id: previous} : {error: `release ${current} is the oldest there is: nothing to roll back to`}
}

export function newReleaseId(cluster: Cluster, now = new Date()): string {
  // Milliseconds keep two quick deploys of the same inventory apart; the string still sorts by time.
  const t = now.toISOString().replace(/[-:.]/g, '')
  return `${t}-${cluster.hash.slice(0, 8)}`
}
