import {z} from 'zod'
import type {Cluster, Host} from '../inventory/model.js'
import {cmd} from '../shell/index.js'
import {failed, ok, type Module} from './types.js'

const args = z.strictObject({names: z.array(z.string().regex(/^[a-z0-9][a-z0-9+.-]*$/)).optional()})

/** What a host needs for its role; psmisc brings the killall the seeds' chk_haproxy uses. */
export function neededPackages(cluster: Cluster, host: Host): string[] {
  if (host.kind === 'real_server') return ['iproute2']
  const out = ['keepalived', 'psmisc', 'iproute2']
  if (cluster.haproxy) out.push('haproxy')
  if (cluster.virtualServices.length) out.push('ipvsadm')
  if (host.tuning.ethtool.interfaces.length) out.push('ethtool')
  return out
}

// Passed as data: a literal "$" + "{" cannot appear in a cmd`` template.
const DPKG_STATUS = '${Status}'

export const packageModule: Module<z.infer<typeof args>> = {
  name: 'package',
  args,
  // Decided on the host (dpkg or rpm), not from the run's facts, so the probe can ride in the first round trip.
  probe(a, ctx) {
    const names = a.names ?? neededPackages(ctx.cluster, ctx.host)
    // dpkg keeps one .list file per installed package (removed on remove): checking it is instant, where
    // dpkg-query parses the whole status database (tens of ms per host per run). dpkg-query decides the rest.
    return cmd`if command -v dpkg-query >/dev/null 2>&1; then for p in ${names}; do if [ -e "/var/lib/dpkg/info/$p.list" ] || ls "/var/lib/dpkg/info/$p:"*.list >/dev/null 2>&1; then echo "ok $p"; else s=$(dpkg-query -W -f=${DPKG_STATUS} "$p" 2>/dev/null); case "$s" in *'install ok installed') echo "ok $p";; *) echo "missing $p";; esac; fi; done; else for p in ${names}; do if rpm -q "$p" >/dev/null 2>&1; then echo "ok $p"; else echo "missing $p"; fi; done; fi`
  },
  plan(a, probe, ctx) {
    if (!probe || probe.code !== 0) return failed(`cannot list packages: ${probe?.stderr.trim() || 'no answer'}`)
    const missing = probe.stdout.split('\n').filter((l) => l.startsWith('missing ')).map((l) => l.slice(8))
    const names = a.names ?? neededPackages(ctx.cluster, ctx.host)
    if (missing.length === 0) return ok(`${names.length} package(s) installed`)
    const pm = ctx.facts.packageManager
    if (pm === 'none') return failed(`missing ${missing.join(', ')} and no apt, dnf or yum on this host`)
    const install =
      pm === 'apt'
        ? cmd`export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q ${missing} || { apt-get update -q && apt-get install -y -q ${missing}; }`
        : cmd`${pm} -y install ${missing}`
    return {status: 'changed', message: `install ${missing.join(', ')}`, steps: [{label: `install ${missing.join(' ')}`, command: install}]}
  },
}
