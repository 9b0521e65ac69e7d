#!/usr/bin/env bash
# Builds the OpenTofu the OpenTofu pass drives (platform.EnsureOpenTofu) into
# the cache, or finds it there, and checks it: the test that proves the
# build works does both, holding the cache entry's file lock, so tests
# started meanwhile wait for it instead of building it a second time.
set -euo pipefail
cd "$(dirname "$0")/.."
# A cold build under load takes longer than go test's default 10 minutes.
# CI=true: a failed build fails, rather than skips, the test.
CI=true TF_ACC=1 go test -count=1 -v -timeout 30m -run '^TestAccOpenTofu$' ./internal/acctest/
