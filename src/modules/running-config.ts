import {z} from 'zod'
import {DIRECT, PATHS} from '../render/paths.js'
import {raw, script} from '../shell/index.js'
import {ok, type Module, type ModuleContext, type Plan} from './types.js'

const args = z.strictObject({})

/*
 * What the daemons say they run, to compare with the files on disk — the safety net under the journal, for a
 * config renamed by something that never reloaded (a run from before the journal, a hand edit, a failed reload):
 *  - HAProxy's master CLI `show proc` names the worker serving now; it parsed haproxy.cfg when it started, so a
 *    file written after that start is not what runs. Start time from /proc (10 ms), mtime from stat (ns).
 *  - keepalived's SIGJSON dump: the VRRP instances as it runs them (it holds the VRRP password: never printed).
 */
const PROBE = raw`cfg=$1; sock=$2; kpid=$3
if [ -S "$sock" ]; then
  procs=$(timeout 5 perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1; print $s "show proc\n"; $s->shutdown(1); print while <$s>;' "$sock" 2>/dev/null || true)
  w=$(printf '%s\n' "$procs" | awk '/^# workers/ {on = 1; next} /^#/ {on = 0} on && $2 == "worker" {print $1}' | tail -n 1)
  if [ -n "$w" ] && [ -r "/proc/$w/stat" ]; then
    printf 'haproxy worker %s started %s\n' "$w" "$(awk -v now="$(date +%s.%N)" -v up="$(cut -d' ' -f1 /proc/uptime)" -v hz="$(getconf CLK_TCK)" '{printf "%.3f", now - up + $22 / hz}' "/proc/$w/stat")"
  fi
  printf 'haproxy config %s\n' "$(stat -c %.9Y "$cfg" 2>/dev/null || echo -)"
fi
if [ -s "$kpid" ] && kill -0 "$(cat "$kpid")" 2>/dev/null; then
  rm -f /tmp/keepalived.json
  kill -s "$(keepalived --signum=JSON)" "$(cat "$kpid")"
  i=0; while [ $i -lt 60 ] && ! tail -c 3 /tmp/keepalived.json 2>/dev/null | grep -q ']'; do sleep 0.05; i=$((i + 1)); done
  printf 'keepalived '; tr -d '\n' < /tmp/keepalived.json 2>/dev/null || true; echo
  rm -f /tmp/keepalived.json
fi
true`

interface RunningInstance {
  iname: string
  vrid: number
  base_priority: number
  adver_int: number
  nopreempt: boolean
  vips: string[]
  auth_data?: string
}

/** Why keepalived's running VRRP instances differ from the ones this host's keepalived.conf defines (none: []). */
export function keepalivedDrift(ctx: ModuleContext, running: RunningInstance[]): string[] {
  const mine = ctx.cluster.instances.filter((i) => i.members.some((m) => m.director === ctx.host.name))
  const out: string[] = []
  const names = (xs: {name?: string; iname?: string}[]) => xs.map((x) => x.name ?? x.iname).sort().join(',')
  if (names(mine) !== names(running)) out.push(`instances ${names(running) || 'none'} run, ${names(mine)} configured`)
  for (const want of mine) {
    const r = running.find((x) => x.iname === want.name)
    if (!r) continue
    const member = want.members.find((m) => m.director === ctx.host.name)!
    const vips = (xs: string[]) => [...xs].sort().join(',')
    if (r.vrid !== want.vrid) out.push(`${want.name}: virtual_router_id ${r.vrid} runs, ${want.vrid} configured`)
    if (r.base_priority !== member.priority) out.push(`${want.name}: priority ${r.base_priority} runs, ${member.priority} configured`)
    if (Math.abs(r.adver_int - want.advertInt) > 1e-6) out.push(`${want.name}: advert_int ${r.adver_int} runs, ${want.advertInt} configured`)
    if (r.nopreempt !== want.nopreempt) out.push(`${want.name}: nopreempt ${r.nopreempt} runs, ${want.nopreempt} configured`)
    if (vips(r.vips.map((v) => v.split(/[/ ]/)[0])) !== vips(want.vips.map((v) => v.address))) out.push(`${want.name}: other VIPs run than configured`)
    // keepalived keeps the first 8 characters of a simple password.
    if (want.authType !== 'AH' && want.authPass !== undefined && r.auth_data !== want.authPass.slice(0, 8)) out.push(`${want.name}: another auth_pass runs than configured`)
  }
  return out
}

export function planRunningConfig(ctx: ModuleContext, stdout: string): Plan {
  const services: string[] = []
  const why: string[] = []
  const started = /^haproxy worker \d+ started ([\d.]+)$/m.exec(stdout)
  const written = /^haproxy config ([\d.]+)$/m.exec(stdout)
  if (started && written && Number(written[1]) > Number(started[1])) {
    services.push('haproxy')
    why.push(`HAProxy's worker started before ${PATHS.haproxyCfg} was last written`)
  }
  const dump = /^keepalived (.*)$/m.exec(stdout)?.[1]
  if (dump) {
    let running: RunningInstance[] | undefined
    try {
      running = (JSON.parse(dump) as {data: RunningInstance}[]).map((x) => x.data)
    } catch {
      running = undefined
    }
    const drift = running ? keepalivedDrift(ctx, running) : []
    if (drift.length) {
      services.push('keepalived')
      why.push(`keepalived runs another configuration than ${PATHS.keepalivedConf}: ${drift.join('; ')}`)
    }
  }
  if (services.length === 0) return ok(started || dump ? 'the daemons run the files on disk' : 'no daemon to compare')
  return {status: 'changed', message: `${why.join('; ')} — reload`, steps: [], services}
}

export const runningConfig: Module<z.infer<typeof args>> = {
  name: 'running_config',
  // It changes nothing itself: it notifies the reload the daemons need.
  effects: () => ({reads: ['file', 'service:haproxy', 'service:keepalived'], writes: []}),
  args,
  probe: () => script(PROBE, PATHS.haproxyCfg, DIRECT.haproxyMasterSock, DIRECT.keepalivedPid),
  plan(_a, probe, ctx) {
    if (ctx.host.kind !== 'director') return ok('no daemon on this host')
    if (!probe || probe.code !== 0) return ok(`cannot ask the daemons what they run: ${probe?.stderr.trim() || 'no answer'}`)
    return planRunningConfig(ctx, probe.stdout)
  },
}
