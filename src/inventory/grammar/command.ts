import type {GrammarError} from './types.js'

/**
 * Commands keepalived runs: vrrp_script `script`, MISC_CHECK `misc_path`, notify hooks. lbctl writes each inside
 * double quotes; keepalived then splits it into argv itself (lib/parser.c, alloc_strvec_quoted_escaped) and execs
 * it — there is no shell. Its splitter honours single quotes (that is how an argument holds a space) and reads a
 * backslash as an escape; it has no way to hold a double quote inside the quoted string.
 */

// Words a shell would treat as syntax; keepalived passes them to the program as plain arguments.
const SHELL_WORDS = new Set(['&&', '||', '|', ';', '&', '>', '>>', '<', '2>&1', '>/dev/null', '[[', ']]', '$?'])
const SHELL_BUILTINS = new Set(['exit', 'if', 'then', 'cd', 'export', 'source', '.', 'exec', 'eval', 'set', 'return', '[['])
const SHELL_CHARS = /[|&;<>`]|\$[({A-Za-z_?]/

/** argv as keepalived will build it, or why lbctl refuses the command. */
export function parseCommand(text: string): {argv: string[]} | GrammarError {
  if (text.includes('"')) {
    return {message: 'contains a double quote ("): lbctl writes the command inside double quotes, and keepalived\'s config has no escape for one there', hint: 'group an argument with single quotes instead, like /usr/bin/test -e \'/run/my file\''}
  }
  if (text.includes('\\')) {
    return {message: 'contains a backslash: keepalived reads it as an escape (\\n, \\t, \\x41 …) when it splits the command', hint: 'remove it; for anything a shell would need, put the check in a script file and give its path'}
  }
  const argv: string[] = []
  const unquoted: string[] = []
  let word = ''
  let bare = ''
  let inWord = false
  let quoted = false
  for (const c of text) {
    if (quoted) {
      if (c === "'") quoted = false
      else word += c
      continue
    }
    if (c === ' ') {
      if (inWord) {
        argv.push(word)
        unquoted.push(bare)
      }
      word = ''
      bare = ''
      inWord = false
      continue
    }
    inWord = true
    if (c === "'") quoted = true
    else {
      word += c
      bare += c
    }
  }
  if (quoted) return {message: 'has a single quote that is never closed', hint: 'close it: keepalived would refuse the command ("missing terminating \'")'}
  if (inWord) {
    argv.push(word)
    unquoted.push(bare)
  }
  if (argv.length === 0 || argv[0] === '') return {message: 'is empty', hint: 'give the program to run, like /usr/bin/killall -0 haproxy'}

  const at = unquoted.findIndex((w, i) => SHELL_WORDS.has(w) || SHELL_CHARS.test(w) || (i === 0 && SHELL_BUILTINS.has(w)))
  if (at >= 0) {
    const shell = unquoted[at]!
    const fate = at === 0 ? `there is no program "${shell}" to run` : `"${shell}" would reach ${argv[0]} as a plain argument`
    return {message: `is shell syntax ("${shell}"), but keepalived runs the command without a shell: ${fate}, so it would always fail`, hint: shellHint(argv)}
  }
  if (!argv[0]!.startsWith('/')) {
    return {message: `starts with "${argv[0]}", not an absolute path: keepalived would look it up in its own PATH (not a login shell's), so which file runs is left to chance`, hint: `write the full path, like /usr/local/bin/${argv[0]}`}
  }
  return {argv}
}

/** The seeds' maintenance check `[[ -f /etc/keepalived/down ]] && exit 1 || exit 0` is what down_file does. */
function shellHint(argv: string[]): string {
  const f = argv.findIndex((w) => w === '-f' || w === '-e')
  if (f >= 0 && argv[f + 1]?.startsWith('/') && argv.includes('exit')) return `use down_file: ${argv[f + 1]} (unhealthy while that file exists) instead of script`
  return 'put the check in a script file (e.g. /etc/keepalived/check.sh) and give its path, or run it through a shell explicitly: /bin/sh -c \'…\''
}

export function commandError(text: string): GrammarError | undefined {
  const r = parseCommand(text)
  return 'argv' in r ? undefined : r
}
