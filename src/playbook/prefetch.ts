import {randomBytes} from 'node:crypto'
import {cmd, raw, type ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'

/*
 * Every probe of a host's play in one round trip. Each probe runs in its own subshell (so `exit` ends only that
 * probe), with stdin closed, stdout passed straight through and stderr kept in a file that is read only when
 * something was written there: no extra process per probe beyond the probe's own, which matters when 50 hosts share
 * two cores. Records are framed by a random token the probes cannot know:
 *   TOKEN begin I \n <stdout> \n TOKEN rc CODE \n [TOKEN err \n <stderr> \n] TOKEN end
 * The runner uses an answer only while nothing has changed on the host in this run; after the first change probes
 * run fresh (pyinfra's lesson: plan against the host as it is now).
 */
const HEAD = raw`e=$(mktemp) || exit 1
trap 'rm -f "$e"' EXIT`

export function batchProbe(probes: ShellCommand[], token = randomBytes(12).toString('hex')): ShellCommand {
  const parts = probes.map(
    (p, i) =>
      cmd`printf '%s begin %s\n' ${token} ${String(i)}; ( ${p} ) 2>"$e" </dev/null; rc=$?; printf '\n%s rc %s\n' ${token} "$rc"; if [ -s "$e" ]; then printf '%s err\n' ${token}; cat "$e"; printf '\n'; fi; printf '%s end\n' ${token}`,
  )
  return parts.reduce((acc, p) => cmd`${acc}
${p}`, HEAD)
}

export function parseBatch(stdout: string, count: number, token?: string): ExecResult[] {
  const tok = token ?? /^([0-9a-f]{24}) begin 0$/m.exec(stdout)?.[1]
  const out: ExecResult[] = []
  if (tok) {
    const re = new RegExp(`${tok} begin (\\d+)\\n([\\s\\S]*?)\\n${tok} rc (\\d+)\\n(?:${tok} err\\n([\\s\\S]*?)\\n)?${tok} end\\n`, 'g')
    for (const m of stdout.matchAll(re)) out[Number(m[1])] = {code: Number(m[3]), stdout: m[2], stderr: m[4] ?? ''}
  }
  if (out.filter(Boolean).length !== count) throw new Error(`batched probe returned ${out.filter(Boolean).length} answers for ${count} probes`)
  return out
}

/**
 * One batched round trip for a list of optional probes (one per playbook step): the command to send, and how to
 * turn its output back into one answer per step (undefined where a step has no probe).
 */
/** A prefetched answer, with the probe it answers (a task uses it only if it would send the same probe). */
export type ProbeAnswer = ExecResult & {probe: string}

export function probeBatch(probes: (ShellCommand | undefined)[]): {count: number; command: ShellCommand; answers: (stdout: string) => (ProbeAnswer | undefined)[]} {
  const wanted = probes.flatMap((p, i) => (p ? [[p, i] as const] : []))
  const token = randomBytes(12).toString('hex')
  return {
    count: wanted.length,
    command: batchProbe(wanted.map(([p]) => p), token),
    answers: (stdout) => {
      const got = parseBatch(stdout, wanted.length, token)
      const perStep: (ProbeAnswer | undefined)[] = []
      wanted.forEach(([p, i], j) => (perStep[i] = {...got[j], probe: p.text}))
      return perStep
    },
  }
}
