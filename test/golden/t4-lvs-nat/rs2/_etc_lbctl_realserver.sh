#!/bin/sh
# Managed by lbctl (inventory "t4-lvs-nat") — local edits are overwritten by lbctl deploy.
#
# Real server rs2: default route via the directors' floating address 10.10.0.1 (LVS-NAT).
# The seed's "realserver {start|stop|status}" script, idempotent and without ifconfig/route:
#   start   ARP sysctls first, then the VIPs (the other order would let this host answer ARP for a VIP, and take
#           the traffic away from the director, for as long as the gap lasts)
#   stop    VIPs off first, then the ARP sysctls back to 0
#   status  exit 0 when everything is in place, 3 otherwise (LSB "not running"), naming what is missing
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

missing=0

# One process for every knob and one for the addresses, not one or two per knob and per VIP: every real server runs
# this at once, in each deploy's first round trip, and a process start costs milliseconds on a busy host.
# Writing a knob is a builtin (printf, one write at offset 0); reading one is not: /proc/sys answers a read at offset 0
# only, and sh's read takes a byte at a time.
set_knob() {
    if ! printf '%s\n' "$2" 2>/dev/null >"$1"; then
        echo "realserver: cannot set $1 to $2" >&2
        return 1
    fi
}

# "PATH:VALUE" lines of every knob this script checks.
read_knobs() {
    knobs="
$(grep -H '' /dev/null 2>/dev/null)
"
}

check_knob() {
    case $knobs in
        *"
$1:$2
"*) ;;
        *)
            echo "missing: $1 = $2"
            missing=1
            ;;
    esac
}

read_addresses() {
    addresses=" $(ip -o -4 addr show dev  2>/dev/null) "
}

has_vip() {
    case $addresses in *" inet $1/32 "*) return 0 ;; esac
    return 1
}

has_gateway() {
    case " $(ip -4 route show default 2>/dev/null) " in *"default via $1 "*) return 0 ;; esac
    return 1
}

start() {
    rc=0
    ip route replace default via 10.10.0.1 || rc=1
    [ "$rc" -eq 0 ] && echo "realserver: started"
    return "$rc"
}

stop() {
    rc=0
    # The default route via 10.10.0.1 stays: a host without one is cut off, and the route it had before is unknown.
    echo "realserver: default route via 10.10.0.1 left in place"
    [ "$rc" -eq 0 ] && echo "realserver: stopped"
    return "$rc"
}

status() {
    if ! has_gateway 10.10.0.1; then
        echo "missing: default route via 10.10.0.1"
        missing=1
    fi
    if [ "$missing" -ne 0 ]; then
        return 3
    fi
    echo "realserver: running"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    restart) stop && start ;;
    *)
        echo "Usage: $0 {start|stop|status|restart}" >&2
        exit 2
        ;;
esac
