#!/usr/bin/env bash
# Installs what lbctl, its lab and its tests need on Debian (run as root): the daemons lbctl renders for (so their
# own checkers can validate every file), the lab's building blocks, and the npm dependencies. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

# lighttpd serves the lab's real servers; wrk measures what the VIP carries (npm run bench load); tmux is the real
# terminal the live view is tested in (test/integration/operator.test.ts).
PACKAGES=(keepalived haproxy ipvsadm shellcheck openssh-server openssh-client tini ethtool iproute2 psmisc procps
  kmod busybox-static curl openssl sudo util-linux qemu-system-x86 cpio xz-utils lighttpd wrk perl tmux)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "lbctl setup: missing Debian packages: ${missing[*]} — run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "lbctl setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages enable their own services where systemd runs; lbctl manages these daemons itself.
for svc in keepalived haproxy ssh lighttpd; do
  if [ -d /run/systemd/system ]; then systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "lbctl setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
