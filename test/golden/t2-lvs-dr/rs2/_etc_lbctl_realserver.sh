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

# set_knob FILE VALUE: write a /proc/sys value unless it already holds it.
set_knob() {
    [ "$(cat "$1" 2>/dev/null)" = "$2" ] && return 0
    if ! printf '%s\n' "$2" >"$1"; then
        echo "realserver: cannot set $1 to $2" >&2
        return 1
    fi
}

check_knob() {
    if [ "$(cat "$1" 2>/dev/null)" != "$2" ]; then
        echo "missing: $1 = $2"
        missing=1
    fi
}

# has_vip ADDRESS DEV: the exact address as a /32 on DEV.
has_vip() {
    ip -o -4 addr show dev "$2" 2>/dev/null | grep -qF " inet $1/32 "
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
    if has_vip 192.0.2.100 lo; then
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
    check_knob /proc/sys/net/ipv4/conf/lo/arp_ignore 1
    check_knob /proc/sys/net/ipv4/conf/lo/arp_announce 2
    check_knob /proc/sys/net/ipv4/conf/eth0.100/arp_ignore 1
    check_knob /proc/sys/net/ipv4/conf/eth0.100/arp_announce 2
    if ! has_vip 192.0.2.100 lo; then
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
