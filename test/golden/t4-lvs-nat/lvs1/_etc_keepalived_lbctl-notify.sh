#!/bin/sh
# Managed by lbctl (inventory "t4-lvs-nat") — local edits are overwritten by lbctl deploy.
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

type=${1:-}
host=$(uname -n)
mail_to=noc@example.com
mail_from=keepalived@t4-lvs-nat.invalid
if command -v sendmail >/dev/null 2>&1; then
    {
        printf 'From: %s\n' "$mail_from"
        printf 'To: %s\n' "$mail_to"
        printf 'Subject: %s to be %s: vip floating\n' "$host" "$state"
        printf '\n'
        printf '%s: vrrp transition, %s changed to be %s (%s %s, priority %s)\n' \
            "$(date '+%F %H:%M:%S')" "$host" "$state" "$type" "$name" "$prio"
    } | sendmail -t || log "lbctl-notify: sendmail failed, no mail sent for $name $state"
else
    log "lbctl-notify: no sendmail on $host, no mail sent for $name $state"
fi

# A notify script's exit status changes nothing in keepalived; never make a transition look like an error.
exit 0
