/**
 * What `lbctl render` produces for the example inventories: byte-for-byte goldens, determinism, and the
 * behaviour an operator reads in the files (who is MASTER, which sysctls, which IPVS rules).
 *
 * UPDATE_GOLDEN=1 node --import tsx --test test/unit/render.test.ts   rewrites test/golden/ from the current output.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import YAML from 'yaml'
import {loadInventory, loadInventoryText, type Cluster} from '../../src/inventory/index.js'
import {renderCluster, renderHost, type RenderedFile} from '../../src/render/index.js'
import {PATHS} from '../../src/render/paths.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const GOLDEN = join(ROOT, 'test', 'golden')
// The secrets the examples read from the environment. The VRRP one has a "#", which keepalived would cut an unquoted
// password at; the stats one has a space, which HAProxy would split an unquoted word at.
const ENV = {LBCTL_VRRP_PASS: 'k33p#l1v', LBCTL_STATS_PASS: 'st4ts s3cret!'}

const EXAMPLES = [
  'inventories/prod.yaml',
  ...readdirSync(join(ROOT, 'inventories', 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => `inventories/examples/${f}`),
]

function load(rel: string): Cluster {
  return loadInventory(join(ROOT, rel), {cwd: ROOT, env: ENV}).cluster
}

/** An example inventory with a change applied to its YAML, loaded as if it were a file next to the original. */
function variant(rel: string, change: (doc: Record<string, any>) => void): Cluster {
  const doc = YAML.parse(readFileSync(join(ROOT, rel), 'utf8')) as Record<string, any>
  change(doc)
  return loadInventoryText(YAML.stringify(doc), join(ROOT, rel), {cwd: ROOT, env: ENV}).cluster
}

function file(files: RenderedFile[], path: string): RenderedFile {
  const f = files.find((x) => x.path === path)
  assert.ok(f, `expected ${path} among ${files.map((x) => x.path).join(', ')}`)
  return f
}

/** The lines of one `vrrp_instance NAME { … }` block. */
function instanceBlock(conf: string, name: string): string {
  const start = conf.indexOf(`vrrp_instance ${name} {`)
  assert.ok(start >= 0, `no vrrp_instance ${name} in:\n${conf}`)
  return conf.slice(start, conf.indexOf('\n}\n', start) + 2)
}

const goldenName = (path: string) => path.replace(/\//g, '_')

describe('example inventories render to the golden files', () => {
  for (const rel of EXAMPLES) {
    const example = basename(rel, '.yaml')
    it(`${example}: every host's files match test/golden/${example}/`, () => {
      const rendered = renderCluster(load(rel))
      assert.ok(rendered.length > 0)
      const exampleDir = join(GOLDEN, example)
      if (process.env.UPDATE_GOLDEN) rmSync(exampleDir, {recursive: true, force: true})
      for (const {host, files} of rendered) {
        const dir = join(exampleDir, host)
        const manifest = `${JSON.stringify(files.map(({content: _c, mode, ...meta}) => ({...meta, mode: `0${mode.toString(8)}`})), null, 2)}\n`
        if (process.env.UPDATE_GOLDEN) {
          mkdirSync(dir, {recursive: true})
          for (const f of files) writeFileSync(join(dir, goldenName(f.path)), f.content)
          writeFileSync(join(dir, 'manifest.json'), manifest)
          continue
        }
        assert.ok(existsSync(dir), `no golden files for ${example}/${host}: run with UPDATE_GOLDEN=1`)
        assert.equal(manifest, readFileSync(join(dir, 'manifest.json'), 'utf8'), `${example}/${host}: file list, modes or kinds changed`)
        for (const f of files) {
          assert.equal(f.content, readFileSync(join(dir, goldenName(f.path)), 'utf8'), `${example}/${host}${f.path} differs from its golden file`)
        }
        const expected = new Set([...files.map((f) => goldenName(f.path)), 'manifest.json'])
        const stale = readdirSync(dir).filter((n) => !expected.has(n))
        assert.deepEqual(stale, [], `${example}/${host}: golden files no longer rendered`)
      }
      if (!process.env.UPDATE_GOLDEN) {
        const hosts = readdirSync(exampleDir).sort()
        assert.deepEqual(hosts, rendered.map((r) => r.host).sort(), `${example}: golden hosts differ from rendered hosts`)
      }
    })
  }
})

describe('rendering is deterministic and self-describing', () => {
  it('renders the same bytes twice, and again from a fresh load', () => {
    for (const rel of EXAMPLES) {
      const a = JSON.stringify(renderCluster(load(rel)))
      assert.equal(JSON.stringify(renderCluster(load(rel))), a, rel)
    }
  })

  it('starts every file with the lbctl comment (after the shebang), except the comment-less ipvsadm rules', () => {
    for (const rel of EXAMPLES) {
      const cluster = load(rel)
      const header = `# Managed by lbctl (inventory "${cluster.name}") — local edits are overwritten by lbctl deploy.`
      for (const {host, files} of renderCluster(cluster)) {
        for (const f of files) {
          const lines = f.content.split('\n')
          if (f.kind === 'ipvsadm') {
            assert.ok(lines[0]!.startsWith('-A '), `${host}${f.path}: ${lines[0]}`)
            continue
          }
          const first = f.kind === 'script' ? (assert.equal(lines[0], '#!/bin/sh', `${host}${f.path}`), lines[1]) : lines[0]
          assert.equal(first, header, `${host}${f.path}`)
          assert.ok(f.content.endsWith('\n') && !f.content.endsWith('\n\n'), `${host}${f.path}: one final newline`)
        }
      }
    }
  })

  it('contains no timestamp or inventory hash', () => {
    for (const rel of EXAMPLES) {
      const cluster = load(rel)
      for (const {files} of renderCluster(cluster)) {
        for (const f of files) {
          assert.ok(!f.content.includes(cluster.hash), f.path)
          assert.doesNotMatch(f.content, /20\d\d-\d\d-\d\d/, f.path)
        }
      }
    }
  })

  it('makes scripts 0755, secret-bearing configs 0600 and the rest 0644', () => {
    const files = renderHost(load('inventories/examples/t1-haproxy.yaml'), 'lb1')
    assert.equal(file(files, PATHS.notifyScript).mode, 0o755)
    assert.equal(file(files, PATHS.keepalivedConf).mode, 0o600) // auth_pass
    assert.equal(file(files, PATHS.haproxyCfg).mode, 0o600) // stats auth
    assert.equal(file(files, PATHS.directorSysctl).mode, 0o644)
  })

  it('refuses a host that is not in the inventory, and renders nothing for an unmanaged real server', () => {
    const cluster = load('inventories/examples/t1-haproxy.yaml')
    assert.throws(() => renderHost(cluster, 'lb9'), /host "lb9" is not in inventory "t1-haproxy" \(hosts: lb1, lb2, web1, web2\)/)
    assert.deepEqual(renderHost(cluster, 'web1'), [])
    assert.deepEqual(renderCluster(cluster).map((r) => r.host), ['lb1', 'lb2'])
  })
})

describe('T1 keepalived + HAProxy', () => {
  const cluster = load('inventories/examples/t1-haproxy.yaml')

  it('makes lb1 MASTER with priority 101 and lb2 BACKUP with priority 100', () => {
    const lb1 = instanceBlock(file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content, 'VI_1')
    const lb2 = instanceBlock(file(renderHost(cluster, 'lb2'), PATHS.keepalivedConf).content, 'VI_1')
    assert.match(lb1, /\n {4}state MASTER\n/)
    assert.match(lb1, /\n {4}priority 101\n/)
    assert.match(lb2, /\n {4}state BACKUP\n/)
    assert.match(lb2, /\n {4}priority 100\n/)
  })

  it('with nopreempt starts both directors BACKUP, keeping their priorities', () => {
    // Under nopreempt a failing check must put the instance in FAULT (no weight) for the VIP to move at all.
    const np = variant('inventories/examples/t1-haproxy.yaml', (d) => {
      d.vrrp_instances.VI_1.nopreempt = true
      for (const s of Object.values(d.vrrp_scripts) as {weight?: number}[]) delete s.weight
    })
    for (const [host, prio] of [['lb1', 101], ['lb2', 100]] as const) {
      const block = instanceBlock(file(renderHost(np, host), PATHS.keepalivedConf).content, 'VI_1')
      assert.match(block, /\n {4}state BACKUP\n/, host)
      assert.match(block, new RegExp(`\\n {4}priority ${prio}\\n`), host)
      assert.match(block, /\n {4}nopreempt\n/, host)
    }
  })

  it('tracks chk_haproxy as the seeds write it: killall -0 haproxy, weight -20, fall 2, rise 1', () => {
    const conf = file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content
    assert.match(conf, /vrrp_script chk_haproxy \{\n {4}script "\/usr\/bin\/killall -0 haproxy"\n {4}interval 2\n {4}weight -20\n {4}fall 2\n {4}rise 1\n\}/)
  })

  it('writes the authentication block on several lines with the password quoted', () => {
    const conf = file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content
    assert.ok(conf.includes('    authentication {\n        auth_type PASS\n        auth_pass "k33p#l1v"\n    }\n'), conf)
  })

  it('keeps an instance\'s own notify script by calling it from lbctl\'s (keepalived takes one `notify`)', () => {
    const own = variant('inventories/examples/t1-haproxy.yaml', (d) => (d.vrrp_instances.VI_1.notify = {any: '/usr/local/bin/page-oncall', master: '/usr/local/bin/on-master'}))
    const files = renderHost(own, 'lb1')
    const block = instanceBlock(file(files, PATHS.keepalivedConf).content, 'VI_1')
    assert.deepEqual(block.split('\n').filter((l) => /^\s*notify/.test(l)), ['    notify_master "/usr/local/bin/on-master"', '    notify "/etc/keepalived/lbctl-notify.sh"'])
    assert.ok(file(files, PATHS.notifyScript).content.includes('case "$name" in\n    VI_1) /usr/local/bin/page-oncall "$@" ;;\nesac\n'))
  })

  it('never gets a vrrp_script command keepalived cannot quote: validate refuses it at its line', () => {
    assert.throws(
      () =>
        variant('inventories/examples/t1-haproxy.yaml', (d) => {
          d.vrrp_scripts.chk_custom = {script: '/usr/bin/test "$(date)"', interval: 2}
          d.vrrp_instances.VI_1.track_scripts.push('chk_custom')
        }),
      {name: 'InventoryError', message: /t1-haproxy\.yaml:\d+:\d+: vrrp_scripts\.chk_custom\.script: contains a double quote/},
    )
  })

  it('calls an instance\'s own notify script with the arguments written after it, each a shell word', () => {
    const own = variant('inventories/examples/t1-haproxy.yaml', (d) => (d.vrrp_instances.VI_1.notify = {any: "/usr/local/bin/page-oncall --team 'web ops'"}))
    assert.ok(file(renderHost(own, 'lb1'), PATHS.notifyScript).content.includes("case \"$name\" in\n    VI_1) /usr/local/bin/page-oncall --team 'web ops' \"$@\" ;;\nesac\n"))
  })

  it('installs the notify script and points every instance at it', () => {
    const files = renderHost(cluster, 'lb2')
    assert.match(file(files, PATHS.keepalivedConf).content, /\n {4}notify "\/etc\/keepalived\/lbctl-notify\.sh"\n/)
    const notify = file(files, PATHS.notifyScript).content
    assert.ok(notify.includes('log "lbctl-notify: $name $state prio $prio"'))
    assert.ok(notify.includes('sendmail -t'))
  })
})

describe('T2 LVS-DR', () => {
  const cluster = load('inventories/examples/t2-lvs-dr.yaml')

  it('writes the IPVS table as `ipvsadm -Sn` prints it', () => {
    assert.equal(
      file(renderHost(cluster, 'lvs1'), PATHS.ipvsadmRules).content,
      [
        '-A -t 192.0.2.100:80 -s wrr -p 600',
        '-a -t 192.0.2.100:80 -r 192.0.2.21:80 -g -w 1',
        '-a -t 192.0.2.100:80 -r 192.0.2.22:80 -g -w 2',
        '-A -t 192.0.2.100:443 -s wlc -p 600 -M 255.255.255.0',
        '-a -t 192.0.2.100:443 -r 192.0.2.21:443 -g -w 1',
        '-a -t 192.0.2.100:443 -r 192.0.2.22:443 -g -w 2',
        '-A -t 192.0.2.100:8443 -s rr',
        '-a -t 192.0.2.100:8443 -r 192.0.2.21:8443 -g -w 1',
        '',
      ].join('\n'),
    )
  })

  it('renders the virtual_server with HTTP_GET, retry (not nb_get_retry) and the sorry server', () => {
    const conf = file(renderHost(cluster, 'lvs2'), PATHS.keepalivedConf).content
    assert.ok(conf.includes('virtual_server 192.0.2.100 80 {\n    delay_loop 6\n    lb_algo wrr\n    lb_kind DR\n    persistence_timeout 600\n    protocol TCP\n    sorry_server 127.0.0.1 80\n'), conf)
    assert.ok(conf.includes('        HTTP_GET {\n            url {\n                path "/health"\n                status_code 200\n            }\n            connect_timeout 3\n            retry 3\n            delay_before_retry 3\n        }'))
    assert.doesNotMatch(conf, /nb_get_retry/)
  })

  it('puts the VIP on lo as /32 only after the ARP sysctls are set', () => {
    const script = file(renderHost(cluster, 'rs1'), PATHS.realServerScript).content
    const start = script.slice(script.indexOf('start() {'), script.indexOf('\n}\n', script.indexOf('start() {')))
    const addVip = start.indexOf('ip addr replace 192.0.2.100/32 dev lo label lo:0')
    assert.ok(addVip > 0, start)
    for (const knob of ['lo/arp_ignore 1', 'lo/arp_announce 2', 'all/arp_ignore 1', 'all/arp_announce 2', 'eth0/arp_ignore 1', 'eth0/arp_announce 2']) {
      const at = start.indexOf(`set_knob /proc/sys/net/ipv4/conf/${knob}`)
      assert.ok(at > 0 && at < addVip, `${knob} must be set before the VIP is added`)
    }
    assert.doesNotMatch(script, /^\s*(ifconfig|route)\b/m)
  })

  it('removes the VIPs before restoring the sysctls on stop', () => {
    const script = file(renderHost(cluster, 'rs1'), PATHS.realServerScript).content
    const stop = script.slice(script.indexOf('stop() {'), script.indexOf('\n}\n', script.indexOf('stop() {')))
    assert.ok(stop.indexOf('ip addr del 192.0.2.100/32 dev lo') < stop.indexOf('set_knob /proc/sys/net/ipv4/conf/lo/arp_ignore 0'))
  })

  it('persists the sysctls, with the VLAN interface written eth0/100 in sysctl.d and eth0.100 in /proc', () => {
    const files = renderHost(cluster, 'rs2')
    assert.equal(
      file(files, PATHS.realServerSysctl).content.split('\n').filter((l) => l.startsWith('net.')).join('\n'),
      ['net.ipv4.conf.lo.arp_ignore = 1', 'net.ipv4.conf.lo.arp_announce = 2', 'net.ipv4.conf.eth0/100.arp_ignore = 1', 'net.ipv4.conf.eth0/100.arp_announce = 2'].join('\n'),
    )
    assert.ok(file(files, PATHS.realServerScript).content.includes('set_knob /proc/sys/net/ipv4/conf/eth0.100/arp_ignore 1'))
    const unit = file(files, PATHS.realServerUnit).content
    assert.match(unit, /\nType=oneshot\nRemainAfterExit=yes\nExecStart=\/etc\/lbctl\/realserver\.sh start\nExecStop=\/etc\/lbctl\/realserver\.sh stop\n/)
  })

  it('makes the ARP scope configurable: [lo, interface] renders no "all" sysctl', () => {
    const files = renderHost(cluster, 'rs2') // arp_scope: [lo, interface]
    for (const f of files) assert.doesNotMatch(f.content, /conf[./]all[./]arp/, f.path)
    const lo = variant('inventories/examples/t2-lvs-dr.yaml', (d) => (d.real_servers.rs1.arp_scope = ['all']))
    const sysctl = file(renderHost(lo, 'rs1'), PATHS.realServerSysctl).content
    assert.deepEqual(sysctl.split('\n').filter((l) => l.startsWith('net.')), ['net.ipv4.conf.all.arp_ignore = 1', 'net.ipv4.conf.all.arp_announce = 2'])
  })

  it('turns GRO and LRO off at boot on the interfaces LVS uses', () => {
    const files = renderHost(cluster, 'lvs1')
    const tuning = file(files, PATHS.tuningScript).content
    assert.ok(tuning.includes('tune eth0 gro generic-receive-offload off\ntune eth0 lro large-receive-offload off\n'))
    const unit = file(files, PATHS.tuningUnit).content
    assert.match(unit, /After=network-online\.target/)
    assert.match(unit, /WantedBy=multi-user\.target/)
    assert.match(unit, /ExecStart=\/etc\/lbctl\/tuning\.sh/)
  })
})

describe('T3 active-active', () => {
  const cluster = load('inventories/examples/t3-active-active.yaml')

  it('crosses MASTER and BACKUP between the two instances', () => {
    const lb1 = file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content
    const lb2 = file(renderHost(cluster, 'lb2'), PATHS.keepalivedConf).content
    assert.match(instanceBlock(lb1, 'VI_1'), /state MASTER\n {4}interface eth1\n {4}virtual_router_id 51\n {4}priority 100\n/)
    assert.match(instanceBlock(lb1, 'VI_2'), /state BACKUP\n {4}interface eth1\n {4}virtual_router_id 52\n {4}priority 98\n/)
    assert.match(instanceBlock(lb2, 'VI_1'), /state BACKUP\n {4}interface eth1\n {4}virtual_router_id 51\n {4}priority 98\n/)
    assert.match(instanceBlock(lb2, 'VI_2'), /state MASTER\n {4}interface eth1\n {4}virtual_router_id 52\n {4}priority 100\n/)
  })

  it('puts both VIPs on every real server\'s lo', () => {
    const script = file(renderHost(cluster, 'rs2'), PATHS.realServerScript).content
    assert.ok(script.includes('ip addr replace 198.51.100.100/32 dev lo label lo:0'))
    assert.ok(script.includes('ip addr replace 198.51.100.101/32 dev lo label lo:1'))
  })

  it('tracks a script with a per-instance weight', () => {
    assert.match(instanceBlock(file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content, 'VI_2'), /track_script \{\n {8}chk_down weight -5\n {4}\}/)
  })

  it('expects any 2xx from an HTTP_GET check without a status_code, as keepalived does: a 204 health page is up', () => {
    assert.ok(file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content.includes('            url {\n                path "/"\n                status_code 200-299\n            }\n'))
  })
})

describe('T4 LVS-NAT', () => {
  const cluster = load('inventories/examples/t4-lvs-nat.yaml')

  it('floats the VIP on eth0 and the DIP on eth1 in one instance', () => {
    const block = instanceBlock(file(renderHost(cluster, 'lvs2'), PATHS.keepalivedConf).content, 'VI_1')
    assert.match(block, /virtual_ipaddress \{\n {8}203\.0\.113\.100\/24 dev eth0\n {8}10\.10\.0\.1\/24 dev eth1\n {4}\}/)
    assert.match(block, /virtual_routes \{\n {8}to 10\.30\.0\.0\/16 via 10\.10\.0\.254 dev eth1\n {4}\}/)
    assert.match(block, /track_interface \{\n {8}eth0\n {4}\}/)
  })

  it('sends adverts over the inside link, from each director\'s own inside address', () => {
    for (const [host, own] of [['lvs1', '10.10.0.11'], ['lvs2', '10.10.0.12']]) {
      const block = instanceBlock(file(renderHost(cluster, host!), PATHS.keepalivedConf).content, 'VI_1')
      assert.match(block, new RegExp(`\\n {4}interface eth1\\n(.*\\n)* {4}mcast_src_ip ${own!.replace(/\./g, '\\.')}\\n {4}virtual_ipaddress`))
    }
  })

  it('forwards on the directors and masquerades in IPVS (TCP services before UDP)', () => {
    const files = renderHost(cluster, 'lvs1')
    assert.match(file(files, PATHS.directorSysctl).content, /\nnet\.ipv4\.ip_forward = 1\n/)
    assert.equal(
      file(files, PATHS.ipvsadmRules).content,
      [
        '-A -t 203.0.113.100:80 -s wrr -p 100',
        '-a -t 203.0.113.100:80 -r 10.10.0.21:80 -m -w 1',
        '-a -t 203.0.113.100:80 -r 10.10.0.22:80 -m -w 2',
        '-A -u 203.0.113.100:53 -s rr',
        '-a -u 203.0.113.100:53 -r 10.10.0.21:53 -m -w 1',
        '-a -u 203.0.113.100:53 -r 10.10.0.22:53 -m -w 2',
        '',
      ].join('\n'),
    )
  })

  it('routes the real servers through the DIP, without a VIP on lo', () => {
    const files = renderHost(cluster, 'rs1')
    const script = file(files, PATHS.realServerScript).content
    assert.ok(script.includes('ip route replace default via 10.10.0.1'))
    assert.doesNotMatch(script, /dev lo label/)
    assert.ok(!files.some((f) => f.path === PATHS.realServerSysctl), 'NAT needs no ARP sysctls')
  })
})

describe('T5 HAProxy layer 7', () => {
  const cluster = load('inventories/examples/t5-haproxy-l7.yaml')
  const cfg = file(renderHost(cluster, 'lb1'), PATHS.haproxyCfg).content

  it('routes by ACL in the frontend and redirects plain HTTP to HTTPS', () => {
    assert.ok(cfg.includes('    bind :443 ssl crt /etc/haproxy/certs/www.example.com.pem alpn h2,http/1.1\n'))
    assert.ok(cfg.includes('    acl is_shop hdr_beg(host) -i shop.\n'))
    assert.ok(cfg.includes('    http-request redirect scheme https unless { ssl_fc }\n'))
    assert.ok(cfg.includes('    use_backend api if is_api\n    use_backend static if is_static\n    use_backend shop if is_shop\n    default_backend web\n'))
  })

  it('inserts a stickiness cookie and gives every server its own value', () => {
    assert.ok(cfg.includes('    cookie WEBSRV insert indirect nocache\n'))
    assert.ok(cfg.includes('    server web1 10.0.1.21:8080 weight 1 check cookie web1\n'))
    assert.ok(cfg.includes('    server web3 10.0.1.23:8080 weight 1 check cookie web3 backup\n'))
    assert.ok(cfg.includes('    server shop1 10.0.4.21:8080 weight 3 check cookie s1\n'))
  })

  it('uses HAProxy 2.6 health-check syntax', () => {
    assert.ok(cfg.includes('    option httpchk GET /health\n    http-check send hdr Host www.example.com\n    http-check expect status 200\n    default-server inter 3s rise 2 fall 3\n'))
  })

  it('balances the TCP listen by source and logs it as TCP', () => {
    assert.ok(cfg.includes('listen mysql\n    bind :3306\n    mode tcp\n    balance source\n    option tcplog\n'))
  })

  it('protects the stats page, quoting the password, and allows admin actions only behind it', () => {
    assert.ok(cfg.includes("    stats auth 'admin:st4ts s3cret!'\n"))
    assert.ok(cfg.includes('    stats refresh 10s\n    stats admin if TRUE\n'))
    const open = variant('inventories/examples/t5-haproxy-l7.yaml', (d) => delete d.haproxy.stats.auth)
    const openCfg = file(renderHost(open, 'lb1'), PATHS.haproxyCfg).content
    assert.doesNotMatch(openCfg, /stats admin if/)
    assert.doesNotMatch(openCfg, /stats auth/)
  })

  it('keeps the global section, stats socket and default timeouts visible', () => {
    assert.ok(cfg.includes('    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners\n'))
    assert.ok(cfg.includes('defaults\n    mode http\n    log global\n    log 127.0.0.1 local3\n    option httplog\n    option dontlognull\n    option http-server-close\n    option redispatch\n    retries 3\n'))
    assert.ok(cfg.includes('    timeout http-request 10s\n    timeout queue 1m\n    timeout http-keep-alive 10s\n    timeout check 10s\n'))
  })

  it('installs the seed-004 restart script, referenced by the vrrp_script with a timeout above its 3 s wait', () => {
    const files = renderHost(cluster, 'lb2')
    assert.match(file(files, PATHS.keepalivedConf).content, /vrrp_script chk_haproxy \{\n {4}script "\/etc\/keepalived\/lbctl-check-haproxy\.sh"\n(.*\n)*? {4}timeout 10\n/)
    const check = file(files, PATHS.checkHaproxyScript).content
    assert.ok(check.includes('haproxy -W -D -p /run/haproxy.pid -S /run/haproxy-master.sock -f /etc/haproxy/haproxy.cfg'))
    assert.ok(check.includes('kill "$(cat /run/keepalived.pid)"'))
    assert.ok(check.includes('systemctl --no-block stop keepalived'))
  })

  it('logs to two targets, and every proxy to the global ones and a local relay of its own (seeds 002, 004)', () => {
    assert.ok(cfg.includes('global\n    log /dev/log local0 info\n    log 10.0.9.5:514 local1 warning\n'))
    assert.ok(cfg.includes('defaults\n    mode http\n    log global\n    log 127.0.0.1 local3\n'))
  })

  it('writes servers known by name as they are: HAProxy resolves them itself (seed 000: host1:80)', () => {
    assert.ok(cfg.includes('    server img1 img1.cache.example.net:8080 weight 1 check\n    server img2 img2.cache.example.net:8080 weight 1 check\n'))
  })

  it('checks a slower server on its own timing and port, over the backend\'s default-server', () => {
    assert.ok(cfg.includes('    server api1 10.0.2.21:9000 weight 1 check maxconn 200\n    server api2 10.0.2.22:9000 weight 1 check inter 5s rise 3 fall 5 port 9001 maxconn 100\n'))
  })

  it('hands the operator\'s pidfile to haproxy.service under systemd, where -p would win over a pidfile line', () => {
    const dropIn = file(renderHost(cluster, 'lb1'), PATHS.haproxyPidfileDropIn)
    assert.equal(dropIn.kind, 'unit')
    assert.equal(dropIn.service, 'haproxy')
    assert.match(dropIn.content, /\n\[Service\]\nEnvironment=PIDFILE=\/var\/run\/haproxy\.pid\n$/)
    assert.ok(cfg.includes('    # pidfile /var/run/haproxy.pid: haproxy.service passes it as -p (lbctl-pidfile.conf)'))
  })

  it('sends unicast adverts to the peer', () => {
    const block = instanceBlock(file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content, 'VI_1')
    assert.match(block, /unicast_src_ip 10\.0\.0\.11\n {4}unicast_peer \{\n {8}10\.0\.0\.12\n {4}\}/)
  })
})

describe('prod', () => {
  it('groups the public and internal instances in one sync group, both directors BACKUP under nopreempt', () => {
    const cluster = load('inventories/prod.yaml')
    const conf = file(renderHost(cluster, 'lb1'), PATHS.keepalivedConf).content
    assert.ok(conf.includes('vrrp_sync_group G_PROD {\n    group {\n        VI_PUBLIC\n        VI_INTERNAL\n    }\n'))
    assert.match(instanceBlock(conf, 'VI_PUBLIC'), /state BACKUP\n(.*\n)* {4}priority 101\n/)
  })

  it('mails and pages once per move of the whole sync group (seed 002: notify_fault "/path/fault.sh VG_1")', () => {
    const conf = file(renderHost(load('inventories/prod.yaml'), 'lb2'), PATHS.keepalivedConf).content
    assert.ok(conf.includes('        VI_INTERNAL\n    }\n    smtp_alert\n    notify_fault "/usr/local/sbin/page-oncall G_PROD fault"\n}\n'))
  })

  it('keeps the internal instance up through a flap of its own link (dont_track_primary), and only that one', () => {
    const conf = file(renderHost(load('inventories/prod.yaml'), 'lb1'), PATHS.keepalivedConf).content
    assert.match(instanceBlock(conf, 'VI_INTERNAL'), /\n {4}dont_track_primary\n/)
    assert.doesNotMatch(instanceBlock(conf, 'VI_PUBLIC'), /dont_track_primary/)
  })
})
