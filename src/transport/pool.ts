/**
 * Connect to every host of a run once, with bounded parallelism (Ansible's
 * "forks"). A host that fails is a TransportError in the map, not a thrown
 * error, so one bad host does not stop the others.
 */
import { TransportError } from './errors.js'
import { Limiter } from './limit.js'
import { connect, sshCounters, resetSshCounters } from './ssh.js'
import type { ConnectOptions, SshTarget, Transport } from './types.js'

export { sshCounters, resetSshCounters }

export type Connector = (target: SshTarget, opts: ConnectOptions) => Promise<Transport>

export interface PoolOptions {
  /** Connections being set up at once. Default 5 (as Ansible). */
  forks?: number
  /** For tests: connect with something else than SSH. */
  connector?: Connector
  /** Called with each connection as soon as it is up, before the others are (a run starts its first round trip). */
  onOpen?: (transport: Transport) => void
}

/** Result in target order. */
export async function openAll(
  targets: SshTarget[],
  opts: ConnectOptions = {},
  pool: PoolOptions = {},
): Promise<Map<string, Transport | TransportError>> {
  const names = new Set<string>()
  for (const t of targets) {
    if (names.has(t.name)) throw new Error(`openAll: host ${t.name} listed twice`)
    names.add(t.name)
  }
  const limiter = new Limiter(pool.forks ?? 5)
  const doConnect = pool.connector ?? connect
  const results = await Promise.all(
    targets.map((t) =>
      limiter.run(async (): Promise<Transport | TransportError> => {
        try {
          const transport = await doConnect(t, opts)
          pool.onOpen?.(transport)
          return transport
        } catch (e) {
          return e instanceof TransportError ? e : new TransportError({ host: t.name }, (e as Error).message ?? String(e), { cause: e })
        }
      }),
    ),
  )
  return new Map(targets.map((t, i) => [t.name, results[i]!]))
}

export async function closeAll(pool: Map<string, Transport | TransportError>): Promise<void> {
  await Promise.all([...pool.values()].map((t) => (t instanceof TransportError ? undefined : t.close())))
}
