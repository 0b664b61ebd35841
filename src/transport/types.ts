import type { ShellCommand } from '../shell/index.js'

export interface ExecResult {
  /** Exit status; -1 when the command died by a signal or sent no status. */
  code: number
  stdout: string
  stderr: string
  /** Signal name without "SIG" (e.g. "KILL") when the command died by one. */
  signal?: string
}

export interface ExecOptions {
  /** Sent to the command's stdin, then EOF. Without it stdin is closed at once. */
  stdin?: string | Buffer
  /** Reject with ExecTimeoutError and close the channel after this long. */
  timeoutMs?: number
}

/**
 * One host, one connection: every exec/put of a run goes over the same
 * transport. Implementations: SshTransport (ssh.ts), FakeTransport (fake.ts).
 */
export interface Transport {
  /** Inventory host name. */
  readonly host: string
  /**
   * Run a command. A non-zero exit is a normal result, not an error; only a
   * transport failure (connection lost, timeout) rejects.
   */
  exec(command: ShellCommand, opts?: ExecOptions): Promise<ExecResult>
  /**
   * Write exactly these bytes to an absolute path (binary-safe), replacing the
   * file atomically. mode defaults to 0o644. Rejects with PutError on failure.
   */
  put(path: string, content: string | Buffer, opts?: { mode?: number }): Promise<void>
  /**
   * Start a long-lived command and hand its stdout over as it arrives (a
   * monitor, a probe loop), instead of once it ends. Its stdin stays open
   * until `end()`; resolves once the command runs.
   */
  stream(command: ShellCommand, onStdout: (chunk: string) => void): Promise<RemoteProcess>
  close(): Promise<void>
}

/** A command started by Transport.stream(). */
export interface RemoteProcess {
  /** Settles when the command ends: its exit status and stderr (stdout went to onStdout). Rejects when the connection is lost. */
  readonly done: Promise<ExecResult>
  /** Write to its stdin. */
  write(data: string): void
  /** Close its stdin (EOF): a command that watches its stdin ends by itself. */
  end(): void
  /** Close the channel without waiting for the command. */
  close(): void
}

/** Where and how to reach one host. Fields set here win over ~/.ssh/config. */
export interface SshTarget {
  /** Inventory name, used in messages and as Transport.host. */
  name: string
  /** Address or ~/.ssh/config alias (looked up in Host sections, like `ssh HOST`). */
  host: string
  port?: number
  user?: string
  identityFile?: string
  /** OpenSSH ProxyJump syntax: `[user@]host[:port]`, comma-separated chain. */
  proxyJump?: string
  /** known_hosts file for this host. */
  knownHosts?: string
  connectTimeoutSec?: number
  /**
   * Wrap commands in `sudo -n -- sh -c ...`. Default: only when the login user
   * is not root. false never wraps.
   */
  sudo?: boolean
}

export interface ConnectOptions {
  /** StrictHostKeyChecking=accept-new: record unknown keys; changed keys are still refused. */
  acceptNew?: boolean
  /** ssh-agent socket; false disables the agent. Default: $SSH_AUTH_SOCK. */
  agent?: string | false
  keepaliveIntervalMs?: number
  /** Default ~/.ssh/config; a missing file is an empty config. */
  sshConfigPath?: string
  /**
   * known_hosts file for every host of the run; wins over the target's and the
   * config's. When set, it is the only file read (no global files), so a run
   * is reproducible.
   */
  knownHostsPath?: string
  /** Channels open at once on one connection (sshd's MaxSessions is 10). Default 8. */
  maxChannels?: number
}
