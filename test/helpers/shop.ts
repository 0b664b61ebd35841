/**
 * The small cluster tests write inline: two directors, one web server, and (with SHOP_VIP) one VRRP instance. Tests
 * add the sections they are about, so each inventory shows exactly what is being tested.
 */
import {loadInventoryText, type Cluster} from '../../src/inventory/index.js'

export const SHOP = `name: shop
directors:
  lb1: {address: 10.0.0.11, priority: 101}
  lb2: {address: 10.0.0.12, priority: 100}
real_servers:
  web1: {address: 10.0.0.21}
`

export const SHOP_VIP = `${SHOP}vrrp_instances:
  VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24]}
`

/** HAProxy on :80 in front of `servers`, with `more` added to the web backend's mapping. */
export const shopHaproxy = (servers = '[web1]', more = '') => `haproxy:
  frontends:
    web: {bind: ":80", default_backend: web}
  backends:
    web: {servers: ${servers}${more}}
`

/** Loads `yaml` as shop.yaml, no secrets set; throws InventoryError like validate. */
export function load(yaml: string, env: NodeJS.ProcessEnv = {}): Cluster {
  return loadInventoryText(yaml, 'shop.yaml', {env}).cluster
}
