// POSIX shell quoting for the few strings the lab hands to /bin/sh (a host's init script).
// Temporary: the lead will swap this for src/shell's quote()/cmd``, which follow the same contract.

/** One shell word: safe characters pass through, anything else is single-quoted ('\'' for embedded quotes). */
export function quote(value: string | number): string {
  const s = String(value)
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/** Tagged template: every interpolated value becomes one quoted word; arrays become several. */
export function cmd(strings: TemplateStringsArray, ...values: Array<string | number | Array<string | number>>): string {
  let out = strings[0]
  values.forEach((v, i) => {
    out += (Array.isArray(v) ? v.map(quote).join(' ') : quote(v)) + strings[i + 1]
  })
  return out
}
