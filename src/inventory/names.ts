/**
 * Host names in an inventory. Where a daemon resolves a name itself (an HAProxy server, keepalived's smtp_server)
 * lbctl writes it as it is. Where lbctl must know the address — a host it connects to over SSH, a director whose
 * address the VRRP and VIP checks and keepalived.conf use, an LVS real server (IPVS takes addresses only) — it is
 * resolved here, at validate time, through the system's resolver.
 *
 * This is the one place in src/inventory that may touch the network, and only through the Resolver it is given:
 * unit tests pass a map, the CLI the system's resolver.
 */
import {execFileSync} from 'node:child_process'
import {isIPv4} from 'node:net'
import type {Path, Problem} from './problems.js'

/** An IPv4 address for a name, or undefined when the name does not resolve. */
export type Resolver = (name: string) => string | undefined

// RFC 1123 labels; a last label of digits only is a mistyped address (10.0.0.256), never a name.
const LABEL = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const HOST_NAME_RE = new RegExp(`^${LABEL}(\\.${LABEL})*$`)

export function isHostName(v: string): boolean {
  return v.length <= 253 && HOST_NAME_RE.test(v) && !/^[0-9]+$/.test(v.slice(v.lastIndexOf('.') + 1))
}

/** An address as written: an IPv4 address, or a host name to resolve. */
export function isAddressOrName(v: string): boolean {
  return isIPv4(v) || isHostName(v)
}

/**
 * The name service switch of the machine lbctl runs on (/etc/hosts, DNS, whatever nsswitch.conf lists), through
 * `getent ahostsv4` — the same lookup the daemons make on a director, and synchronous, so validation stays a
 * plain function. Each name is looked up once per run.
 */
export function systemResolver(): Resolver {
  const cache = new Map<string, string | undefined>()
  return (name) => {
    if (cache.has(name)) return cache.get(name)
    let address: string | undefined
    try {
      const out = execFileSync('getent', ['ahostsv4', name], {encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'ignore']})
      address = out.split('\n').map((l) => l.split(/\s+/)[0]!).find((a) => isIPv4(a))
    } catch {
      address = undefined // exit 2: not found; a timeout or a missing getent: not resolvable here either
    }
    cache.set(name, address)
    return address
  }
}

/** A fixed table, for tests and for callers that already know the answers. */
export function tableResolver(table: Readonly<Record<string, string>>): Resolver {
  return (name) => table[name]
}

/** A host whose address lbctl needs, and why (the end of a sentence: "lbctl needs its address: WHY"). */
export interface NeededAddress {
  host: {name: string; address: string; hostname?: string; origin: Path}
  why: string
}

/** A name lbctl resolved, where it was written: validate says what it used. */
export interface Resolution {
  path: Path
  name: string
  address: string
}

/**
 * Replaces each needed host's name by its address. A name that does not resolve is a problem at the host's
 * address, and the name stays where the address would be (the address checks skip what is not an address).
 */
export function resolveAddresses(needed: NeededAddress[], resolver: Resolver, problem: (path: Path, message: string, hint: string) => Problem): {problems: Problem[]; resolved: Resolution[]} {
  const problems: Problem[] = []
  const resolved: Resolution[] = []
  for (const {host, why} of needed) {
    if (host.hostname === undefined) continue
    const path = [...host.origin, 'address']
    const address = resolver(host.hostname)
    if (address === undefined) {
      problems.push(problem(path, `${host.hostname} does not resolve to an IPv4 address here, and lbctl needs ${host.name}'s address: ${why}`, `check the name (getent ahostsv4 ${host.hostname}), or write the address`))
      continue
    }
    host.address = address
    resolved.push({path, name: host.hostname, address})
  }
  return {problems, resolved}
}
