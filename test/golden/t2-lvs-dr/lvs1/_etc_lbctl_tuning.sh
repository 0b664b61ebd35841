#!/bin/sh
# Managed by lbctl (inventory "t2-lvs-dr") — local edits are overwritten by lbctl deploy.
#
# NIC offloads for a director that forwards with LVS. GRO/LRO merge received packets into frames larger than the
# MTU, which LVS then drops (seed 002); Intel documents LRO as incompatible with forwarding. Idempotent: each
# feature is read first and changed only when needed; a feature the driver reports as "[fixed]" is reported, not
# treated as an error. lbctl-tuning.service runs it at boot, so the settings survive a reboot.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

rc=0

# tune IFACE SHORT-NAME LONG-NAME on|off
tune() {
    if ! current=$(ethtool -k "$1" 2>/dev/null); then
        echo "lbctl-tuning: $1: cannot read offloads (no such interface?)" >&2
        rc=1
        return
    fi
    value=$(printf '%s\n' "$current" | sed -n "s/^$3: //p")
    case "$value" in
        "$4" | "$4 [fixed]")
            echo "lbctl-tuning: $1: $2 already $4"
            ;;
        *"[fixed]"*)
            echo "lbctl-tuning: $1: $2 is $value and cannot be changed (fixed by the driver)"
            ;;
        "")
            echo "lbctl-tuning: $1: $2 not reported by the driver, left alone"
            ;;
        *)
            if ethtool -K "$1" "$2" "$4"; then
                echo "lbctl-tuning: $1: $2 $4"
            else
                echo "lbctl-tuning: $1: could not set $2 $4" >&2
                rc=1
            fi
            ;;
    esac
}

tune eth0 gro generic-receive-offload off
tune eth0 lro large-receive-offload off

exit "$rc"
