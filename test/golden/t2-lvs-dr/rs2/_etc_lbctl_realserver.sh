#!/bin/sh
# Managed by lbctl (inventory "t2-lvs-dr") — local edits are overwritten by lbctl deploy.
#
# Real server rs2: LVS-DR real server for 192.0.2.100.
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
$(grep -H '' /proc/sys/net/ipv4/conf/lo/arp_ignore /proc/sys/net/ipv4/conf/lo/arp_announce /proc/sys/net/ipv4/conf/eth0.100/arp_ignore /proc/sys/net/ipv4/conf/eth0.100/arp_announce /dev/null 2>/dev/null)
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
    addresses=" $(ip -o -4 addr show dev lo 2>/dev/null) "
}

has_vip() {
    case $addresses in *" inet $1/32 "*) return 0 ;; esac
    return 1
}

start() {
    rc=0
    set_knob /proc/sys/net/ipv4/conf/lo/arp_ignore 1 || rc=1
    set_knob /proc/sys/net/ipv4/conf/lo/arp_announce 2 || rc=1
    set_knob /proc/sys/net/ipv4/conf/eth0.100/arp_ignore 1 || rc=1
    set_knob /proc/sys/net/ipv4/conf/eth0.100/arp_announce 2 || rc=1
    if [ "$rc" -ne 0 ]; then
        echo "realserver: ARP suppression is not in place; not adding the VIPs" >&2
        return 1
    fi
    ip addr replace 192.0.2.100/32 dev lo label lo:0 || rc=1
    [ "$rc" -eq 0 ] && echo "realserver: started"
    return "$rc"
}

stop() {
    rc=0
    read_addresses
    if has_vip 192.0.2.100; then
        ip addr del 192.0.2.100/32 dev lo || rc=1
    fi
    set_knob /proc/sys/net/ipv4/conf/lo/arp_ignore 0 || rc=1
    set_knob /proc/sys/net/ipv4/conf/lo/arp_announce 0 || rc=1
    set_knob /proc/sys/net/ipv4/conf/eth0.100/arp_ignore 0 || rc=1
    set_knob /proc/sys/net/ipv4/conf/eth0.100/arp_announce 0 || rc=1
    [ "$rc" -eq 0 ] && echo "realserver: stopped"
    return "$rc"
}

status() {
    read_knobs
    read_addresses
    check_knob /proc/sys/net/ipv4/conf/lo/arp_ignore 1
    check_knob /proc/sys/net/ipv4/conf/lo/arp_announce 2
    check_knob /proc/sys/net/ipv4/conf/eth0.100/arp_ignore 1
    check_knob /proc/sys/net/ipv4/conf/eth0.100/arp_announce 2
    if ! has_vip 192.0.2.100; then
        echo "missing: 192.0.2.100/32 on lo"
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
