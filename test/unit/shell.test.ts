import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { quote, cmd, raw, sh, and, seq, pipe, script, subshell, oneShell, ShellCommand, isShellCommand } from '../../src/shell/index.js'

/** Run a ShellCommand through the real /bin/sh and return its stdout. */
function run(c: ShellCommand): string {
  return execFileSync('/bin/sh', ['-c', c.text], { encoding: 'utf8' })
}

const tricky = [
  'plain',
  'two words',
  "it's",
  "''",
  '"double"',
  '$(touch /tmp/pwned)',
  '`id`',
  '$HOME ${HOME}',
  'a\nb\n',
  '\t tab',
  'back\\slash\\',
  'glob * ? [a]',
  '~root',
  '-n',
  '--',
  'a;b|c&d>e<f',
  '#comment',
  '!bang',
  'ünïcødé ☃ 日本',
  ' ',
  "'",
  "\\'",
  '%s %d',
]

test('quote: safe words stay bare, the rest single-quoted', () => {
  assert.equal(quote('abc/def-1.2:3'), 'abc/def-1.2:3')
  assert.equal(quote('user@host'), 'user@host')
  assert.equal(quote('-n'), '-n') // a word still; callers use `--`
  assert.equal(quote(''), "''")
  assert.equal(quote('a b'), "'a b'")
  assert.equal(quote("it's"), "'it'\\''s'")
  assert.equal(quote('$(x)'), "'$(x)'")
  assert.equal(quote('~'), "'~'")
  assert.equal(quote('é'), "'é'")
})

test('quote: refuses NUL and non-strings', () => {
  assert.throws(() => quote('a\0b'), /NUL/)
  assert.throws(() => quote(undefined as unknown as string), TypeError)
})

test('quote: tricky strings round-trip through /bin/sh', () => {
  for (const s of tricky) {
    assert.equal(run(cmd`printf %s ${s}`), s, JSON.stringify(s))
  }
})

test('quote: random strings round-trip through sh -c (nested quoting)', () => {
  // Each string is quoted twice: once as printf's argument, once more by sh()
  // for the outer `sh -c`, as the sudo wrapper does.
  const alphabet = ` '"\\$\`!#&*()[]{};|<>?~=%\n\t-_.,:/aZ09é☃`
  for (let i = 0; i < 300; i++) {
    const len = i % 40
    const bytes = randomBytes(len)
    let s = ''
    for (const b of bytes) s += i % 3 === 0 ? String.fromCharCode(1 + (b % 127)) : alphabet[b % alphabet.length]
    assert.equal(run(sh(cmd`printf %s ${s}`)), s, JSON.stringify(s))
  }
})

test('cmd: interpolation rules', () => {
  assert.equal(cmd`keepalived -t -f ${'/etc/k a.conf'}`.text, "keepalived -t -f '/etc/k a.conf'")
  assert.equal(cmd`sleep ${5}`.text, 'sleep 5')
  assert.equal(cmd`rm -f -- ${['a', 'b c', '']}`.text, "rm -f -- a 'b c' ''")
  assert.equal(cmd`x ${raw`2>/dev/null || true`}`.text, 'x 2>/dev/null || true')
  assert.equal(cmd`echo ${cmd`${'a b'}`}`.text, "echo 'a b'")
  assert.ok(isShellCommand(cmd`true`))
  assert.equal(String(cmd`true`), 'true')
})

test('cmd: refuses undefined, null, objects, NaN', () => {
  for (const bad of [undefined, null, {}, { text: 'rm -rf /' }, NaN, true]) {
    assert.throws(() => cmd`echo ${bad as unknown as string}`, TypeError, String(bad))
  }
  assert.throws(() => cmd`echo ${[undefined] as unknown as string[]}`, TypeError)
})

test('cmd: literal text is raw, as in a script', () => {
  assert.equal(run(cmd`printf '%s\n' ${'x'}`), 'x\n')
})

test('raw: only a tagged template without interpolation', () => {
  assert.equal(raw`a || true`.text, 'a || true')
  const v = 'rm -rf /'
  assert.throws(() => (raw as unknown as (...a: unknown[]) => ShellCommand)([v]), TypeError)
  // @ts-expect-error: raw takes no interpolations
  assert.throws(() => raw`x ${v}`, TypeError)
})

test('ShellCommand cannot be built from outside', () => {
  assert.throws(() => new (ShellCommand as unknown as new (t: unknown, s: string) => ShellCommand)(Symbol('x'), 'rm -rf /'))
})

test('sh, and, seq, pipe', () => {
  assert.equal(sh(cmd`echo ${'a b'}`).text, `sh -c 'echo '\\''a b'\\'''`)
  assert.equal(run(sh(cmd`echo ${'a b'}`)), 'a b\n')
  assert.equal(and(cmd`true`, cmd`echo ok`).text, 'true && echo ok')
  assert.equal(seq(cmd`false`, cmd`echo ok`).text, 'false; echo ok')
  assert.equal(pipe(cmd`echo abc`, cmd`tr a x`).text, 'echo abc | tr a x')
  assert.equal(run(pipe(cmd`echo abc`, cmd`tr a x`)), 'xbc\n')
  assert.throws(() => and(), /zero/)
  assert.throws(() => and('rm -rf /' as unknown as ShellCommand), TypeError)
})

test('combinators keep sh precedence by grouping mixed lists', () => {
  // Joined naively, and(seq(false, echo A), echo B) would be
  // `false; echo A && echo B`, which is not "(false; echo A) && echo B".
  const c = and(seq(cmd`false`, cmd`echo A`), cmd`echo B`)
  assert.equal(c.text, '{ false; echo A; } && echo B')
  assert.equal(run(c), 'A\nB\n')
  const d = seq(and(cmd`false`, cmd`echo A`), cmd`echo B`)
  assert.equal(run(d), 'B\n')
  const e = and(and(cmd`true`, cmd`true`), cmd`echo C`)
  assert.equal(e.text, 'true && true && echo C') // same operator: flattened
  // A list interpolated into cmd is grouped, so a suffix covers all of it.
  assert.equal(cmd`${and(cmd`false`, cmd`echo A`)} || echo fallback`.text, '{ false && echo A; } || echo fallback')
  assert.equal(run(cmd`${and(cmd`false`, cmd`echo A`)} || echo fallback`), 'fallback\n')
})

test('cmd and raw: \\${ is the shell\'s own parameter expansion', () => {
  assert.equal(raw`p=/etc/x/y.conf; echo \${p%/*} \${q:-none}`.text, 'p=/etc/x/y.conf; echo ${p%/*} ${q:-none}')
  assert.equal(run(cmd`p=${'/etc/x/y.conf'}; echo "\${p%/*}"`), '/etc/x\n')
})

test('script: its own sh and argv alone; inside a shell that is sh, the same program in a subshell', () => {
  const body = raw`echo "$#:$1:$2"; exit 3 # a body may end in a comment`
  const s = script(body, "it's", ['a', 'b'])
  assert.equal(s.text, `sh -c '${body.text.replaceAll("'", "'\\''")}' lbctl 'it'\\''s' a b`)
  const sub = subshell(s)
  assert.equal(sub.text, `(\nset -- 'it'\\''s' a b\n${body.text}\n)`)
  for (const c of [s, cmd`${sub}; echo "rc=$?"`]) {
    const r = spawnSync('/bin/sh', ['-c', c.text], {encoding: 'utf8'})
    assert.equal(r.stdout.split('\n')[0], "3:it's:a")
  }
  assert.equal(run(cmd`${sub}; echo "rc=$?"`), "3:it's:a\nrc=3\n")
  assert.equal(subshell(cmd`echo x`).text, '( echo x )')
})

test('oneShell: a list of scripts runs under one sh, each in its own subshell, with the list\'s exit status', () => {
  const a = script(raw`echo "A $1"; exit 4`, 'x')
  const b = script(raw`echo "B $#"`)
  const list = seq(a, b, cmd`echo C`)
  assert.equal(list.text, `${a.text}; ${b.text}; echo C`)
  assert.equal(run(list), 'A x\nB 0\nC\n')
  assert.equal(run(oneShell(list)), 'A x\nB 0\nC\n')
  assert.match(oneShell(list).text, /^sh -c '\(\nset -- x\n/)
  const r = spawnSync('/bin/sh', ['-c', oneShell(and(cmd`true`, a)).text], {encoding: 'utf8'})
  assert.deepEqual([r.status, r.stdout], [4, 'A x\n'])
  assert.equal(oneShell(cmd`echo plain`).text, 'echo plain')
})
