import type {Host} from '../inventory/model.js'
import {openAll} from '../transport/index.js'
import type {ConnectOptions, SshTarget} from '../transport/types.js'
import type {Connect} from './runner.js'

export interface SshOptions {
  acceptNew?: boolean
  forks?: number
  /** One known_hosts file for every host (OpenSSH UserKnownHostsFile); overrides the inventory's. */
  knownHosts?: string
}

export function sshTarget(h: Pick<Host, 'name' | 'ssh'>): SshTarget {
  const s = h.ssh
  return {
    name: h.name,
    host: s.host,
    port: s.port,
    user: s.user,
    identityFile: s.identityFile,
    proxyJump: s.proxyJump,
    knownHosts: s.knownHosts,
    connectTimeoutSec: s.connectTimeoutSec,
    sudo: s.sudo,
  }
}

/** The production connector: one SSH connection per host, set up `forks` at a time. */
export function sshConnect(opts: SshOptions): Connect {
  const co: ConnectOptions = {acceptNew: opts.acceptNew, ...(opts.knownHosts ? {knownHostsPath: opts.knownHosts} : {})}
  return async (hosts, onOpen) => openAll(hosts.map(sshTarget), co, {forks: opts.forks ?? 20, onOpen}) as Promise<Map<string, import('../transport/types.js').Transport | Error>>
}

/**
 * A host that answered and said no — its key is unknown, changed or revoked, or it refused our credentials — is a
 * refusal (exit 3), whatever the command; only a host that did not answer is unreachable (exit 4).
 */
export function refusedByHost(e: Error): boolean {
  return ['HostKeyUnknownError', 'HostKeyChangedError', 'HostKeyRevokedError', 'AuthError'].includes(e.name)
}
