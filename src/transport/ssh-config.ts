/**
 * Resolve where and how to connect, the way `ssh HOST` would: explicit target
 * fields win over ~/.ssh/config, which wins over lbctl's defaults (root@host:22).
 *
 * Supported config keys: HostName, User, Port, IdentityFile, ProxyJump,
 * UserKnownHostsFile, StrictHostKeyChecking, HostKeyAlias, ConnectTimeout,
 * ServerAliveInterval, ServerAliveCountMax, IdentityAgent, and Include (see
 * ssh-include.ts). Not supported: Match exec (never run: resolving a host must
 * not execute local commands), ProxyCommand, CertificateFile.
 */
import { existsSync, readFileSync } from 'node:fs'
import { homedir, userInfo } from 'node:os'
import SSHConfig from 'ssh-config'
import { expandIncludes } from './ssh-include.js'
import type { SshTarget } from './types.js'

export interface ResolvedHost {
  /** Inventory name (or the jump spec, for a jump hop). */
  name: string
  /** The name as looked up in the config (target.host). */
  alias: string
  /** Address to connect to (HostName, or the alias itself). */
  hostname: string
  port: number
  user: string
  /** Candidate private keys, in order. */
  identityFiles: string[]
  /** Jump hops, outermost first; empty for a direct connection. */
  jumps: ResolvedHost[]
  /** known_hosts files to read; new keys go to the first one. */
  knownHostsFiles: string[]
  /** Name the host key is looked up under (HostKeyAlias, else hostname). */
  hostKeyName: string
  /** Config's StrictHostKeyChecking, lower-cased, if set. */
  strictHostKeyChecking?: string
  connectTimeoutSec?: number
  serverAliveIntervalSec?: number
  serverAliveCountMax?: number
  /** IdentityAgent from config: a socket path, or "none". */
  identityAgent?: string
}

export interface ResolveOptions {
  sshConfigPath?: string
  knownHostsPath?: string
  /** For tests: the home directory for ~ and the default files. */
  home?: string
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa']

type Computed = Record<string, string | string[]>

function loadConfig(path: string, home: string): SSHConfig | undefined {
  if (!existsSync(path)) return undefined
  // A relative Include in the user's config is under ~/.ssh, wherever the config itself was read from.
  return SSHConfig.parse(expandIncludes(readFileSync(path, 'utf8'), { home, baseDir: `${home}/.ssh` }))
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

function int(v: string | string[] | undefined, key: string): number | undefined {
  const s = first(v)
  if (s === undefined) return undefined
  const n = Number(s)
  if (!Number.isInteger(n) || n < 0) throw new Error(`ssh config: ${key} ${s} is not a number`)
  return n
}

/** ssh_config(5) TOKENS and ~ expansion, for the keys that allow them. */
function expand(s: string, t: { home: string; alias: string; hostname: string; port: number; user: string }): string {
  let out = s.startsWith('~/') || s === '~' ? t.home + s.slice(1) : s
  out = out.replace(/%([%dhnpru])/g, (_m, c: string) => {
    switch (c) {
      case '%': return '%'
      case 'd': return t.home
      case 'h': return t.hostname
      case 'n': return t.alias
      case 'p': return String(t.port)
      case 'r': return t.user
      default: return localUser()
    }
  })
  return out
}

function localUser(): string {
  try {
    return userInfo().username
  } catch {
    return process.env.USER ?? ''
  }
}

/** `[user@]host[:port]` or `ssh://[user@]host[:port]`; IPv6 as `[::1]:22`. */
export function parseJumpSpec(spec: string): { user?: string; host: string; port?: number } {
  let s = spec.trim().replace(/^ssh:\/\//, '')
  let user: string | undefined
  const at = s.lastIndexOf('@')
  if (at >= 0) {
    user = s.slice(0, at)
    s = s.slice(at + 1)
  }
  let host = s
  let port: number | undefined
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  const v4 = /^([^:]+):(\d+)$/.exec(s)
  if (v6) {
    host = v6[1]!
    if (v6[2]) port = Number(v6[2])
  } else if (v4) {
    host = v4[1]!
    port = Number(v4[2])
  }
  if (!host) throw new Error(`ProxyJump: cannot parse "${spec}"`)
  return { ...(user ? { user } : {}), host, ...(port !== undefined ? { port } : {}) }
}

export function resolveTarget(target: SshTarget, opts: ResolveOptions = {}): ResolvedHost {
  const home = opts.home ?? homedir()
  const cfg = loadConfig(opts.sshConfigPath ?? `${home}/.ssh/config`, home)
  return resolveOne(target, cfg, opts, home)
}

function resolveOne(
  target: SshTarget,
  cfg: SSHConfig | undefined,
  opts: ResolveOptions,
  home: string,
  inheritedKey?: string,
): ResolvedHost {
  const c: Computed = cfg ? cfg.compute(target.host, { ignoreCase: true, matchExec: false }) : {}

  const port = target.port ?? int(c.port, 'Port') ?? 22
  const user = target.user ?? first(c.user) ?? 'root'
  const tok = { home, alias: target.host, hostname: target.host, port, user }
  const hostname = c.hostname !== undefined ? expand(first(c.hostname)!, tok) : target.host
  tok.hostname = hostname
  const x = (s: string) => expand(s, tok)

  // OpenSSH uses the default keys only when no IdentityFile is given at all.
  const explicitKeys = [...(target.identityFile ? [target.identityFile] : []), ...list(c.identityfile)].map(x)
  const identityFiles = explicitKeys.length
    ? explicitKeys
    : [...(inheritedKey ? [inheritedKey] : []), ...DEFAULT_KEYS.map((k) => `${home}/.ssh/${k}`).filter((f) => existsSync(f))]

  // The run's file is the only one read (reproducible runs); otherwise like
  // OpenSSH: user files, then the global ones, which are read but never written.
  const knownHostsFiles = opts.knownHostsPath
    ? [opts.knownHostsPath]
    : target.knownHosts
      ? [x(target.knownHosts)]
      : c.userknownhostsfile !== undefined
        ? list(c.userknownhostsfile).flatMap((f) => f.split(/\s+/)).filter(Boolean).map(x)
        : [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`, '/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']

  const jumpSpec = target.proxyJump ?? first(c.proxyjump)
  const jumps: ResolvedHost[] = []
  if (jumpSpec && jumpSpec.toLowerCase() !== 'none') {
    for (const hop of jumpSpec.split(',')) {
      const j = parseJumpSpec(hop)
      // A hop is resolved through the config like any host (its own HostName,
      // User, keys...), but not its own ProxyJump: the chain is explicit here.
      const r = resolveOne(
        {
          name: hop.trim(),
          host: j.host,
          ...(j.port !== undefined ? { port: j.port } : {}),
          ...(j.user !== undefined ? { user: j.user } : {}),
          ...(target.knownHosts !== undefined ? { knownHosts: target.knownHosts } : {}),
          proxyJump: 'none',
        },
        cfg,
        opts,
        home,
        // A hop without keys of its own tries the target's key first, so a
        // bastion that trusts the same key needs no extra config.
        target.identityFile !== undefined ? x(target.identityFile) : undefined,
      )
      jumps.push(r)
    }
  }

  const r: ResolvedHost = {
    name: target.name,
    alias: target.host,
    hostname,
    port,
    user,
    identityFiles,
    jumps,
    knownHostsFiles,
    hostKeyName: c.hostkeyalias !== undefined ? first(c.hostkeyalias)! : hostname,
  }
  const shk = first(c.stricthostkeychecking)
  if (shk !== undefined) r.strictHostKeyChecking = shk.toLowerCase()
  const ct = target.connectTimeoutSec ?? int(c.connecttimeout, 'ConnectTimeout')
  if (ct !== undefined) r.connectTimeoutSec = ct
  const sai = int(c.serveraliveinterval, 'ServerAliveInterval')
  if (sai !== undefined) r.serverAliveIntervalSec = sai
  const sac = int(c.serveralivecountmax, 'ServerAliveCountMax')
  if (sac !== undefined) r.serverAliveCountMax = sac
  const ia = first(c.identityagent)
  if (ia !== undefined) r.identityAgent = ia.toLowerCase() === 'none' ? 'none' : x(ia)
  return r
}
