/**
 * What each Ansible connection variable means for lbctl: an address, an SSH setting, nothing lbctl needs, or
 * something lbctl refuses to carry over (a password, host-key checking turned off, a connection that is not SSH).
 * Variables that are not Ansible's own become the host's free-form `vars`.
 */
import {shellWords} from './ini.js'
import {VAULTED} from './model.js'

/** lbctl's `ssh:` fields (schema/common.ts sshSettings) an Ansible inventory can fill. */
export interface SshFields {
  user?: string
  port?: number
  identity_file?: string
  proxy_jump?: string
  known_hosts?: string
  connect_timeout?: number
}

export type Meaning =
  | {kind: 'address'; value: string}
  | {kind: 'ssh'; fields: SshFields}
  | {kind: 'ignored'; why: string}
  | {kind: 'var'}
  | {kind: 'refused'; message: string; hint: string}

const PASSWORD = 'lbctl never reads a password from an inventory: it authenticates with ssh-agent or a key file (identity_file)'

const IGNORED: Record<string, string> = {
  ansible_python_interpreter: 'lbctl runs no Python on the hosts',
  ansible_become: 'lbctl runs every command through sudo -n whenever the login user is not root',
  ansible_sudo: 'lbctl runs every command through sudo -n whenever the login user is not root',
  ansible_pipelining: 'lbctl keeps one SSH connection per host for a whole run',
  ansible_ssh_pipelining: 'lbctl keeps one SSH connection per host for a whole run',
  ansible_ssh_retries: 'lbctl reports an unreachable host instead of retrying',
  ansible_ssh_executable: 'lbctl has its own SSH client',
  ansible_scp_extra_args: 'lbctl copies files over its own SSH connection',
  ansible_sftp_extra_args: 'lbctl copies files over its own SSH connection',
  ansible_ssh_transfer_method: 'lbctl copies files over its own SSH connection',
}

const PASSWORD_VARS = new Set(['ansible_password', 'ansible_ssh_pass', 'ansible_ssh_password', 'ansible_become_pass', 'ansible_become_password', 'ansible_sudo_pass'])
const SECRET_NAME = /pass(word|wd)?\b|pass_|secret|token|api_?key|private_key$/i

/** A variable whose value must never be printed: Ansible's passwords, and anything named like a secret. */
export function isSecretVar(name: string): boolean {
  return PASSWORD_VARS.has(name) || (!name.startsWith('ansible_') && SECRET_NAME.test(name))
}

/** The meaning of `name = value` for lbctl. */
export function meaningOf(name: string, value: unknown): Meaning {
  if (value === VAULTED) return {kind: 'refused', message: 'is encrypted with ansible-vault, which lbctl cannot read', hint: 'write the plain value for the hosts lbctl imports, or leave the variable out'}
  if (isSecretVar(name) && !name.startsWith('ansible_')) return {kind: 'ignored', why: 'named like a secret; lbctl reads secrets from ${env:NAME} or ${file:PATH}, never from the inventory itself'}
  if (!name.startsWith('ansible_')) return {kind: 'var'}
  if (typeof value === 'string' && value.includes('{{')) return {kind: 'refused', message: `is a Jinja expression (${value}), which lbctl cannot evaluate`, hint: 'write the value it stands for'}
  if (PASSWORD_VARS.has(name)) return {kind: 'refused', message: 'holds a password', hint: PASSWORD}
  const text = value === null || value === undefined ? '' : String(value)
  switch (name) {
    case 'ansible_host':
    case 'ansible_ssh_host':
      return {kind: 'address', value: text}
    case 'ansible_user':
    case 'ansible_ssh_user':
      return /^[a-z_][a-z0-9_.-]*$/.test(text) ? {kind: 'ssh', fields: {user: text}} : {kind: 'refused', message: `is "${text}", which is not a user name`, hint: 'write a login name like deploy'}
    case 'ansible_port':
    case 'ansible_ssh_port':
      return Number.isInteger(Number(text)) && Number(text) >= 1 && Number(text) <= 65535 ? {kind: 'ssh', fields: {port: Number(text)}} : {kind: 'refused', message: `is "${text}", which is not a port`, hint: 'write a port from 1 to 65535'}
    case 'ansible_ssh_private_key_file':
    case 'ansible_private_key_file':
      return {kind: 'ssh', fields: {identity_file: text}}
    case 'ansible_timeout':
    case 'ansible_ssh_timeout':
      return Number(text) > 0 && Number(text) <= 600 ? {kind: 'ssh', fields: {connect_timeout: Number(text)}} : {kind: 'refused', message: `is "${text}", which is not a number of seconds up to 600`, hint: 'write the connection timeout in seconds'}
    case 'ansible_ssh_common_args':
    case 'ansible_ssh_extra_args':
      return sshArgs(text)
    case 'ansible_connection':
      return ['ssh', 'smart', 'paramiko'].includes(text) ? {kind: 'ignored', why: 'lbctl always connects over SSH'} : {kind: 'refused', message: `is "${text}": lbctl reaches hosts over SSH only`, hint: 'import the hosts lbctl reaches over SSH (leave this one out of the groups you import)'}
    case 'ansible_become_method':
      return text === 'sudo' ? {kind: 'ignored', why: 'lbctl uses sudo -n'} : {kind: 'refused', message: `is "${text}": lbctl becomes root with sudo -n only`, hint: 'allow the login user passwordless sudo, or log in as root'}
    case 'ansible_become_user':
      return text === 'root' ? {kind: 'ignored', why: 'lbctl becomes root'} : {kind: 'refused', message: `is "${text}": lbctl works on the hosts as root`, hint: 'remove it, or set it to root'}
    case 'ansible_host_key_checking':
    case 'ansible_ssh_host_key_checking':
      return value === true || text === 'true' || text === 'True' ? {kind: 'ignored', why: 'lbctl always checks host keys'} : {kind: 'refused', message: 'turns host-key checking off, which lbctl never does', hint: 'remove it; `lbctl deploy --accept-new` records the keys of new hosts, like OpenSSH\'s accept-new'}
  }
  if (IGNORED[name]) return {kind: 'ignored', why: IGNORED[name]}
  if (/^ansible_\w+_interpreter$/.test(name)) return {kind: 'ignored', why: 'lbctl runs no interpreter of its own on the hosts'}
  return {kind: 'refused', message: `is a connection setting lbctl does not know how to carry over`, hint: 'remove it from the hosts lbctl imports, or set the equivalent in ~/.ssh/config (lbctl reads it)'}
}

/**
 * `ansible_ssh_common_args`: the bastion (`-o ProxyJump=…`, `-J …`, or `-o ProxyCommand="ssh -W %h:%p … host"`),
 * the known_hosts file and the connect timeout carry over; connection sharing and keepalives are lbctl's own
 * business; host-key checking turned off, and anything else, is refused.
 */
function sshArgs(text: string): Meaning {
  const fields: SshFields = {}
  const words = shellWords(text).map((w) => w.word)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    const option = w === '-o' ? words[++i] : w.startsWith('-o') ? w.slice(2) : undefined
    if (w === '-J') {
      fields.proxy_jump = words[++i]
      continue
    }
    if (option === undefined) return {kind: 'refused', message: `has "${w}", an ssh argument lbctl cannot carry over`, hint: 'keep only -o ProxyJump=…, -J …, or -o ProxyCommand="ssh -W %h:%p BASTION"; put the rest in ~/.ssh/config (lbctl reads it)'}
    const eq = option.search(/[= ]/)
    const [key, value] = eq < 0 ? [option, ''] : [option.slice(0, eq), option.slice(eq + 1).trim()]
    switch (key.toLowerCase()) {
      case 'proxyjump':
        fields.proxy_jump = value
        break
      case 'proxycommand': {
        const jump = bastionOf(value)
        if (!jump) return {kind: 'refused', message: `has ProxyCommand "${value}", which is not an "ssh -W %h:%p BASTION" hop`, hint: 'write the bastion as -o ProxyJump=[user@]host[:port]'}
        fields.proxy_jump = jump
        break
      }
      case 'userknownhostsfile':
        if (value === '/dev/null') return {kind: 'refused', message: 'throws host keys away (UserKnownHostsFile=/dev/null), which lbctl never does', hint: 'remove it; lbctl checks every host key against known_hosts'}
        fields.known_hosts = value
        break
      case 'stricthostkeychecking':
        if (!['yes', 'ask', 'accept-new'].includes(value)) return {kind: 'refused', message: `turns host-key checking off (StrictHostKeyChecking=${value}), which lbctl never does`, hint: 'remove it; `lbctl deploy --accept-new` records the keys of new hosts'}
        break
      case 'connecttimeout':
        fields.connect_timeout = Number(value)
        break
      case 'controlmaster':
      case 'controlpersist':
      case 'controlpath':
      case 'serveraliveinterval':
      case 'serveralivecountmax':
        break // lbctl keeps one connection per host and its own keepalive (~/.ssh/config's ServerAlive* win)
      default:
        return {kind: 'refused', message: `has the ssh option ${key}, which lbctl cannot carry over`, hint: 'put it in ~/.ssh/config for these hosts (lbctl reads it), and remove it here'}
    }
  }
  return {kind: 'ssh', fields}
}

/** `ssh -W %h:%p [-q] [-p PORT] [-l USER] [USER@]HOST` → `[USER@]HOST[:PORT]`. */
function bastionOf(command: string): string | undefined {
  const w = shellWords(command).map((x) => x.word)
  if (!/(^|\/)ssh$/.test(w[0] ?? '') || !w.includes('-W')) return undefined
  let port: string | undefined
  let user: string | undefined
  let host: string | undefined
  for (let i = 1; i < w.length; i++) {
    if (w[i] === '-W') i++
    else if (w[i] === '-p') port = w[++i]
    else if (w[i] === '-l') user = w[++i]
    else if (w[i] === '-q' || w[i] === '-T' || w[i] === '-A') continue
    else if (w[i]!.startsWith('-')) return undefined
    else host = w[i]
  }
  if (!host) return undefined
  return `${user && !host.includes('@') ? `${user}@` : ''}${host}${port ? `:${port}` : ''}`
}
