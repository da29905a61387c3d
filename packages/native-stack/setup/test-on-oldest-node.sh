#!/usr/bin/env bash
# Runs the preload's tests on the oldest Node line it supports (22), from the cache
# (ensure-node.sh installs it there once), so a use of a Node 24-only API shows up in npm test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
LOG_PREFIX=preload-node22
# shellcheck source=lib.sh
source "$here/lib.sh" # NODE_OLDEST
node22="$(bash "$here/ensure-node.sh" "$NODE_OLDEST")"
cd "$repo"
# Its own range for the tests' fixed ports (test-fixtures/harness.ts, freePort): npm test runs
# it beside the unit tests, which pick from the default range.
export SHOPFLOOR_TEST_PORTS="${SHOPFLOOR_TEST_PORTS:-25000-29999}"
exec "$node22" --test 'packages/otel-bootstrap/dist/**/*.test.js'
