import type {Report} from './report.js'

const DAY = 86_400_000

/** A delivered certificate that expires soon (expired ones are refused when it is read: certs.ts). */
export function certChecks(r: Report, now = Date.now()): void {
  const days = r.raw.haproxy?.cert_warn_days ?? 21
  for (const c of r.cluster.certificates) {
    const left = (Date.parse(c.notAfter) - now) / DAY
    if (left < days) r.warn(c.origin, `the certificate for ${c.subject} (${c.path}) expires in ${Math.floor(left)} day(s), on ${c.notAfter.slice(0, 10)}`, `renew it before then (warned ${days} days ahead: haproxy.cert_warn_days)`)
  }
}
