import type {Cluster, VrrpInstance} from '../model.js'
import type {Path, Problem} from '../problems.js'
import type {RawInventory} from '../schema/index.js'
import type {Source} from '../source.js'

/** What every check reads, and where it writes what it finds. */
export class Report {
  readonly errors: Problem[] = []
  readonly warnings: Problem[] = []

  constructor(
    readonly cluster: Cluster,
    readonly raw: RawInventory,
    readonly source: Source,
  ) {}

  error(path: Path, message: string, hint: string, opts: {key?: boolean} = {}): void {
    this.errors.push(this.source.problem(path, message, hint, opts))
  }

  warn(path: Path, message: string, hint: string, opts: {key?: boolean} = {}): void {
    this.warnings.push(this.source.problem(path, message, hint, opts))
  }

  /** Where a director's initial state was written for an instance, if anywhere. */
  stateOrigin(inst: VrrpInstance, director: string): Path | undefined {
    if (this.raw.vrrp_instances[inst.name]?.directors?.[director]?.state !== undefined) return [...inst.origin, 'directors', director, 'state']
    if (this.raw.directors[director]?.state !== undefined) return ['directors', director, 'state']
    return undefined
  }

  /** Where an instance field was written (every instance field is per instance, never inherited). */
  field(inst: VrrpInstance, name: string): Path {
    return [...inst.origin, name]
  }
}
