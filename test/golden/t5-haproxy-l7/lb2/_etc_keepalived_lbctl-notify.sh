#!/bin/sh
# Managed by lbctl (inventory "t5-haproxy-l7") — local edits are overwritten by lbctl deploy.
#
# keepalived runs this on every VRRP transition as: lbctl-notify.sh TYPE NAME STATE PRIORITY
# (vrrp_instance `notify`; TYPE is INSTANCE or GROUP, STATE is MASTER, BACKUP, FAULT or STOP).
# It logs the transition and, when the inventory sets notifications.email, mails it like the seed's notify.sh.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

name=${2:-}
state=${3:-}
prio=${4:-}

log() {
    if command -v logger >/dev/null 2>&1; then
        logger -t keepalived-notify -- "$1"
    else
        printf 'keepalived-notify: %s\n' "$1" >&2
    fi
}

log "lbctl-notify: $name $state prio $prio"

# A notify script's exit status changes nothing in keepalived; never make a transition look like an error.
exit 0
