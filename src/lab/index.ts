// The lab: a local keepalived + HAProxy cluster whose hosts are Linux namespaces on one bridge, each with its own
// sshd, so lbctl deploys to it over SSH exactly as to real servers. See docs/lab.md.
import {checkLabName} from './plan.js'
import {checkRootLinux} from './prereqs.js'
import {cleanupMachine, withLock} from './state.js'
import {type DownResult, teardownLab} from './teardown.js'

export {labUp, type LabUpOptions, type LabUpResult} from './up.js'
export {labStatus, type LabStatus, type LabHostStatus} from './status.js'
export {labExec, labSshArgv, loadPlan} from './exec.js'
export {LabArgumentError, LabError, type RunResult} from './run.js'
export {DEFAULT_SUBNET, DEFAULT_DIRECTORS, DEFAULT_REAL_SERVERS, LAB_NAME_RE, TOPOLOGIES, labRoot, type LabPlan, type LabRole, type LabTopology} from './plan.js'
export type {DownResult} from './teardown.js'

/** Remove every namespace, link, process and file of the lab; also what a half-built or half-killed lab left. */
export async function labDown(opts: {name?: string; inventoryDir?: string} = {}): Promise<DownResult> {
  const name = opts.name ?? 'lab'
  checkLabName(name)
  checkRootLinux()
  const result = await withLock(name, () => teardownLab(name, opts))
  const machine = await cleanupMachine()
  result.removedFiles.push(...machine.files)
  result.restoredKernel = machine.kernel
  return result
}
