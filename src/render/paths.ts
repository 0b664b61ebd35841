/**
 * Where lbctl puts things on a host. Shared by the renderer (which writes paths into configs and scripts) and the
 * deploy engine (which writes the files and runs the daemons), so the two can never disagree.
 */
export const PATHS = {
  keepalivedConf: '/etc/keepalived/keepalived.conf',
  haproxyCfg: '/etc/haproxy/haproxy.cfg',
  /** HAProxy chroots here after start-up (Debian's packaged layout; the package creates the directory). */
  haproxyChroot: '/var/lib/haproxy',
  directorSysctl: '/etc/sysctl.d/90-lbctl.conf',
  realServerSysctl: '/etc/sysctl.d/90-lbctl-realserver.conf',
  ipvsadmRules: '/etc/lbctl/ipvsadm.rules',
  notifyScript: '/etc/keepalived/lbctl-notify.sh',
  checkHaproxyScript: '/etc/keepalived/lbctl-check-haproxy.sh',
  tuningScript: '/etc/lbctl/tuning.sh',
  tuningUnit: '/etc/systemd/system/lbctl-tuning.service',
  realServerScript: '/etc/lbctl/realserver.sh',
  realServerUnit: '/etc/systemd/system/lbctl-realserver.service',
  /** haproxy.service drop-in with the operator's pidfile (systemd mode only; haproxy.global.pidfile). */
  haproxyPidfileDropIn: '/etc/systemd/system/haproxy.service.d/lbctl-pidfile.conf',
  stateDir: '/var/lib/lbctl',
} as const

/**
 * "Direct" service mode (hosts without systemd, like the lab): daemons run with pidfiles in /run and are reloaded by
 * signal. HAProxy runs master-worker (-W) with its master CLI socket so a reload (SIGUSR2 to the master) re-execs
 * workers that take the listening sockets over instead of re-binding them: no connection is refused.
 */
export const DIRECT = {
  haproxyPid: '/run/haproxy.pid',
  haproxyMasterSock: '/run/haproxy-master.sock',
  haproxyStatsSock: '/run/haproxy/admin.sock',
  keepalivedPid: '/run/keepalived.pid',
  keepalivedVrrpPid: '/run/keepalived-vrrp.pid',
  keepalivedCheckersPid: '/run/keepalived-checkers.pid',
  /** keepalived's own log in direct mode (no syslog there): the first place to look when it will not start. */
  keepalivedLog: '/run/lbctl/keepalived.log',
} as const
