import assert from 'node:assert/strict'
import {test} from 'node:test'
import {problemsOf} from './validate-helpers.js'

// VRRP: VRIDs, elections, initial states, authentication, advert intervals, tracked scripts.
// Each fixture under test/fixtures/broken/ is a small realistic inventory with one mistake (a few have several, to
// show that every problem is reported in one run). The expected text is exactly what `lbctl validate` prints.

test('two instances with one VRID on the same interface clash', () => {
  assert.equal(
    problemsOf('08-vrid-duplicate.yaml'),
    `test/fixtures/broken/08-vrid-duplicate.yaml:12:24: vrrp_instances.VI_443.virtual_router_id: 51 is also the VRID of vrrp_instances.VI_80, and both run on lb1's eth0: VRRP tells routers on a segment apart only by VRID, so each would take the other's adverts as its own
    fix: use a VRID no other instance on that segment uses, e.g. 52`,
  )
})

test('the named master must outrank every other member, and the message says by how much', () => {
  assert.equal(
    problemsOf('09-master-not-highest.yaml'),
    `test/fixtures/broken/09-master-not-highest.yaml:3:39: directors.lb1.priority: lb1 is meant to be MASTER of VI_1 (vrrp_instances.VI_1.master), but lb2 outranks it: priority 110 vs 100, 10 higher, and VRRP elects the highest priority
    fix: give lb1 a priority above 110 (directors.lb1.priority: 111), or lower lb2's priority below 100 (directors.lb2.priority)`,
  )
})

test('a tie at the top priority without a named master is ambiguous', () => {
  assert.equal(
    problemsOf('10-priority-tie.yaml'),
    `test/fixtures/broken/10-priority-tie.yaml:4:39: directors.lb2.priority: lb2 and lb1 tie at priority 100 in VI_1 and no master is named: VRRP then elects the higher primary address, so the master is an accident of addressing
    fix: give the intended master a higher priority, or name it with vrrp_instances.VI_1.master`,
  )
})

test('nopreempt with an explicit state MASTER is refused (keepalived would drop nopreempt)', () => {
  assert.equal(
    problemsOf('11-nopreempt-master.yaml'),
    `test/fixtures/broken/11-nopreempt-master.yaml:4:51: directors.lb1.state: lb1 starts VI_1 as MASTER, but VI_1 sets nopreempt: keepalived ignores nopreempt on an instance that starts as MASTER ("nopreempt will not work with initial state MASTER"), so lb1 would preempt anyway
    fix: remove state: under nopreempt lbctl starts every director as BACKUP, and the highest priority still wins the first election`,
  )
})

test('preempt_delay with state MASTER, and two directors starting as MASTER', () => {
  assert.equal(
    problemsOf('42-preempt-delay-master.yaml'),
    `test/fixtures/broken/42-preempt-delay-master.yaml:11:20: vrrp_instances.VI_1.directors.lb1.state: lb1 starts VI_1 as MASTER, but keepalived ignores preempt_delay on an instance that starts as MASTER ("preempt delay will not work with initial state MASTER"), so lb1 would take the VIPs back without the 30 s delay
    fix: remove state here; to choose the master use vrrp_instances.VI_1.master or a higher priority
test/fixtures/broken/42-preempt-delay-master.yaml:12:20: vrrp_instances.VI_1.directors.lb2.state: lb2 starts VI_1 as MASTER, and so does lb1 (vrrp_instances.VI_1.directors.lb1.state): both would claim the VIPs at start-up until their adverts settle it
    fix: remove state here: lbctl starts the intended master as MASTER and every other director as BACKUP
test/fixtures/broken/42-preempt-delay-master.yaml:12:20: vrrp_instances.VI_1.directors.lb2.state: lb2 starts VI_1 as MASTER, but keepalived ignores preempt_delay on an instance that starts as MASTER ("preempt delay will not work with initial state MASTER"), so lb2 would take the VIPs back without the 30 s delay
    fix: remove state here; to choose the master use vrrp_instances.VI_1.master or a higher priority`,
  )
})

test('auth_pass longer than 8 characters is refused (keepalived truncates it)', () => {
  assert.equal(
    problemsOf('12-auth-pass-9.yaml'),
    `test/fixtures/broken/12-auth-pass-9.yaml:9:16: vrrp_instances.VI_1.auth_pass: is 9 characters long, but VRRP carries 8: keepalived keeps only the first 8 ("Truncating auth_pass to 8 characters"), so any password sharing them would be accepted
    fix: use a password of at most 8 characters`,
  )
})

test('VRRPv3 has no authentication; v2 advert_int is whole seconds; v3 counts hundredths', () => {
  assert.equal(
    problemsOf('36-vrrp-v3-auth-advert.yaml'),
    `test/fixtures/broken/36-vrrp-v3-auth-advert.yaml:10:17: vrrp_instances.VI_1.advert_int: 0.125 has more than two decimals: VRRP version 3 counts the interval in hundredths of a second (RFC 5798), so keepalived would round it
    fix: use at most two decimals, like 0.25
test/fixtures/broken/36-vrrp-v3-auth-advert.yaml:11:16: vrrp_instances.VI_1.auth_pass: VRRP version 3 has no authentication (RFC 5798 defines none): keepalived ignores it ("VRRP version 3 does not support authentication")
    fix: remove auth_pass and auth_type, or use version: 2
test/fixtures/broken/36-vrrp-v3-auth-advert.yaml:15:17: vrrp_instances.VI_2.advert_int: 0.5 is not a whole number of seconds: VRRP version 2 carries the interval in whole seconds, so keepalived would round it
    fix: use a whole number like 1, or set version: 3 for intervals in hundredths of a second
test/fixtures/broken/36-vrrp-v3-auth-advert.yaml:16:16: vrrp_instances.VI_2.auth_type: is set without auth_pass: keepalived ignores the authentication ("Authentication specified but no password given")
    fix: add auth_pass (at most 8 characters, e.g. "\${env:VRRP_PASS}"), or remove auth_type`,
  )
})

test('a tracked vrrp_script that is not defined', () => {
  assert.equal(
    problemsOf('20-unknown-track-script.yaml'),
    `test/fixtures/broken/20-unknown-track-script.yaml:11:34: vrrp_instances.VI_1.track_scripts[1]: vrrp_script "chk_nginx" is not defined
    fix: define it under vrrp_scripts (defined: chk_haproxy)`,
  )
})

test('a script weight too small to move the VIP shows the arithmetic', () => {
  assert.equal(
    problemsOf('29-weight-too-small.yaml'),
    `test/fixtures/broken/29-weight-too-small.yaml:9:77: vrrp_scripts.chk_haproxy.weight: chk_haproxy weight -2 lowers lb1 from 101 to 99 in VI_1 when it fails, still above lb2's 98: the VIPs would stay on the failed director
    fix: use weight -4 or lower (more than the 3-point gap between lb1 and lb2), or no weight at all (FAULT on failure)`,
  )
})

test('a weighted script under nopreempt never moves the VIP', () => {
  assert.equal(
    problemsOf('35-nopreempt-weight.yaml'),
    `test/fixtures/broken/35-nopreempt-weight.yaml:7:43: vrrp_scripts.chk_haproxy.weight: chk_haproxy has weight -20, but VI_1 sets nopreempt: a backup never takes over from a running master, whatever the priorities, so a failing chk_haproxy would leave the VIPs on lb1
    fix: remove weight (a failing script then puts the instance in FAULT and the VIPs move), or remove nopreempt from vrrp_instances.VI_1`,
  )
})

test('a vrrp_script says exactly one thing to check', () => {
  assert.equal(
    problemsOf('32-vrrp-script-two-kinds.yaml'),
    `test/fixtures/broken/32-vrrp-script-two-kinds.yaml:7:5: vrrp_scripts.chk_haproxy.process: is set together with script: a vrrp_script checks exactly one thing, and lbctl would silently use only one of them
    fix: keep one of script and process, and move the other into a vrrp_script of its own
test/fixtures/broken/32-vrrp-script-two-kinds.yaml:9:3: vrrp_scripts.chk_maint: says nothing to check
    fix: give exactly one of script (a command), process (a process name), down_file (a maintenance file) or restart_haproxy: true`,
  )
})

test('smtp_alert without notifications.email', () => {
  assert.equal(
    problemsOf('30-smtp-alert-no-email.yaml'),
    `test/fixtures/broken/30-smtp-alert-no-email.yaml:9:17: vrrp_instances.VI_1.smtp_alert: is on, but notifications.email is not set: keepalived would have no one to mail
    fix: add notifications.email.to: [ops@example.com] (and smtp_server if not 127.0.0.1), or remove smtp_alert`,
  )
})

