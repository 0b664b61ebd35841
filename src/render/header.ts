import type {Cluster} from '../inventory/model.js'
import {holdsSecret} from './secret-lines.js'

/**
 * The first comment of every rendered file. Deliberately free of timestamps and hashes: a deploy must see only the
 * files whose meaning changed.
 */
export function managedHeader(cluster: Cluster): string {
  return `# Managed by lbctl (inventory "${cluster.name}") — local edits are overwritten by lbctl deploy.`
}

/** Configs that embed a secret (VRRP or stats password) are readable by root only; everything else is 0644. */
export function configMode(content: string, cluster: Cluster): number {
  return holdsSecret(content, cluster.secrets) ? 0o600 : 0o644
}
