#!/usr/bin/env bash
# Runs the acceptance tests in both platform modes at once: every package
# against the Kratix emulator, and the provider's tests against the real
# Kratix controller. The real pass waits mostly on Kratix (its requeues and
# pipeline Jobs), not on the CPU, so running the two side by side costs far
# less wall time than one after the other. The real pass's output is
# printed after the emulator pass's; the exit code is non-zero when either
# failed.
#
# Usage: scripts/testacc.sh GOTESTSUM EMULATOR_TIMEOUT REAL_TIMEOUT
set -uo pipefail
gotestsum=$1
emulator_timeout=$2
real_timeout=$3
log=$(mktemp)
trap 'rm -f "$log"' EXIT

run() {
	local mode=$1 timeout=$2
	shift 2
	KRATIX_PLATFORM_MODE=$mode TF_ACC=1 "$gotestsum" --format pkgname-and-test-fails --format-icons text -- \
		-count=1 -timeout "$timeout" "$@"
}

started=$SECONDS
# Tests in both passes use the current Terraform (a cold build takes
# minutes and 1.5 GB of memory): building it before they start keeps that
# out of their test timeouts, and neither pass waits mid-run on the other's
# build. When the build fails, the tests that need it say why.
echo "== the current Terraform for tests of Terraform 1.14+ features (built once into the cache)"
scripts/terraform-current.sh ||
	echo "== building the current Terraform failed; the tests that need it report why"
run real "$real_timeout" ./internal/provider/ >"$log" 2>&1 &
real_pid=$!
echo "== acceptance tests against the Kratix emulator (the real-Kratix pass runs alongside)"
run emulator "$emulator_timeout" -cover ./...
emulator_rc=$?
echo "== emulator pass done after $((SECONDS - started)) s; waiting for the real-Kratix pass"
wait "$real_pid"
real_rc=$?
echo "== acceptance tests of the provider against the real Kratix controller ($((SECONDS - started)) s in all)"
cat "$log"
echo "== emulator pass: exit $emulator_rc; real-Kratix pass: exit $real_rc"
[ "$emulator_rc" -eq 0 ] && [ "$real_rc" -eq 0 ]
