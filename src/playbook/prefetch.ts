import {randomBytes} from 'node:crypto'
import {cmd, raw, sh, subshell, type ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'

/*
 * Commands of one round trip, framed. Each runs in its own subshell (so `exit` ends only that command), stdout
 * passed straight through. Records are framed by a random token the commands cannot know:
 *   stdout: TOKEN begin I \n <stdout> \n TOKEN rc CODE \n [TOKEN err \n <stderr> \n] TOKEN end
 * Where stderr goes is the caller's choice:
 * - 'file' (steps that change the host): into a temporary file, read only when something was written there. A daemon
 *   a step starts may keep the stderr it inherited; a file it keeps open holds nothing up.
 * - 'stream' (probes, which only read): straight to the channel's stderr, framed there the same way
 *     stderr: TOKEN begin I \n <stderr> \n TOKEN end I
 *   so a batch of probes costs no mktemp, cat or rm on the host: every process counts when 200 hosts share two cores.
 * The runner uses a probe's answer only while nothing has changed on the host in this run; after the first change
 * probes run fresh (pyinfra's lesson: plan against the host as it is now).
 */

/** One command of a framed batch: `stdinBytes` of the batch's stdin are its own; `stop`: nothing after it runs unless it exits 0. */
export interface Framed {
  command: ShellCommand
  stdinBytes?: number
  stop?: boolean
}

/**
 * The batch's commands in order, framed. A command with stdin gets exactly its bytes of the batch's stdin, copied
 * to a file first (`head -c` reads no further), so a command that stops reading early cannot shift the next one's.
 */
export function framedBatch(items: Framed[], token = randomBytes(12).toString('hex'), stderr: 'file' | 'stream' = 'file', before?: ShellCommand): ShellCommand {
  const toFile = stderr === 'file'
  const parts = items.map((it, i) => {
    const errTo = toFile ? raw` 2>"$e"` : raw``
    const run = it.stdinBytes ? cmd`head -c ${String(it.stdinBytes)} > "$e.in"; ${subshell(it.command)}${errTo} <"$e.in"` : cmd`${subshell(it.command)}${errTo} </dev/null`
    const stop = it.stop ? raw`; [ "$rc" = 0 ] || exit 0` : raw``
    if (!toFile) {
      return cmd`printf '%s begin %s\n' ${token} ${String(i)}; printf '%s begin %s\n' ${token} ${String(i)} >&2; ${run}; rc=$?; printf '\n%s rc %s\n%s end\n' ${token} "$rc" ${token}; printf '\n%s end %s\n' ${token} ${String(i)} >&2${stop}`
    }
    return cmd`printf '%s begin %s\n' ${token} ${String(i)}; ${run}; rc=$?; printf '\n%s rc %s\n' ${token} "$rc"; if [ -s "$e" ]; then printf '%s err\n' ${token}; cat "$e"; printf '\n'; fi; printf '%s end\n' ${token}${stop}`
  })
  const withStdin = items.some((it) => it.stdinBytes)
  // The temporary files are created exclusively (noclobber: O_EXCL, so not through a link someone planted in /tmp)
  // by the shell itself; mktemp(1) only when those names are taken.
  const temp = toFile || withStdin ? raw`e=\${TMPDIR:-/tmp}/lbctl.$$
set -C; { : > "$e" && : > "$e.in"; } 2>/dev/null || { e=$(mktemp) && : > "$e.in"; } || exit 1; set +C
trap 'rm -f "$e" "$e.in"' EXIT` : raw`:`
  // Under sh, whatever the login shell: a script()'s body runs in the step's subshell with no sh of its own, and
  // sh's (dash's) forks cost half of bash's. `before` (the first round trip's facts and lock) prints unframed.
  const start = before ? cmd`${subshell(before)}
${temp}` : temp
  return sh(parts.reduce((acc, p) => cmd`${acc}
${p}`, start))
}

export function batchProbe(probes: ShellCommand[], token = randomBytes(12).toString('hex'), before?: ShellCommand): ShellCommand {
  return framedBatch(probes.map((command) => ({command})), token, 'stream', before)
}

/**
 * The answers of a framed batch by position; `partial`: a batch that stops at a failure has fewer than `count`.
 * `stderr`: the channel's stderr, for a batch that streamed it (framedBatch's 'stream').
 */
export function parseBatch(stdout: string, count: number, token?: string, partial = false, stderr?: string): ExecResult[] {
  const tok = token ?? /^([0-9a-f]{24}) begin 0$/m.exec(stdout)?.[1]
  const out: ExecResult[] = []
  if (tok) {
    const re = new RegExp(`${tok} begin (\\d+)\\n([\\s\\S]*?)\\n${tok} rc (\\d+)\\n(?:${tok} err\\n([\\s\\S]*?)\\n)?${tok} end\\n`, 'g')
    for (const m of stdout.matchAll(re)) out[Number(m[1])] = {code: Number(m[3]), stdout: m[2], stderr: m[4] ?? ''}
    if (stderr !== undefined) {
      const er = new RegExp(`${tok} begin (\\d+)\\n([\\s\\S]*?)\\n${tok} end \\1\\n`, 'g')
      for (const m of stderr.matchAll(er)) if (out[Number(m[1])]) out[Number(m[1])].stderr = m[2]
    }
  }
  const got = out.filter(Boolean).length
  if (partial ? got > count || out.length !== got : got !== count) throw new Error(`batched probe returned ${got} answers for ${count} probes`)
  return out
}

/** What a command printed before a framed batch that follows it in the same round trip (its own stdout or stderr). */
export const beforeBatch = (text: string): string => text.split(/^[0-9a-f]{24} begin /m)[0]

/**
 * One batched round trip for a list of optional probes (one per playbook step): the command to send, and how to
 * turn its output back into one answer per step (undefined where a step has no probe).
 */
/** A prefetched answer, with the probe it answers (a task uses it only if it would send the same probe). */
export type ProbeAnswer = ExecResult & {probe: string}

export function probeBatch(probes: (ShellCommand | undefined)[], before?: ShellCommand): {count: number; command: ShellCommand; answers: (r: {stdout: string; stderr: string}) => (ProbeAnswer | undefined)[]} {
  // A probe two steps send (the release state, read by "stage release" and "record release") runs once: probes
  // only read, so one answer serves both, and each costs every host its processes.
  const distinct = [...new Map(probes.flatMap((p) => (p ? [[p.text, p] as const] : []))).values()]
  const slot = new Map(distinct.map((p, j) => [p.text, j]))
  const token = randomBytes(12).toString('hex')
  return {
    count: distinct.length,
    command: batchProbe(distinct, token, before),
    answers: (r) => {
      const got = parseBatch(r.stdout, distinct.length, token, false, r.stderr)
      return probes.map((p) => (p ? {...got[slot.get(p.text)!], probe: p.text} : undefined))
    },
  }
}
