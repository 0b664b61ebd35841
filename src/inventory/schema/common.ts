import {isIPv4} from 'node:net'
import {z} from 'zod'
import {isHostName} from '../names.js'

// Names end up as keepalived/HAProxy identifiers, file names and shell words: keep them boring.
export const NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/
export const name = z
  .string()
  .regex(NAME_RE, {message: 'must start with a letter and contain only letters, digits, "_", "." or "-" (at most 63 characters)'})

// Linux IFNAMSIZ is 16 including the NUL, so 15 characters.
export const ifname = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, {message: 'is not a safe interface name (letters, digits, "_", "." or "-", at most 15 characters)'})

// The refine is the real check; the meta only tells editors (through schema/inventory.schema.json) what to expect.
export const ipv4 = z.string().refine((v) => isIPv4(v), {message: 'is not an IPv4 address (write it like 10.0.0.11)'}).meta({format: 'ipv4'})

const DOTTED = /^[0-9.]+$/

/**
 * A host's address as the operator writes it: an IPv4 address or a host name (names.ts says when lbctl resolves it
 * and when the daemon does).
 */
export const hostAddress = z
  .string()
  .refine((v) => !DOTTED.test(v) || isIPv4(v), {message: 'is not an IPv4 address (write it like 10.0.0.11)'})
  .refine((v) => DOTTED.test(v) || isHostName(v), {message: 'is neither an IPv4 address nor a host name (write it like 10.0.0.11 or web1.example.com: letters, digits, "-" and dots)'})
  .meta({pattern: '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)$'})

/** "10.0.0.100" or "10.0.0.100/24". */
export const ipv4OrCidr = z.string().refine(
  (v) => {
    const [addr, prefix, extra] = v.split('/')
    if (extra !== undefined || !isIPv4(addr)) return false
    return prefix === undefined || (/^\d{1,2}$/.test(prefix) && Number(prefix) <= 32)
  },
  {message: 'is not an IPv4 address with an optional /prefix (write it like 10.0.0.100/24)'},
).meta({pattern: '^\\d{1,3}(\\.\\d{1,3}){3}(/\\d{1,2})?$'})

// Unlike zod's email check this takes a host without a dot: keepalived mails root@localhost in seed 001.
export const email = z.string().regex(/^[A-Za-z0-9_+'.-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, {message: 'is not an email address'})

/** "10.20.0.0/16": a network, written with its prefix and no host bits. */
export const networkCidr = z.string().refine(
  (v) => {
    const [addr, prefix, extra] = v.split('/')
    if (extra !== undefined || !isIPv4(addr) || prefix === undefined || !/^\d{1,2}$/.test(prefix) || Number(prefix) > 32) return false
    const bits = addr.split('.').reduce((n, o) => n * 256 + Number(o), 0)
    return Number(prefix) === 0 ? bits === 0 : bits % 2 ** (32 - Number(prefix)) === 0
  },
  {message: 'is not a network with its prefix (write it like 10.20.0.0/16, with no host bits set)'},
).meta({pattern: '^\\d{1,3}(\\.\\d{1,3}){3}/\\d{1,2}$'})

export const port = z.number().int().min(1, {message: 'must be a port number from 1 to 65535'}).max(65535, {message: 'must be a port number from 1 to 65535'})

const DURATION_RE = /^(\d+)(us|ms|s|m|h|d)$/
const UNIT_MS: Record<string, number> = {us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** Milliseconds in an HAProxy time ("10s", or a plain number of milliseconds). */
export function durationMs(v: number | string): number {
  if (typeof v === 'number') return v
  const m = DURATION_RE.exec(v)
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN
}

// HAProxy keeps timers in a signed 32-bit count of milliseconds and refuses anything longer ("timer overflow").
export const HAPROXY_MAX_MS = 2_147_483_647
const tooLong = {message: 'is longer than HAProxy\'s longest timer, 2147483647 ms (about 24.8 days)'}

/** HAProxy time format: a number of milliseconds, or a number with a unit (us, ms, s, m, h, d). */
export const duration = z.union([
  z.number().int().positive().max(HAPROXY_MAX_MS, tooLong),
  z.string()
    .regex(DURATION_RE, {message: 'is not a duration (write it like 500ms, 10s or 1m: a whole number and a unit us, ms, s, m, h or d, no space)'})
    .refine((v) => !DURATION_RE.test(v) || durationMs(v) <= HAPROXY_MAX_MS, tooLong),
])

export const absPath = z
  .string()
  .regex(/^\/[A-Za-z0-9_.\/-]*$/, {message: 'must be an absolute path of letters, digits, "_", ".", "-" and "/"'})

/** A value that may come from `${env:NAME}` or `${file:PATH}`; resolved (and remembered for masking) at load time. */
export const secret = z.string().min(1, {message: 'must not be empty'})

export const sshSettings = z
  .strictObject({
    host: z.string().regex(/^[A-Za-z0-9_.:-]+$/, {message: 'is not a host name or address'}).optional()
      .describe('Address or ~/.ssh/config Host alias to connect to (default: the host\'s address).'),
    user: z.string().regex(/^[a-z_][a-z0-9_.-]*$/, {message: 'is not a user name'}).optional()
      .describe('Login user (default root). A non-root user runs every command through `sudo -n`.'),
    port: port.optional().describe('SSH port (default 22).'),
    identity_file: z.string().optional().describe('Private key file (default: ssh-agent, then ~/.ssh/id_ed25519, id_rsa).'),
    proxy_jump: z.string().optional().describe('Bastion as [user@]host[:port], like OpenSSH ProxyJump.'),
    known_hosts: z.string().optional().describe('known_hosts file to verify host keys against (default ~/.ssh/known_hosts).'),
    connect_timeout: z.number().positive().max(600).optional().describe('Longest silence (seconds) allowed from the host while connecting and logging in: the TCP connect, the banner, each handshake packet (default 15; a login that keeps answering is bounded at 120).'),
    sudo: z.boolean().optional().describe('Force (true) or forbid (false) `sudo -n`; default: only when user is not root.'),
  })
  .describe('How lbctl reaches a host over SSH. Anything unset falls back to ~/.ssh/config, then OpenSSH defaults.')

export const tuning = z
  .strictObject({
    sysctls: z
      .record(z.string().regex(/^[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/, {message: 'is not a sysctl key (like net.ipv4.ip_forward)'}), z.union([z.string().regex(/^[A-Za-z0-9_.:,\/+=@-]+( [A-Za-z0-9_.:,\/+=@-]+)*$/, {message: 'is not a sysctl value (words of letters, digits and _.:,/+=@-, like 1 or 1024 65000)'}), z.number()]))
      .optional()
      .describe('Extra sysctls, written to /etc/sysctl.d/90-lbctl.conf and applied at runtime.'),
    ethtool: z
      .strictObject({
        interfaces: z.array(ifname).optional().describe('Interfaces to tune (default: every interface a VRRP instance or virtual service uses).'),
        gro: z.boolean().optional().describe('Generic receive offload; LVS directors want it off (default off when the director runs LVS).'),
        lro: z.boolean().optional().describe('Large receive offload; off for anything that forwards (default off when the director runs LVS).'),
      })
      .optional(),
  })
  .describe('Host tuning: sysctls and NIC offloads.')

export const vars = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {message: 'is not a variable name'}), z.unknown())
  .describe('Free-form variables, visible to playbook `when` expressions.')
