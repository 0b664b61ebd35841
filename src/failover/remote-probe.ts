/**
 * --from CLIENT: the probes run on a client host, in one Perl process started over SSH for the scenario. It opens a
 * new non-blocking connection per target every interval (whether or not earlier ones answered), times each with the
 * client's clock, and streams one line per probe back on the channel: no process per probe, so a 50-per-second prober
 * does not load the machine it shares with the cluster. Perl and Time::HiRes are part of every Debian/RHEL server
 * install; TLS is not (IO::Socket::SSL is an extra), so HTTPS targets are probed with a TCP connect from there.
 *
 * The client's times move onto the controller's clock with an offset measured by `ping` round trips on the same
 * channel (NTP's assumption: the client read its clock halfway through the best round trip).
 */
import {cmd} from '../shell/index.js'
import type {RemoteProcess, Transport} from '../transport/types.js'
import type {RunClock} from './clock.js'
import type {ProbeOptions, Prober} from './probe.js'
import {okStatus} from './probe.js'
import type {ProbeResult, ProbeTarget} from './types.js'

// Lines out:  P INDEX START_EPOCH_S LATENCY_MS OK DETAIL   (DETAIL: HTTP status, "connected", or an errno name / timeout)
//             H EPOCH_S ID                                 (answer to "ping ID" on stdin)
//             E MESSAGE                                    (it cannot run)
// Any other stdin line, or EOF: no new probes; those in flight finish; then it exits.
// A probe's limit grows by the time this process could not run while it was in flight ($stalled: how late the loop
// woke past its select, at most 10 s), as the controller's prober does (probe.ts stallMeter): on a busy client the
// loop resumes with answers waiting and must not first call them timeouts.
const PROBER = `use strict; use warnings;
use Socket qw(PF_INET SOCK_STREAM SOL_SOCKET SO_ERROR inet_aton pack_sockaddr_in);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use Errno;
BEGIN { eval { require Time::HiRes; Time::HiRes->import('time'); 1 } or do { print "E perl has no Time::HiRes\\n"; exit 3 } }
$| = 1;
my ($iv, $to, $path, $max, @spec) = @ARGV;
my @targets = map { [split /,/] } @spec;
sub errname { my $n = shift; local $! = $n; for (keys %!) { return $_ if $!{$_} } return "errno$n" }
my (%p, $inbuf);
my $open = 1; my $next = time; my $end = time + $max;
my ($stalled, $due) = (0, undef);
sub limit { my $c = $stalled - $_[0]{st}; $to + ($c > 10 ? 10 : $c) }
sub done { my ($fd, $ok, $detail) = @_; my $q = delete $p{$fd};
  printf "P %d %.6f %.3f %d %s\\n", $q->{i}, $q->{start}, (time - $q->{start}) * 1000, $ok, $detail; close $q->{fh} }
sub probe { my ($i) = @_; my ($kind, $host, $port) = @{$targets[$i]}; my $start = time;
  socket(my $fh, PF_INET, SOCK_STREAM, 0) or return printf "P %d %.6f 0 0 %s\\n", $i, $start, errname($! + 0);
  fcntl($fh, F_SETFL, fcntl($fh, F_GETFL, 0) | O_NONBLOCK);
  my $q = {fh => $fh, i => $i, start => $start, st => $stalled, kind => $kind, state => 'connect', buf => ''};
  $p{fileno $fh} = $q;
  if (!connect($fh, pack_sockaddr_in($port, inet_aton($host)))) { done(fileno $fh, 0, errname($! + 0)) unless $!{EINPROGRESS} } }
while (1) {
  my $now = time;
  $stalled += $now - $due if defined $due && $now - $due > 0.02;
  $open = 0 if $now > $end;
  if ($open && $now >= $next) { probe($_) for 0 .. $#targets; $next += $iv; $next = $now + $iv if $next < $now }
  for my $fd (keys %p) { done($fd, 0, 'timeout') if $now - $p{$fd}{start} > limit($p{$fd}) }
  last if !$open && !%p;
  my ($rin, $win) = ('', '');
  vec($rin, 0, 1) = 1 if $open;
  for my $fd (keys %p) { vec($p{$fd}{state} eq 'connect' ? $win : $rin, $fd, 1) = 1 }
  my $wait = $open ? $next - $now : 0.05;
  for my $q (values %p) { my $left = $q->{start} + limit($q) - $now; $wait = $left if $left < $wait }
  $wait = 0 if $wait < 0;
  my ($rout, $wout) = ($rin, $win);
  $due = time + $wait;
  my $ready = select($rout, $wout, undef, $wait);
  # Woken by a socket: the loop is due now, unless the wake itself came late (the process was stopped in select).
  if ($ready > 0) { my $t = time; $due = $t if $t < $due }
  next if $ready <= 0;
  if ($open && vec($rout, 0, 1)) {
    my $n = sysread(STDIN, my $chunk, 4096);
    if (!$n) { $open = 0 } else { $inbuf .= $chunk;
      while ($inbuf =~ s/^([^\\n]*)\\n//) { my $l = $1; if ($l =~ /^ping (\\S+)$/) { printf "H %.6f %s\\n", time, $1 } else { $open = 0 } } } }
  for my $fd (keys %p) { my $q = $p{$fd};
    if ($q->{state} eq 'connect' && vec($wout, $fd, 1)) {
      my $err = unpack('i', getsockopt($q->{fh}, SOL_SOCKET, SO_ERROR));
      if ($err) { done($fd, 0, errname($err)); next }
      if ($q->{kind} ne 'http') { done($fd, 1, 'connected'); next }
      my $host = $targets[$q->{i}][1];
      syswrite($q->{fh}, "GET $path HTTP/1.1\\r\\nHost: $host\\r\\nConnection: close\\r\\nUser-Agent: lbctl-failover-test\\r\\n\\r\\n");
      $q->{state} = 'read';
    } elsif ($q->{state} eq 'read' && vec($rout, $fd, 1)) {
      my $n = sysread($q->{fh}, my $chunk, 65536);
      if (!defined $n) { done($fd, 0, errname($! + 0)) unless $!{EAGAIN}; next }
      if ($n) { $q->{buf} .= substr($chunk, 0, 64) if length($q->{buf}) < 64; next }
      my ($status) = $q->{buf} =~ m{^HTTP/\\d\\.\\d (\\d{3})};
      done($fd, $status ? 1 : 0, $status // 'no-status');
    } } }
print "X\\n";`

export function targetSpec(t: ProbeTarget): string {
  // From there HTTPS is a TCP connect (see above).
  return `${t.kind === 'http' ? 'http' : 'tcp'},${t.address},${t.port}`
}

/** A `P …` line as a probe result on the run's time line (HTTP statuses judged as the controller's prober does). */
export function parseProbeLine(line: string, targets: ProbeTarget[], toRun: (epochMs: number) => number): ProbeResult | undefined {
  const m = /^P (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) ([01]) (\S+)$/.exec(line)
  const t = m ? targets[Number(m[1])] : undefined
  if (!m || !t) return undefined
  const status = /^\d{3}$/.test(m[5]) ? Number(m[5]) : undefined
  const ok = m[4] === '1' && (status === undefined || okStatus(status))
  return {target: t.name, start: toRun(Number(m[2]) * 1000), latency: Number(m[3]), ok, detail: m[5]}
}

export function remoteProber(t: Transport, targets: ProbeTarget[], opts: ProbeOptions & {clock: RunClock; maxSeconds: number}): Prober {
  let proc: RemoteProcess | undefined
  let buf = ''
  let offsetMs = 0
  let error: string | undefined
  const results: ProbeResult[] = []
  const pings = new Map<string, (hostMs: number) => void>()
  let ended: Promise<unknown> = Promise.resolve()
  const toRun = (epochMs: number) => epochMs - offsetMs - opts.clock.epochMs
  const onLine = (line: string) => {
    if (line.startsWith('E ')) error = line.slice(2)
    else if (line.startsWith('H ')) {
      const [, s, id] = line.split(' ')
      pings.get(id)?.(Number(s) * 1000)
      pings.delete(id)
    } else {
      const r = parseProbeLine(line, targets, toRun)
      if (r) results.push(r)
    }
  }
  return {
    async start() {
      proc = await t.stream(
        cmd`command -v perl >/dev/null 2>&1 || { echo 'E perl is not installed'; exit 127; }; exec perl -e ${PROBER} ${String(opts.intervalMs / 1000)} ${String(opts.timeoutMs / 1000)} ${opts.path} ${String(Math.ceil(opts.maxSeconds))} ${targets.map(targetSpec)}`,
        (chunk) => {
          buf += chunk
          let nl: number
          while ((nl = buf.indexOf('\n')) >= 0) {
            onLine(buf.slice(0, nl))
            buf = buf.slice(nl + 1)
          }
        },
      )
      ended = proc.done.catch(() => undefined)
      // Offset first (the prober answers pings at once), then probes keep coming.
      const ping = (id: string) =>
        new Promise<number | undefined>((resolve) => {
          const timer = setTimeout(() => {
            pings.delete(id)
            resolve(undefined)
          }, 2000)
          pings.set(id, (ms) => {
            clearTimeout(timer)
            resolve(ms)
          })
          proc!.write(`ping ${id}\n`)
        })
      let best = Infinity
      for (let i = 0; i < 5 && !error; i++) {
        const sent = opts.clock.now()
        const hostMs = await ping(String(i))
        const recv = opts.clock.now()
        if (hostMs !== undefined && recv - sent < best) {
          best = recv - sent
          offsetMs = hostMs - (opts.clock.epochMs + (sent + recv) / 2)
        }
      }
      if (error) throw new Error(`${t.host}: cannot probe from there: ${error}`)
      if (!Number.isFinite(best)) throw new Error(`${t.host}: the probe process does not answer`)
    },
    // Probes in flight there are not known here: the baseline counts the answers it expected instead.
    snapshot: () => ({results: [...results], inFlight: []}),
    async stop() {
      proc?.end()
      // In-flight probes finish within their timeout; then the process exits.
      await Promise.race([ended, new Promise((r) => setTimeout(r, opts.timeoutMs + 3000))])
      proc?.close()
      return results.sort((a, b) => a.start - b.start)
    },
  }
}
