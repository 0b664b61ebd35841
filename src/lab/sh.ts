// The lab writes a few host-side shell scripts (a host's init.sh, a VM's stage-1/2 init) as strings. Quoting is
// src/shell's quote(), the project's one rule for shell words. The template below stays string-valued and takes its
// literal text cooked (unlike src/shell's cmd``), because those scripts are files, not remote commands, and use
// escapes such as `\${n##*/}` for shell parameter expansions.
import {quote as shellWord} from '../shell/index.js'

/** One shell word (see src/shell). */
export function quote(value: string | number): string {
  return shellWord(String(value))
}

/** Tagged template: every interpolated value becomes one quoted word; arrays become several. */
export function cmd(strings: TemplateStringsArray, ...values: Array<string | number | Array<string | number>>): string {
  let out = strings[0]
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v.map(quote).join(' ') : quote(v)) + strings[i + 1]
  })
  return out
}
