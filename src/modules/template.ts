import {createHash} from 'node:crypto'
import {createTwoFilesPatch} from 'diff'
import {describePem} from '../inventory/certs.js'
import {z} from 'zod'
import type {RenderedFile} from '../render/index.js'
import {redact} from '../render/secret-lines.js'
import {script} from '../shell/index.js'
import type {ExecResult} from '../transport/types.js'
import {INSTALL_ORDER, installStep, type InstallFile} from './install.js'
import {PROBE_FILES} from './scripts.js'
import {failed, type FileDiff, type Module, type ModuleContext, type Plan} from './types.js'

const args = z.strictObject({
  kinds: z.array(z.enum(['keepalived', 'haproxy', 'sysctl', 'ipvsadm', 'script', 'unit', 'certificate'])).optional(),
  paths: z.array(z.string()).optional(),
})
type Args = z.infer<typeof args>

export interface FileState {
  sha256?: string
  mode?: string
  content?: string
}

/** Parses PROBE_FILES output into one state per requested path, in order (a missing file is `{}`). */
export function parseFileProbe(stdout: string, paths: string[]): FileState[] {
  const sums = new Map<string, string>()
  const modes = new Map<string, string>()
  const contents = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    let m: RegExpExecArray | null
    if ((m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line))) sums.set(m[2], m[1])
    else if ((m = /^M ([0-7]+) (.+)$/.exec(line))) modes.set(m[2], m[1])
    else if ((m = /^C (\S+) (.*)$/.exec(line))) contents.set(m[1], Buffer.from(m[2], 'base64').toString('utf8'))
  }
  return paths.map((p) => (sums.has(p) ? {sha256: sums.get(p), mode: modes.get(p), content: contents.get(p)} : {}))
}

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex')
}

function selected(a: Args, ctx: ModuleContext): RenderedFile[] {
  return ctx.files
    .filter((f) => (!a.kinds || a.kinds.includes(f.kind)) && (!a.paths || a.paths.includes(f.path)))
    .sort((x, y) => INSTALL_ORDER.indexOf(x.kind) - INSTALL_ORDER.indexOf(y.kind))
}

/**
 * Colorless unified diff with every secret replaced on both sides — this inventory's values and whatever a
 * secret-bearing line holds on the host — so --diff output can be pasted anywhere.
 */
export function fileDiff(path: string, before: string | undefined, after: string, secrets: string[]): FileDiff {
  const clean = (t: string) => redact(t, secrets)
  const [a, b] = [clean(before ?? ''), clean(after)]
  // Masked sides can be equal while the files are not: say that a secret changed rather than show an empty diff.
  const patch = a === b ? `--- ${path}\n+++ ${path}\n@@ secret value(s) changed (masked) @@\n` : createTwoFilesPatch(before === undefined ? '/dev/null' : path, path, a, b, undefined, undefined, {context: 3})
  return {path, patch}
}

/** A certificate changes as a whole: say which one replaces which, never what is in them (the key is). */
export function certificateDiff(path: string, before: string | undefined, after: string): FileDiff {
  return {path, patch: `--- ${before === undefined ? '/dev/null' : path}\n+++ ${path}\n@@ certificate replaced (contents not shown) @@\n-${describePem(before)}\n+${describePem(after)}\n`}
}

/** Puts the host's rendered files in place: all validated by their daemons before any is renamed (see install.ts). */
export const template: Module<Args> = {
  name: 'template',
  args,
  effects: () => ({reads: ['file'], writes: ['file', 'journal']}),
  probe(a, ctx) {
    return script(PROBE_FILES, ctx.diff ? '1' : '0', selected(a, ctx).map((f) => f.path))
  },
  plan(a, probe: ExecResult | undefined, ctx): Plan {
    const files = selected(a, ctx)
    if (files.length === 0) return {status: 'ok', message: 'no files of this kind for this host', steps: []}
    if (!probe || probe.code !== 0) return failed(`cannot read the current files: ${probe?.stderr.trim() || 'no answer'}`)
    const states = parseFileProbe(probe.stdout, files.map((f) => f.path))
    const install: InstallFile[] = []
    const diffs: FileDiff[] = []
    const services = new Set<string>()
    files.forEach((f, i) => {
      const state = states[i]
      if (state.sha256 === sha256(f.content) && state.mode === f.mode.toString(8)) return
      install.push({path: f.path, mode: f.mode, validate: f.validate ?? 'none', content: f.content})
      if (f.service) services.add(f.service)
      if (ctx.diff) diffs.push(f.kind === 'certificate' ? certificateDiff(f.path, state.content, f.content) : fileDiff(f.path, state.content, f.content, ctx.cluster.secrets))
    })
    if (install.length === 0) return {status: 'ok', message: `${files.length} file(s) up to date`, steps: []}
    const changedPaths = install.map((f) => f.path)
    return {status: 'changed', message: `${changedPaths.length} of ${files.length} file(s) differ`, steps: [installStep(ctx, install, [...services])], diffs, changedPaths, services: [...services], writes: [...changedPaths.map((p) => `file:${p}`), 'journal']}
  },
}
