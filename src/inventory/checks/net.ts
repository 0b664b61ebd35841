/** IPv4 arithmetic for the address checks; inputs are already schema-valid dotted quads. */

export function ipToInt(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

export function sameNet(a: string, b: string, prefix: number): boolean {
  return ((ipToInt(a) & mask(prefix)) >>> 0) === ((ipToInt(b) & mask(prefix)) >>> 0)
}

/** "10.0.0.0/24" for 10.0.0.100 and 24. */
export function network(address: string, prefix: number): string {
  const n = (ipToInt(address) & mask(prefix)) >>> 0
  return `${[24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')}/${prefix}`
}

/**
 * The L2 segment a VIP says it lives on. A VIP written without a prefix (keepalived's /32) says nothing about the
 * segment, so we fall back to the /24 most inventories use and say so in the message, with how to correct it.
 */
export function segmentOf(vip: {address: string; prefix: number}): {prefix: number; assumed: boolean} {
  return vip.prefix <= 30 ? {prefix: vip.prefix, assumed: false} : {prefix: 24, assumed: true}
}
