#!/usr/bin/env bash
# The main job end to end on the embedded lab: install what is needed, bring up a lab cluster (2 directors, 3 real
# servers, a client — Linux namespaces with their own sshd), validate and render its inventory, deploy it over SSH
# with host keys verified, then show the VIP owner, HTTP answers through the VIP from the client, and a measured
# failover.
# The lab stays up for you to explore; `--down` tears it down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
down=0; [ "${1:-}" = "--down" ] && down=1

./scripts/setup.sh
lbctl() { node bin/run.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "lbctl lab up"
lbctl lab up
step "lbctl validate lab"
lbctl validate lab
step "lbctl render lab --host lb1 (secrets masked)"
lbctl render lab --host lb1 | head -n 40
step "lbctl deploy lab --check --diff (dry run: nothing changes)"
lbctl deploy lab --check | tail -n 6
step "lbctl deploy lab"
lbctl deploy lab
step "lbctl deploy lab again: nothing to change, nothing reloaded"
lbctl deploy lab | tail -n 3
step "lbctl lab status (who holds the VIP)"
lbctl lab status
step "HTTP through the VIP, from the client host"
for i in 1 2 3 4 5 6; do lbctl lab ssh client -- curl -s -m 2 http://198.18.0.100/ | head -n 1; done
step "lbctl releases lab"
lbctl releases lab
step "lbctl failover-test lab --scenario keepalived-stop,haproxy-kill (measured outage vs the VRRP bound; restores the cluster)"
lbctl failover-test lab --scenario keepalived-stop,haproxy-kill --report failover-report.html
printf 'Timeline picture: %s\n' "$PWD/failover-report.html"
if [ "$down" = 1 ]; then step "lbctl lab down"; lbctl lab down; else printf '\nThe lab is still up: try `node bin/run.js lab ssh lb1`, then `node bin/run.js lab down`.\n'; fi
