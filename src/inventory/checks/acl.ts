import type {Path} from '../problems.js'
import {closest} from '../schema-errors.js'
import type {Report} from './report.js'

// ACLs HAProxy defines itself (configuration manual, "7.4. Pre-defined ACLs").
const PREDEFINED = new Set([
  'FALSE', 'HTTP', 'HTTP_1.0', 'HTTP_1.1', 'HTTP_2.0', 'HTTP_CONTENT', 'HTTP_URL_ABS', 'HTTP_URL_SLASH', 'HTTP_URL_STAR',
  'LOCALHOST', 'METH_CONNECT', 'METH_DELETE', 'METH_GET', 'METH_HEAD', 'METH_OPTIONS', 'METH_POST', 'METH_PUT',
  'METH_TRACE', 'RDP_COOKIE', 'REQ_CONTENT', 'TRUE', 'WAIT_END',
])

/**
 * The ACL names a condition uses. HAProxy conditions are ACL names, optionally negated with "!", ANDed by being next
 * to each other and ORed with "||" or "or"; "{ … }" is an anonymous ACL and names nothing.
 */
export function aclNames(condition: string): string[] {
  return condition
    .replace(/\{[^}]*\}/g, ' ')
    .split(/\s+/)
    .map((t) => t.replace(/^!+/, ''))
    .filter((t) => t !== '' && t !== '||' && t !== 'or')
}

/** The condition of a raw `http-request …` rule: whatever follows its `if`/`unless`. */
function ruleCondition(rule: string): string | undefined {
  const words = rule.trim().split(/\s+/)
  const at = words.findIndex((w) => w === 'if' || w === 'unless')
  return at < 0 ? undefined : words.slice(at + 1).join(' ')
}

interface Routed {
  acls?: Record<string, string>
  use_backends?: Array<{backend: string; if: string}>
  http_request?: string[]
}

// http-request actions that end the rule list for a request; after one without a condition HAProxy ignores the rest
// ("previous 'http-request' action is final and has no condition attached", a warning).
const FINAL = new Set(['allow', 'deny', 'tarpit', 'auth', 'redirect'])

export function aclChecks(r: Report, section: Routed, base: Path): void {
  const rules = section.http_request ?? []
  const final = rules.findIndex((rule) => FINAL.has(rule.trim().split(/ +/)[0]!) && ruleCondition(rule) === undefined)
  if (final >= 0 && final < rules.length - 1) {
    r.error([...base, 'http_request', final + 1], `comes after "${rules[final]}", which applies to every request and ends the list: HAProxy never runs this rule (and warns)`, 'move the unconditional rule last, or give it a condition')
  }
  const defined = Object.keys(section.acls ?? {})
  const conditions: Array<{text: string; path: Path}> = [
    ...(section.use_backends ?? []).map((u, i) => ({text: u.if, path: [...base, 'use_backends', i, 'if']})),
    ...(section.http_request ?? []).flatMap((rule, i) => {
      const text = ruleCondition(rule)
      return text === undefined ? [] : [{text, path: [...base, 'http_request', i]}]
    }),
  ]
  for (const c of conditions) {
    for (const name of aclNames(c.text)) {
      if (name === 'and') {
        r.error(c.path, 'uses "and", which HAProxy does not have: it would look for an ACL named "and" and refuse to start', 'write the ACL names next to each other to require all of them (e.g. "is_api is_get"); use "||" for either')
      } else if (!defined.includes(name) && !PREDEFINED.has(name)) {
        const guess = closest(name, defined)
        const known = defined.length ? ` (defined: ${defined.join(', ')})` : ''
        r.error(
          c.path,
          `ACL "${name}" is not defined in this ${base[1] === 'listens' ? 'listen section' : 'frontend'}`,
          guess ? `did you mean "${guess}"?${known}` : `define it under ${[...base, 'acls'].join('.')}, e.g. ${name}: "path_beg /api"${known}`,
        )
      }
    }
  }
}
