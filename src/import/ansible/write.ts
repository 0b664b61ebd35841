/**
 * The imported inventory as the operator will read and edit it: every value says which Ansible variable it came
 * from, and the choices Ansible cannot make — the VIP, the VRID, the ports — are filled with something that
 * validates and marked `# TODO`.
 */
import {isIPv4} from 'node:net'
import {stringify} from 'yaml'
import {sameNet} from '../../inventory/checks/net.js'
import type {ImportedHost, Plan, Settings, Sourced} from './map.js'

export interface Header {
  command: string
  name: string
}

const scalar = (v: unknown): string => stringify(v, {collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0}).trimEnd()
const fromComment = (f: Sourced['from']) => `# ${f.name}, ${f.where}`

/** Lines `key: value  # from`, aligned, under `indent`. */
function block(indent: string, entries: Array<[string, unknown, string?]>): string[] {
  const lines = entries.map(([k, v, c]) => [`${indent}${k}: ${scalar(v)}`, c] as const)
  const width = Math.max(0, ...lines.map(([l]) => l.length))
  return lines.map(([l, c]) => (c ? `${l.padEnd(width)}  ${c}` : l))
}

function settings(indent: string, s: {ssh: Settings; vars: Settings}): string[] {
  const out: string[] = []
  for (const kind of ['ssh', 'vars'] as const) {
    const entries = Object.entries(s[kind])
    if (entries.length === 0) continue
    out.push(`${indent}${kind}:`, ...block(`${indent}  `, entries.map(([k, v]) => [k, v.value, fromComment(v.from)])))
  }
  return out
}

function host(h: ImportedHost, extra: Array<[string, unknown, string?]>): string[] {
  const renamed = h.name !== h.ansibleName ? `  # Ansible's ${h.ansibleName}` : ''
  return [
    `  ${h.name}:${renamed}`,
    ...block('    ', [['address', h.address, h.addressFrom ? fromComment(h.addressFrom) : '# its Ansible name: lbctl resolves it when it validates'], ...extra]),
    ...settings('    ', h.own),
  ]
}

/** A free address high in the first director's /24, for the VIP placeholder. */
export function guessVip(addresses: Array<string | undefined>, taken: string[]): string | undefined {
  const base = addresses.find((a): a is string => a !== undefined && isIPv4(a))
  if (!base) return undefined
  const prefix = base.split('.').slice(0, 3).join('.')
  for (let n = 250; n > 1; n--) {
    const candidate = `${prefix}.${n}`
    if (!taken.includes(candidate) && sameNet(candidate, base, 24)) return `${candidate}/24`
  }
  return undefined
}

export function writeInventory(plan: Plan, header: Header, resolved: (h: ImportedHost) => string | undefined): string {
  const addresses = [...plan.directors, ...plan.realServers].map(resolved)
  const vip = guessVip(plan.directors.map(resolved), addresses.filter((a): a is string => a !== undefined))
  const out: string[] = [
    `# Written by \`${header.command}\`: directors from [${plan.directorGroup}], real servers from [${plan.realServerGroup}].`,
    '# Hosts, SSH settings and groups come from Ansible (each value says from which variable); the keepalived and',
    '# HAProxy parts are a minimal T1 skeleton (see README, "Inventory"): every line marked TODO is a choice to make.',
    ...(plan.skipped.length ? [`# Left out (neither directors nor real servers): ${plan.skipped.join(', ')}.`] : []),
    ...plan.ignored.map((i) => `# Not carried over: ${i}.`),
    `name: ${scalar(header.name)}`,
    '',
    'groups:',
  ]
  const layer = (name: string, s: {ssh: Settings; vars: Settings}, extra: string[] = []) => {
    const body = [...extra, ...settings('    ', s)]
    if (body.length) out.push(`  ${name}:`, ...body)
  }
  layer('all', plan.shared.all)
  layer('directors', plan.shared.directors, block('    ', [['interface', 'eth0', '# TODO: the interface the directors\' addresses (and the VIP) are on']]))
  // A port among the web servers' own variables is probably the one (http_port: 8080): say so, do not guess.
  const portVar = Object.entries(plan.shared.real_servers.vars).find(([k, v]) => /port/i.test(k) && Number.isInteger(v.value))
  const portHint = portVar ? ` (their ${portVar[0]} is ${String(portVar[1].value)})` : ''
  layer('real_servers', plan.shared.real_servers, block('    ', [['port', 80, `# TODO: the port the real servers' service listens on${portHint}`]]))
  for (const g of plan.custom) out.push(`  ${g.name}:`, ...block('    ', [['hosts', g.hosts, `# Ansible group ${g.name}`]]))

  out.push('', 'directors:', ...plan.directors.flatMap((h, i) => host(h, [['priority', 101 - i, i === 0 ? '# the highest priority is the MASTER' : undefined]])))
  out.push('', 'real_servers:', ...plan.realServers.flatMap((h) => host(h, [])))
  const servers = plan.realServers.map((h) => h.name)
  out.push(
    '',
    'vrrp_scripts:',
    ...block('  ', [['chk_haproxy', {process: 'haproxy', weight: -20}, '# a director whose HAProxy died hands the VIP over']]),
    '',
    'vrrp_instances:',
    '  VI_1:',
    ...block('    ', [
      ['virtual_router_id', 51, '# TODO: a VRID no other VRRP router on the directors\' segment uses'],
      ['vips', [vip ?? '192.0.2.100/24'], vip ? '# TODO: a free address on the directors\' segment for clients (guessed: the /24 of the first director)' : '# TODO: the address clients connect to (no director address to guess from)'],
      ['auth_pass', '${env:LBCTL_VRRP_PASS}', '# set LBCTL_VRRP_PASS (at most 8 characters) before validate and deploy'],
      ['track_scripts', ['chk_haproxy']],
    ]),
    '',
    'haproxy:',
    '  frontends:',
    '    web:',
    ...block('      ', [['bind', ':80', '# TODO: the port (and address) clients connect to'], ['default_backend', 'web']]),
    '  backends:',
    '    web:',
    ...block('      ', [['servers', servers]]),
    '      # TODO: an HTTP health check instead of a TCP connect, e.g. httpchk: {path: /health}',
  )
  return `${out.join('\n')}\n`
}
