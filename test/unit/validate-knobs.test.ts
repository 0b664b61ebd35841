/**
 * What validate refuses in the knobs of issue 16 — each a setting keepalived or HAProxy would silently not apply
 * (or refuse), reported at its line with how to fix it.
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import {InventoryError, problemText} from '../../src/inventory/index.js'
import {load, SHOP, SHOP_VIP, shopHaproxy} from '../helpers/shop.js'

function problems(yaml: string): string {
  try {
    load(yaml)
  } catch (e) {
    assert.ok(e instanceof InventoryError, String(e))
    return e.problems.map(problemText).join('\n')
  }
  assert.fail('the inventory loaded')
}

const TWO = `${SHOP}vrrp_instances:
  VI_1: {virtual_router_id: 51, vips: [10.0.0.100/24], sync_group: G_WEB}
  VI_2: {virtual_router_id: 52, vips: [10.0.0.101/24], sync_group: G_WEB}
`

test('settings of a sync group no instance joins: keepalived would never see them', () => {
  assert.equal(
    problems(`${TWO}vrrp_sync_groups:\n  G_APP: {notify: {fault: /usr/local/sbin/page G_APP}}\n`),
    `shop.yaml:11:3: vrrp_sync_groups.G_APP: no instance has sync_group: G_APP, so keepalived would never see these settings
    fix: use one of the groups the instances join (G_WEB), or add sync_group: G_APP to the instances that move together`,
  )
})

test('a sync group\'s smtp_alert without notifications.email: keepalived would have no one to mail', () => {
  assert.equal(
    problems(`${TWO}vrrp_sync_groups:\n  G_WEB: {smtp_alert: true}\n`),
    `shop.yaml:11:23: vrrp_sync_groups.G_WEB.smtp_alert: is on, but notifications.email is not set: keepalived would have no one to mail
    fix: add notifications.email.to: [ops@example.com] (and smtp_server if not 127.0.0.1), or remove smtp_alert`,
  )
})

test('an advert source that is a VIP, another host\'s address, or shared by two directors', () => {
  const yaml = `name: shop
directors:
  lb1: {address: 10.0.0.11, priority: 101, mcast_src_ip: 10.0.0.100}
  lb2: {address: 10.0.0.12, priority: 100, mcast_src_ip: 10.0.0.21}
real_servers:
  web1: {address: 10.0.0.21}
vrrp_instances:
  VI_1:
    virtual_router_id: 51
    vips: [10.0.0.100/24]
  VI_2:
    virtual_router_id: 52
    vips: [10.0.0.101/24]
    directors:
      lb1: {mcast_src_ip: 10.1.0.11}
      lb2: {mcast_src_ip: 10.1.0.11}
`
  assert.equal(
    problems(yaml),
    `shop.yaml:3:58: directors.lb1.mcast_src_ip: 10.0.0.100 is a VIP of vrrp_instances.VI_1: a backup does not hold it, so it could not send from it
    fix: use lb1's own address on the link VI_1 runs on (eth0)
shop.yaml:4:58: directors.lb2.mcast_src_ip: 10.0.0.21 is the address of real server web1: the other routers would take lb2's adverts for web1's
    fix: use lb2's own address on the link VI_1 runs on (eth0)
shop.yaml:16:27: vrrp_instances.VI_2.directors.lb2.mcast_src_ip: 10.1.0.11 is also lb1's advert source in VI_2: VRRP tells the routers apart by the source address
    fix: use lb2's own address on the link VI_2 runs on (eth0)`,
  )
})

test('a server\'s own check timing when its checks are off: HAProxy ignores it without a word', () => {
  assert.equal(
    problems(`${SHOP_VIP}${shopHaproxy('[{name: web1, check: false, inter: 3s, fall: 2}]')}`),
    `shop.yaml:13:48: haproxy.backends.web.servers[0].inter: is set, but check: false: HAProxy does not check web1, and ignores its check settings without a word
    fix: remove inter, or the check: false
shop.yaml:13:59: haproxy.backends.web.servers[0].fall: is set, but check: false: HAProxy does not check web1, and ignores its check settings without a word
    fix: remove fall, or the check: false`,
  )
})

test('a pidfile outside systemd mode: in direct mode it is lbctl\'s, and auto may choose direct', () => {
  const withPidfile = `${SHOP_VIP}${shopHaproxy().replace('haproxy:\n', 'haproxy:\n  global: {pidfile: /var/run/haproxy.pid}\n')}`
  assert.equal(
    problems(withPidfile),
    `shop.yaml:10:21: haproxy.global.pidfile: is only yours under systemd, and deploy.service_manager is auto: on a host without systemd lbctl runs HAProxy itself, with its own -p /run/haproxy.pid
    fix: set deploy.service_manager: systemd, or remove pidfile`,
  )
  assert.equal(
    problems(`${withPidfile}deploy: {service_manager: direct}\n`),
    `shop.yaml:10:21: haproxy.global.pidfile: is lbctl's in direct mode: it starts HAProxy with -p /run/haproxy.pid and signals that pid to reload and stop it
    fix: remove pidfile`,
  )
  assert.doesNotThrow(() => load(`${withPidfile}deploy: {service_manager: systemd}\n`))
})

test('a defaults log line follows the global log grammar, or says global', () => {
  const yaml = `${SHOP_VIP}${shopHaproxy().replace('haproxy:\n', 'haproxy:\n  defaults: {log: [global, "127.0.0.1 local9"]}\n')}`
  assert.equal(
    problems(yaml),
    `shop.yaml:10:28: haproxy.defaults.log[1]: has "local9", which is not a syslog facility
    fix: use one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, auth2, ftp, ntp, audit, alert, cron2, local0, local1, local2, local3, local4, local5, local6, local7; or global, for the global section's targets`,
  )
})
