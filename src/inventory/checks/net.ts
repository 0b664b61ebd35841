/**
 * IPv4 arithmetic for the address checks. Inputs are schema-valid dotted quads, except a host name that did not
 * resolve (already a problem of its own): it is on no subnet, and the checks that would place it skip it.
 */
import {isIPv4} from 'node:net'
import type {Director, VrrpInstance} from '../model.js'

export function ipToInt(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0)
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
}

export function sameNet(a: string, b: string, prefix: number): boolean {
  if (!isIPv4(a) || !isIPv4(b)) return false
  return ((ipToInt(a) & mask(prefix)) >>> 0) === ((ipToInt(b) & mask(prefix)) >>> 0)
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.')
}

/** "10.0.0.0/24" for 10.0.0.100 and 24. */
export function network(address: string, prefix: number): string {
  return `${intToIp((ipToInt(address) & mask(prefix)) >>> 0)}/${prefix}`
}

/** The subnet's broadcast address: 10.0.0.255 for 10.0.0.100 and 24. */
export function broadcast(address: string, prefix: number): string {
  return intToIp(((ipToInt(address) & mask(prefix)) | (~mask(prefix) >>> 0)) >>> 0)
}

/** The longest prefix that holds every address (32 for one address). */
export function commonPrefix(addresses: string[]): number {
  let prefix = 32
  for (const a of addresses) while (prefix > 0 && !sameNet(a, addresses[0]!, prefix)) prefix--
  return prefix
}

/**
 * The L2 segment a VIP says it lives on. A VIP written without a prefix (keepalived's /32) says nothing about the
 * segment, so we fall back to the /24 most inventories use and say so in the message, with how to correct it.
 */
export function segmentOf(vip: {address: string; prefix: number}): {prefix: number; assumed: boolean} {
  return vip.prefix <= 30 ? {prefix: vip.prefix, assumed: false} : {prefix: 24, assumed: true}
}

export interface Segment {
  address: string
  prefix: number
  /** Where it comes from: the instance's `network`, a VIP's prefix, or the directors' own addresses. */
  from: 'network' | 'vip' | 'directors'
}

/**
 * The L2 segment an instance runs on, as well as the inventory says it: its `network` if written; else a VIP's own
 * prefix; else the smallest network holding the directors that run it on their main interface (where their address
 * is) and the VIP — never smaller than /24, the usual LAN. The last is a lower bound: seed 001's directors
 * 172.17.1.6 and 172.17.11.11 with VIP 172.17.100.100 give 172.17.0.0/17, which holds its real servers.
 */
export function instanceSegment(inst: VrrpInstance, directors: Director[], vip = inst.vips[0]!): Segment {
  if (inst.network) return {...inst.network, from: 'network'}
  const explicit = vip.prefix <= 30 ? vip : inst.vips.find((v) => v.prefix <= 30)
  if (explicit) return {address: explicit.address, prefix: explicit.prefix, from: 'vip'}
  const onMain = inst.members
    .map((m) => directors.find((d) => d.name === m.director && d.interface === m.interface)?.address)
    .filter((a): a is string => a !== undefined && isIPv4(a))
  return {address: vip.address, prefix: Math.min(24, commonPrefix([vip.address, ...onMain])), from: 'directors'}
}
