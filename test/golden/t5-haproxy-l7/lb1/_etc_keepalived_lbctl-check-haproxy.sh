#!/bin/sh
# Managed by lbctl (inventory "t5-haproxy-l7") — local edits are overwritten by lbctl deploy.
#
# keepalived vrrp_script (seed 004 checkHaproxy.sh): healthy while HAProxy runs. If it has died, start it again;
# if it is still not running 3 s later, stop keepalived on this director so the peer takes the VIP over.
# Exit 0 = healthy, 1 = HAProxy is down.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

log() {
    if command -v logger >/dev/null 2>&1; then
        logger -t lbctl-check-haproxy -- "$1"
    else
        printf 'lbctl-check-haproxy: %s\n' "$1" >&2
    fi
}

running() {
    killall -0 haproxy 2>/dev/null
}

# deploy.service_manager systemd.
use_systemd() {
    true
}

running && exit 0

log "haproxy is not running; starting it"
if use_systemd; then
    systemctl restart haproxy
else
    haproxy -W -D -p /run/haproxy.pid -S /run/haproxy-master.sock -f /etc/haproxy/haproxy.cfg
fi

i=0
while [ "$i" -lt 3 ]; do
    sleep 1
    if running; then
        log "haproxy started again"
        exit 0
    fi
    i=$((i + 1))
done

log "haproxy does not start; stopping keepalived so the peer director takes the VIP over"
if use_systemd; then
    # --no-block: systemd stops keepalived, which ends this script; waiting for the job here would deadlock.
    systemctl --no-block stop keepalived
else
    kill "$(cat /run/keepalived.pid)"
fi
exit 1
