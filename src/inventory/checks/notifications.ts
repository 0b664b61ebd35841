import type {Report} from './report.js'

/** keepalived's smtp_alert mails through global_defs' smtp_server to notification_email: without them it mails no one. */
export function notificationChecks(r: Report): void {
  if (r.raw.notifications?.email) return
  const paths = [
    ...(r.raw.notifications?.smtp_alert ? [['notifications', 'smtp_alert']] : []),
    ...Object.entries(r.raw.vrrp_instances).filter(([, i]) => i.smtp_alert).map(([name]) => ['vrrp_instances', name, 'smtp_alert']),
    ...Object.entries(r.raw.vrrp_sync_groups ?? {}).filter(([, g]) => g.smtp_alert).map(([name]) => ['vrrp_sync_groups', name, 'smtp_alert']),
  ]
  for (const path of paths) {
    r.error(path, 'is on, but notifications.email is not set: keepalived would have no one to mail', 'add notifications.email.to: [ops@example.com] (and smtp_server if not 127.0.0.1), or remove smtp_alert')
  }
}
