/**
 * The resolved cluster: every default applied, every group merged, every reference checked to exist. Renderers,
 * checks and the deploy engine read only this, never the raw YAML. `origin` fields keep the inventory path a value
 * came from, so cluster-wide checks can point at the right line.
 */
import type {Certificate} from './certs.js'
import type {Path} from './problems.js'
import type {RawHaproxy, RawVirtualService} from './schema/index.js'

export interface SshTarget {
  /** Address or ~/.ssh/config alias to connect to. */
  host: string
  user?: string
  port?: number
  identityFile?: string
  proxyJump?: string
  knownHosts?: string
  connectTimeoutSec?: number
  sudo?: boolean
}

export interface Tuning {
  sysctls: Record<string, string>
  ethtool: {interfaces: string[]; gro?: boolean; lro?: boolean}
}

export interface HostBase {
  name: string
  /**
   * IPv4 address. For a host written with a name, the address the name resolved to when lbctl validated — or the
   * name itself for a real server only HAProxy talks to, which HAProxy resolves on its own (see names.ts).
   */
  address: string
  /** The host name written as its address, if a name was written. */
  hostname?: string
  ssh: SshTarget
  interface: string
  tuning: Tuning
  vars: Record<string, unknown>
  /** Every group the host is in, built-in ones first (all, directors|real_servers|clients, then custom). */
  groups: string[]
  /** Inventory path of the host's own entry. */
  origin: Path
}

export interface Director extends HostBase {
  kind: 'director'
  /** Source address of its adverts in every instance, unless an instance says otherwise. */
  mcastSrcIp?: string
  priority?: number
  role?: 'master' | 'backup'
  state?: 'MASTER' | 'BACKUP'
}

export type ArpScope = 'lo' | 'all' | 'interface'

export interface RealServer extends HostBase {
  kind: 'real_server'
  port: number
  weight: number
  arpScope: ArpScope[]
  gateway?: string
  /** Whether lbctl configures this host over SSH (LVS real servers need the lo VIP / gateway). */
  manage: boolean
  /** What LVS needs on this host, derived from the virtual services it is in. */
  lvs: {vips: string[]; forwarding: 'DR' | 'TUN' | 'NAT' | 'none'}
}

export interface Client {
  kind: 'client'
  name: string
  address: string
  hostname?: string
  ssh: SshTarget
  origin: Path
}

export type Host = Director | RealServer

export interface Vip {
  /** Address with prefix, e.g. 198.18.0.100/24 (keepalived's default /32 when none was written). */
  cidr: string
  address: string
  prefix: number
  dev?: string
  label?: string
}

export interface VrrpMember {
  director: string
  priority: number
  state: 'MASTER' | 'BACKUP'
  interface: string
  /** Source address of this director's adverts (keepalived mcast_src_ip; with unicast, its unicast_src_ip). */
  mcastSrcIp?: string
  origin: Path
}

export interface WeightedRef {
  name: string
  weight?: number
}

export interface VrrpInstance {
  name: string
  vrid: number
  vips: Vip[]
  /** The segment's subnet when the inventory states it (`network`). */
  network?: {address: string; prefix: number}
  advertInt: number
  version: 2 | 3
  authType?: 'PASS' | 'AH'
  authPass?: string
  trackScripts: WeightedRef[]
  trackInterfaces: WeightedRef[]
  nopreempt: boolean
  preemptDelay?: number
  garpMasterDelay?: number
  unicast: boolean
  useVmac: boolean
  dontTrackPrimary: boolean
  smtpAlert: boolean
  syncGroup?: string
  virtualRoutes: {to: string; via?: string; dev?: string; src?: string}[]
  notify: {master?: string; backup?: string; fault?: string; stop?: string; any?: string}
  /** The director meant to hold the VIPs when everything is healthy. */
  master: string
  members: VrrpMember[]
  origin: Path
}

/** A vrrp_sync_group's own settings; its members are the instances naming it in syncGroup. */
export interface VrrpSyncGroup {
  name: string
  notify: VrrpInstance['notify']
  smtpAlert: boolean
  origin: Path
}

export interface VrrpScript {
  name: string
  kind: 'script' | 'process' | 'down_file' | 'restart_haproxy'
  /** The exact command keepalived runs. */
  command: string
  interval: number
  weight?: number
  fall: number
  rise: number
  timeout?: number
  user?: string
  origin: Path
}

export interface LvsRealServer {
  name: string
  address: string
  port: number
  weight: number
}

export interface VirtualService {
  name: string
  vip: string
  port: number
  protocol: 'TCP' | 'UDP'
  scheduler: string
  forwarding: 'DR' | 'NAT' | 'TUN'
  persistenceTimeout?: number
  persistenceGranularity?: string
  delayLoop: number
  sorryServer?: {address: string; port: number}
  quorum?: number
  hysteresis?: number
  alpha: boolean
  omega: boolean
  inhibitOnFailure: boolean
  virtualhost?: string
  realServers: LvsRealServer[]
  healthCheck: NonNullable<RawVirtualService['health_check']>
  origin: Path
}

export interface HaproxyServer {
  name: string
  /** An address, or the host name HAProxy resolves itself. */
  address: string
  port: number
  weight: number
  cookie?: string
  backup: boolean
  check: boolean
  /** This server's own check timing and port, over the backend's `default-server`. */
  inter?: number | string
  rise?: number
  fall?: number
  checkPort?: number
  maxconn?: number
  sendProxy: boolean
}

export interface Notifications {
  email?: {to: string[]; from: string; smtpServer: string; smtpConnectTimeout: number}
  script: boolean
  smtpAlert: boolean
}

export interface KeepalivedGlobals {
  routerId?: string
  vrrpMcastGroup4?: string
  enableScriptSecurity: boolean
  scriptUser: string
  vrrpGarpMasterRefresh?: number
  /** LVS connection sync (lvs_sync_daemon): the instance whose master sends, the interface, the sync id. */
  lvsSync?: {instance: string; interface?: string; id?: number}
  extraGlobalDefs: string[]
}

export interface DeploySettings {
  releasesKeep: number
  serviceManager: 'auto' | 'systemd' | 'direct'
  forks: number
  stateDir: string
}

export interface Cluster {
  name: string
  description?: string
  /** The inventory file this came from. */
  file: string
  /** sha256 of the inventory bytes: recorded in every release manifest. */
  hash: string
  directors: Director[]
  realServers: RealServer[]
  clients: Client[]
  /** Custom groups: name → member host names. */
  groups: Record<string, string[]>
  keepalived: KeepalivedGlobals
  scripts: VrrpScript[]
  instances: VrrpInstance[]
  syncGroups: VrrpSyncGroup[]
  virtualServices: VirtualService[]
  /** HAProxy as written (defaults are applied by the renderer, where they are visible in the output). */
  haproxy?: RawHaproxy
  /** Real servers referenced by HAProxy backends, resolved: backend name → servers. */
  haproxyServers: Record<string, HaproxyServer[]>
  /** Certificates delivered with the bundle to every director (SSL binds with `ssl.pem`). */
  certificates: Certificate[]
  notifications: Notifications
  deploy: DeploySettings
  /** Every secret value (VRRP and stats passwords, anything from ${env:}/${file:}), for masking output. */
  secrets: string[]
}
