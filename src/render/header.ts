import type {Cluster} from '../inventory/model.js'
import {holdsSecret} from './secret-lines.js'
import type {RenderedFile} from './types.js'

/**
 * The first comment of every rendered file. Deliberately free of timestamps and hashes: a deploy must see only the
 * files whose meaning changed.
 */
export function managedHeader(cluster: Cluster): string {
  return `# Managed by lbctl (inventory "${cluster.name}") — local edits are overwritten by lbctl deploy.`
}

/**
 * A file's mode follows its kind. The daemon configs that carry passwords (keepalived.conf, haproxy.cfg) and scripts
 * are root-only when they hold a secret; scripts stay executable either way. Sysctl drop-ins, units and ipvsadm rules
 * have no secret field: they are 0644 whatever their text shares with a secret.
 */
export function configMode(content: string, cluster: Cluster, kind: RenderedFile['kind']): number {
  if (kind !== 'keepalived' && kind !== 'haproxy') return 0o644
  return holdsSecret(content, cluster.secrets) ? 0o600 : 0o644
}

export function scriptMode(content: string, cluster: Cluster): number {
  return holdsSecret(content, cluster.secrets) ? 0o700 : 0o755
}
