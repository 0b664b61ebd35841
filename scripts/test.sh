#!/usr/bin/env bash
# The whole test suite on the real parts: installs what it needs, then unit tests (pure layers, every rendered file
# checked by keepalived -t / haproxy -c / shellcheck) and integration tests on labs it brings up and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Integration tests create labs named it*; remove any a killed earlier run left behind, now and on every exit.
cleanup() {
  for lab in $( { ip netns list 2>/dev/null | sed -n 's/^lbctl\.\(it[a-z0-9-]*\)\..*/\1/p'; ls /var/lib/lbctl-lab 2>/dev/null | grep '^it'; } | sort -u); do
    node bin/run.js lab down --name "$lab" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
cleanup
# Node 20's --test does not expand globs itself.
mapfile -t files < <(find test/unit test/integration -name '*.test.ts' 2>/dev/null | sort)
node --import tsx --test --test-concurrency=1 "${files[@]}"
