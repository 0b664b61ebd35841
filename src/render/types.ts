/** One file lbctl puts on a host. `path` is always one of the fixed on-host paths in ./paths.ts. */
export interface RenderedFile {
  path: string
  content: string
  /** 0o644 configs, 0o600 configs that embed a secret and certificates (their key), 0o755 scripts (keepalived's enable_script_security refuses group/other-writable scripts). */
  mode: number
  kind: 'keepalived' | 'haproxy' | 'sysctl' | 'ipvsadm' | 'script' | 'unit' | 'certificate'
  /** What the deploy engine runs before activating: `keepalived -t -f`, `haproxy -c -f`, `sh -n`. */
  validate?: 'keepalived' | 'haproxy' | 'shell'
  /** Which service a change to this file must reload (none: the file is read afresh on every use). */
  service?: 'keepalived' | 'haproxy' | 'realserver' | 'sysctl' | 'tuning'
}
