#!/usr/bin/env bash
# The whole test suite on the real parts: installs what it needs, then unit tests (pure layers, every rendered file
# checked by keepalived -t / haproxy -c / shellcheck) and integration tests on labs it brings up and tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Integration tests create labs named it*; remove any a killed earlier run left behind, now and on every exit.
cleanup() { node bin/run.js lab down --all-test-labs >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
# Node 20's --test does not expand globs itself.
mapfile -t files < <(find test/unit test/integration -name '*.test.ts' 2>/dev/null | sort)
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
