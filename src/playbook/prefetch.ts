import {randomBytes} from 'node:crypto'
import {cmd, raw, sh, subshell, type ShellCommand} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'

/*
 * Commands of one round trip, framed. Each runs in its own subshell (so `exit` ends only that command), stdout and
 * stderr passed straight through, each framed by a random token the commands cannot know:
 *   stdout: TOKEN begin I \n <stdout> \n TOKEN rc CODE \n TOKEN end
 *   stderr: TOKEN begin I \n <stderr> \n TOKEN end I
 * so a batch costs no temporary file, cat or rm on the host: every process counts when 200 hosts share two cores.
 * (A daemon a step starts must not keep either stream: lbctl's own start commands redirect or daemonize theirs,
 * and the command module, where an operator's daemon could, always runs on its own.)
 * The runner uses a probe's answer only while nothing has changed on the host in this run; after the first change
 * probes run fresh (pyinfra's lesson: plan against the host as it is now).
 */

/**
 * One command of a framed batch: `stdinBytes` of the batch's stdin are its own; `stop`: nothing after it runs unless
 * it exits 0. `selfDelimited`: the command reads those bytes itself, with sh's `read` only, up to an end it knows —
 * sh's `read` takes one byte per read(2) from a pipe, so it never takes the next command's — and gets the batch's
 * stdin as it is: no `head -c` copy, a process fewer on every host.
 */
export interface Framed {
  command: ShellCommand
  stdinBytes?: number
  selfDelimited?: boolean
  stop?: boolean
}

/**
 * The batch's commands in order, framed. A command with stdin that is not self-delimited gets exactly its bytes of
 * the batch's stdin copied to a file first (`head -c` reads no further), so a command that stops reading early
 * cannot shift the next one's. `before` (the first round trip's facts and lock) prints unframed.
 */
export function framedBatch(items: Framed[], token = randomBytes(12).toString('hex'), before?: ShellCommand): ShellCommand {
  const parts = items.map((it, i) => {
    const run = !it.stdinBytes
      ? cmd`${subshell(it.command)} </dev/null`
      : it.selfDelimited
        ? subshell(it.command)
        : cmd`head -c ${String(it.stdinBytes)} > "$e"; ${subshell(it.command)} <"$e"`
    const stop = it.stop ? raw`; [ "$rc" = 0 ] || exit 0` : raw``
    return cmd`printf '%s begin %s\n' ${token} ${String(i)}; printf '%s begin %s\n' ${token} ${String(i)} >&2; ${run}; rc=$?; printf '\n%s rc %s\n%s end\n' ${token} "$rc" ${token}; printf '\n%s end %s\n' ${token} ${String(i)} >&2${stop}`
  })
  // The file for a copied stdin is created exclusively (noclobber: O_EXCL, so not through a link someone planted in
  // /tmp) by the shell itself; mktemp(1) only when that name is taken.
  const temp = items.some((it) => it.stdinBytes && !it.selfDelimited)
    ? raw`e=\${TMPDIR:-/tmp}/lbctl.$$
set -C; : > "$e" 2>/dev/null || e=$(mktemp) || exit 1; set +C
trap 'rm -f "$e"' EXIT`
    : raw`:`
  // Under sh, whatever the login shell: a script()'s body runs in the step's subshell with no sh of its own, and
  // sh's (dash's) forks cost half of bash's.
  const start = before ? cmd`${subshell(before)}
${temp}` : temp
  return sh(parts.reduce((acc, p) => cmd`${acc}
${p}`, start))
}

export function batchProbe(probes: ShellCommand[], token = randomBytes(12).toString('hex'), before?: ShellCommand): ShellCommand {
  return framedBatch(probes.map((command) => ({command})), token, before)
}

/**
 * The answers of a framed batch by position; `partial`: a batch that stops at a failure has fewer than `count`.
 * `stderr`: the channel's stderr, framed as well.
 */
export function parseBatch(stdout: string, count: number, token?: string, partial = false, stderr?: string): ExecResult[] {
  const tok = token ?? /^([0-9a-f]{24}) begin 0$/m.exec(stdout)?.[1]
  const out: ExecResult[] = []
  if (tok) {
    const re = new RegExp(`${tok} begin (\\d+)\\n([\\s\\S]*?)\\n${tok} rc (\\d+)\\n${tok} end\\n`, 'g')
    for (const m of stdout.matchAll(re)) out[Number(m[1])] = {code: Number(m[3]), stdout: m[2], stderr: ''}
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
