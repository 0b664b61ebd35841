import type {VrrpInstance, VrrpScript} from '../model.js'
import type {Path} from '../problems.js'
import type {Report} from './report.js'

const KINDS = ['script', 'process', 'down_file', 'restart_haproxy'] as const

export function scriptChecks(r: Report): void {
  for (const [name, s] of Object.entries(r.raw.vrrp_scripts ?? {})) {
    const given = KINDS.filter((k) => s[k] !== undefined && s[k] !== false)
    if (given.length === 0) {
      r.error(['vrrp_scripts', name], 'says nothing to check', 'give exactly one of script (a command), process (a process name), down_file (a maintenance file) or restart_haproxy: true', {key: true})
    }
    for (const extra of given.slice(1)) {
      r.error(
        ['vrrp_scripts', name, extra],
        `is set together with ${given[0]}: a vrrp_script checks exactly one thing, and lbctl would silently use only one of them`,
        `keep one of ${given.join(' and ')}, and move the other into a vrrp_script of its own`,
        {key: true},
      )
    }
  }
  scriptSecurity(r)
  for (const inst of r.cluster.instances) {
    for (const [i, ref] of inst.trackScripts.entries()) {
      const script = r.cluster.scripts.find((s) => s.name === ref.name)
      if (script) trackedWeight(r, inst, script, ref.weight, i)
    }
  }
}

/**
 * Without enable_script_security keepalived refuses to run scripts as root ("SECURITY VIOLATION - scripts are being
 * executed but script_security not enabled", which fails keepalived -t) — and lbctl's script_user is root by default.
 */
function scriptSecurity(r: Report): void {
  const k = r.cluster.keepalived
  if (k.enableScriptSecurity || k.scriptUser !== 'root') return
  const runs = [
    ...r.cluster.instances.filter((i) => i.trackScripts.length > 0).map((i) => `vrrp_instances.${i.name}.track_scripts`),
    ...r.cluster.instances.filter((i) => Object.keys(i.notify).length > 0).map((i) => `vrrp_instances.${i.name}.notify`),
    ...(r.cluster.notifications.script ? ['notifications.script'] : []),
    ...r.cluster.virtualServices.filter((vs) => vs.healthCheck.type === 'MISC_CHECK').map((vs) => `virtual_servers.${vs.name}.health_check`),
  ]
  if (runs.length === 0) return
  r.error(
    ['keepalived', 'enable_script_security'],
    `is off, but keepalived runs scripts as root here (${runs.join(', ')}): it refuses that without script security ("SECURITY VIOLATION - scripts are being executed but script_security not enabled")`,
    'remove enable_script_security: false (lbctl installs its scripts root-owned, as script security wants), or set keepalived.script_user to an unprivileged user',
  )
}

// keepalived keeps a tracked script's effect within 1..254 (255 is only for the address owner).
const clamp = (p: number) => Math.min(254, Math.max(1, p))

/**
 * A weighted script only moves the VIP if it changes the election: a failing master (negative weight) must drop
 * below the best backup, or a healthy backup (positive weight, added while the script succeeds) must rise above a
 * failing master. Without a weight, a failing script puts the instance in FAULT and the VIP moves regardless.
 */
function trackedWeight(r: Report, inst: VrrpInstance, script: VrrpScript, override: number | undefined, index: number): void {
  const weight = override ?? script.weight
  if (!weight) return
  const trackIndex = r.raw.vrrp_instances[inst.name]?.track_scripts?.findIndex((t) => (typeof t === 'string' ? t : t.name) === script.name) ?? index
  const path: Path = override !== undefined ? [...inst.origin, 'track_scripts', trackIndex, 'weight'] : [...script.origin, 'weight']
  if (inst.syncGroup) {
    r.error(
      path,
      `${script.name} has weight ${weight}, but ${inst.name} is in sync group ${inst.syncGroup}: keepalived ignores weights there ("ignoring tracked script with weights due to SYNC group", a warning that fails keepalived -t), because a sync group moves all its instances together`,
      `remove weight (a failing script then puts the whole group in FAULT and the VIPs move), or remove sync_group from vrrp_instances.${inst.name}`,
    )
    return
  }
  // restart_haproxy stops keepalived when HAProxy cannot be restarted, which moves the VIP whatever the weight.
  if (script.kind === 'restart_haproxy') return
  const master = inst.members.find((m) => m.director === inst.master)
  const backup = inst.members.filter((m) => m !== master).sort((a, b) => b.priority - a.priority)[0]
  if (!master || !backup) return

  if (inst.nopreempt) {
    r.error(
      path,
      `${script.name} has weight ${weight}, but ${inst.name} sets nopreempt: a backup never takes over from a running master, whatever the priorities, so a failing ${script.name} would leave the VIPs on ${master.director}`,
      `remove weight (a failing script then puts the instance in FAULT and the VIPs move), or remove nopreempt from vrrp_instances.${inst.name}`,
    )
    return
  }

  const gap = master.priority - backup.priority
  if (weight < 0) {
    const failing = clamp(master.priority + weight)
    if (failing < backup.priority) return
    const versus = failing > backup.priority ? `still above ${backup.director}'s ${backup.priority}` : `only equal to ${backup.director}'s ${backup.priority} (a tie goes to the higher address, not to the healthy director)`
    r.error(
      path,
      `${script.name} weight ${weight} lowers ${master.director} from ${master.priority} to ${failing} in ${inst.name} when it fails, ${versus}: the VIPs would stay on the failed director`,
      `use weight -${gap + 1} or lower (more than the ${gap}-point gap between ${master.director} and ${backup.director}), or no weight at all (FAULT on failure)`,
    )
    return
  }

  const healthyBackup = clamp(backup.priority + weight)
  const healthyMaster = clamp(master.priority + weight)
  if (healthyMaster <= healthyBackup) {
    r.error(
      path,
      `${script.name} weight +${weight} lifts both ${master.director} and ${backup.director} to ${healthyMaster} in ${inst.name} while healthy (keepalived caps priorities at 254), so the master is no longer the highest`,
      `use a smaller weight (at most ${254 - master.priority}), or no weight at all (FAULT on failure)`,
    )
    return
  }
  if (healthyBackup > master.priority) return
  const versus = healthyBackup < master.priority ? `still below ${master.director}'s ${master.priority}` : `only equal to ${master.director}'s ${master.priority} (a tie goes to the higher address, not to the healthy director)`
  r.error(
    path,
    `${script.name} weight +${weight} lifts a healthy ${backup.director} from ${backup.priority} to ${healthyBackup} in ${inst.name}, ${versus} when ${script.name} fails there: the VIPs would stay on the failed director`,
    `use weight ${gap + 1} or more (more than the ${gap}-point gap between ${master.director} and ${backup.director}), or no weight at all (FAULT on failure)`,
  )
}
