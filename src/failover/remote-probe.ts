/**
 * --from CLIENT: the probe loop runs on a client host, as a detached shell loop started over SSH; it appends one line
 * per probe to a file there, which is read back in one go at the end (the transport returns a command's output when
 * it ends, so there is nothing to stream). Each probe is timed by the client's own clock (`date +%s%N` around curl)
 * and moved onto the controller's time line with the offset measured by hostClock().
 *
 * Precision: a probe's start is taken a fork before curl starts (a few ms early); the loop's period is the interval
 * plus the cost of forking (in the lab about 25–30 ms for a 20 ms interval); times are right to within the clock
 * offset's uncertainty (± half the best SSH round trip; in the lab all hosts share one clock).
 */
import {cmd, raw} from '../shell/index.js'
import type {Transport} from '../transport/types.js'
import {hostClock, toRunTime, type RunClock} from './clock.js'
import {okStatus, type Prober} from './probe.js'
import type {ProbeResult, ProbeTarget} from './types.js'

const LOOP = raw`iv=$1; to=$2; out=$3; max=$4; shift 4
(sleep "$max"; rm -f "$out.run") &
while [ -e "$out.run" ]; do
  for u in "$@"; do
    (
      s=$(date +%s%N)
      case "$u" in
        tcp://*) r=$(curl -s -o /dev/null -m "$to" -w '%{time_connect}' "telnet://$(echo "$u" | sed 's,^tcp://,,')" </dev/null) ;;
        *) r=$(curl -s -o /dev/null -k -m "$to" -H 'Connection: close' -w '%{http_code}' "$u") ;;
      esac
      e=$(date +%s%N)
      [ -n "$r" ] || r=000
      echo "$s $e $r $u" >> "$out"
    ) &
  done
  sleep "$iv"
done`

export function targetUrl(t: ProbeTarget): string {
  return t.kind === 'tcp' ? `tcp://${t.address}:${t.port}` : `${t.kind}://${t.address}:${t.port}/`
}

/** Lines `START_NS END_NS RESULT URL` → probe results on the run's time line. */
export function parseProbeLines(text: string, targets: ProbeTarget[], toRun: (epochMs: number) => number): ProbeResult[] {
  const byUrl = new Map(targets.map((t) => [targetUrl(t), t]))
  const out: ProbeResult[] = []
  for (const line of text.split('\n')) {
    const [s, e, r, url] = line.trim().split(' ')
    const t = byUrl.get(url ?? '')
    if (!t || !/^\d+$/.test(s) || !/^\d+$/.test(e)) continue
    const startMs = Number(BigInt(s) / 1000n) / 1000
    const endMs = Number(BigInt(e) / 1000n) / 1000
    if (t.kind === 'tcp') {
      const connect = Number(r) * 1000
      const ok = connect > 0
      out.push({target: t.name, start: toRun(startMs), latency: ok ? connect : endMs - startMs, ok, detail: ok ? 'connected' : 'failed'})
    } else {
      const status = Number(r)
      out.push({target: t.name, start: toRun(startMs), latency: endMs - startMs, ok: okStatus(status), detail: status ? String(status) : 'failed'})
    }
  }
  return out.sort((a, b) => a.start - b.start)
}

export function remoteProber(t: Transport, targets: ProbeTarget[], opts: {intervalMs: number; timeoutMs: number; clock: RunClock; maxSeconds: number}): Prober {
  let dir: string | undefined
  const iv = String(opts.intervalMs / 1000)
  const to = String(opts.timeoutMs / 1000)
  return {
    async start() {
      const r = await t.exec(
        cmd`command -v curl >/dev/null || { echo 'curl is not installed' >&2; exit 127; }; d=$(mktemp -d /tmp/lbctl-probe.XXXXXX) && : > "$d/out.run" && { setsid sh -c ${LOOP.text} lbctl-probe ${iv} ${to} "$d/out" ${String(Math.ceil(opts.maxSeconds))} ${targets.map(targetUrl)} </dev/null >/dev/null 2>&1 & } && echo "$d"`,
      )
      if (r.code !== 0 || !r.stdout.trim()) throw new Error(`${t.host}: cannot start the probe loop: ${r.stderr.trim() || `exit code ${r.code}`}`)
      dir = r.stdout.trim()
    },
    async stop() {
      if (!dir) return []
      const d = dir
      dir = undefined
      // Stop the loop, give the last probes their timeout, read everything, clean up.
      const r = await t.exec(cmd`rm -f ${`${d}/out.run`}; sleep ${String(opts.timeoutMs / 1000 + 0.3)}; cat ${`${d}/out`}; rm -rf ${d}`)
      const clock = await hostClock(t, opts.clock)
      return parseProbeLines(r.stdout, targets, (ms) => toRunTime(ms, opts.clock, clock))
    },
  }
}
