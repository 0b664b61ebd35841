import type {VirtualService} from '../../inventory/model.js'

/**
 * The IPVS table a director should hold, as the exact lines `ipvsadm -Sn` prints for it, so the deploy engine can
 * compare desired and live state line by line and apply only the difference (-A/-E/-D, -a/-e/-d).
 *
 * ipvsadm sorts what it prints (libipvs ipvs_cmp_services / ipvs_cmp_dests): services by protocol (TCP before UDP),
 * address, port; real servers by address, port. It compares addresses as `int r = ntohl(a) - ntohl(b)`, an
 * unsigned difference squeezed into an int, so 203.0.113.1 sorts *before* 10.0.0.1 (their distance exceeds 2^31).
 * That is reproduced here. With real servers more than 2^31 apart within one service that comparison is not even
 * transitive, so the deploy engine should compare the lines as a set.
 */
export function ipvsadmLines(services: VirtualService[]): string[] {
  const out: string[] = []
  for (const vs of [...services].sort(compareServices)) {
    const svc = `${vs.protocol === 'TCP' ? '-t' : '-u'} ${vs.vip}:${vs.port}`
    let line = `-A ${svc} -s ${vs.scheduler}`
    if (vs.persistenceTimeout !== undefined) {
      line += ` -p ${vs.persistenceTimeout}`
      // ipvsadm prints the granularity only when it is not the default /32.
      if (vs.persistenceGranularity && vs.persistenceGranularity !== '255.255.255.255') line += ` -M ${vs.persistenceGranularity}`
    }
    out.push(line)
    const fwd = vs.forwarding === 'DR' ? '-g' : vs.forwarding === 'NAT' ? '-m' : '-i'
    for (const rs of [...vs.realServers].sort((a, b) => compareAddr(a.address, b.address) || a.port - b.port)) {
      out.push(`-a ${svc} -r ${rs.address}:${rs.port} ${fwd} -w ${rs.weight}`)
    }
  }
  return out
}

const PROTO = {TCP: 6, UDP: 17} as const

function compareServices(a: VirtualService, b: VirtualService): number {
  return PROTO[a.protocol] - PROTO[b.protocol] || compareAddr(a.vip, b.vip) || a.port - b.port
}

function toUint32(addr: string): number {
  return addr.split('.').reduce((n, o) => n * 256 + Number(o), 0)
}

/** C's `(int)(ntohl(a) - ntohl(b))`. */
function compareAddr(a: string, b: string): number {
  return (toUint32(a) - toUint32(b)) | 0
}
