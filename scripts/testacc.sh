#!/usr/bin/env bash
# Runs the acceptance tests in both platform modes at once: every package
# against the Kratix emulator, and the provider's tests against the real
# Kratix controller. The real pass is the longest part of `make test`: its
# tests wait mostly on Kratix (requeues and pipeline Jobs), not on the CPU,
# but they need the platform's and Kratix's binaries, which a cold cache
# builds first (side by side, about 15 minutes on 2 cores). So those builds
# run first, alone, then the real pass starts in the background and
# everything else runs alongside it: the make targets given after the
# timeouts (make test passes the static checks), then the emulator pass.
# (Run beside the other builds, the real pass's builds took 32 minutes on a
# cold machine, and the whole run more than 90.) The real pass's output is
# printed after the emulator pass's; the exit code is non-zero when anything
# failed.
#
# Usage: scripts/testacc.sh GOTESTSUM EMULATOR_TIMEOUT REAL_TIMEOUT [MAKE_TARGET...]
set -uo pipefail
gotestsum=$1
emulator_timeout=$2
real_timeout=$3
shift 3
log=$(mktemp)
timings=$(mktemp -d)
trap 'rm -rf "$log" "$timings"' EXIT

# Each pass keeps its tests' pass/skip/fail events, so that the end of the
# output can list its slowest tests.
run() {
	local mode=$1 timeout=$2
	shift 2
	KRATIX_PLATFORM_MODE=$mode TF_ACC=1 "$gotestsum" --format pkgname-and-test-fails --format-icons text \
		--jsonfile-timing-events "$timings/$mode.json" -- -count=1 -timeout "$timeout" "$@"
}

slowest() {
	echo "== the 15 slowest tests of the $1 pass"
	"$gotestsum" tool slowest --jsonfile "$timings/$1.json" --num 15
}

started=$SECONDS
echo "== the platform's and Kratix's binaries for the real-Kratix pass (once into the cache; about 15 minutes cold)"
KRATIX_PLATFORM_MODE=real go run ./internal/cmd/kratix-platform build ||
	echo "== building them failed; the real-Kratix pass tries again and reports why"
echo "== acceptance tests of the provider against the real Kratix controller: started now, reported at the end"
# Its own session, so that a failed check can stop it with its children.
export gotestsum real_timeout timings
setsid bash -c "$(declare -f run); run real \"\$real_timeout\" ./internal/provider/" >"$log" 2>&1 &
real_pid=$!

if [ $# -gt 0 ]; then
	echo "== make $*"
	if ! make --no-print-directory "$@"; then
		echo "== make $* failed after $((SECONDS - started)) s; stopping the real-Kratix pass"
		kill -TERM -- "-$real_pid" 2>/dev/null
		wait "$real_pid"
		exit 1
	fi
fi

# Tests in both passes use the current Terraform (a cold build takes
# minutes and 1.5 GB of memory): building it before the emulator pass
# starts keeps that out of its test timeouts. When the build fails, the
# tests that need it say why.
echo "== the current Terraform for tests of Terraform 1.14+ features (built once into the cache)"
scripts/terraform-current.sh ||
	echo "== building the current Terraform failed; the tests that need it report why"
echo "== acceptance tests against the Kratix emulator ($((SECONDS - started)) s in)"
run emulator "$emulator_timeout" -cover ./...
emulator_rc=$?
echo "== emulator pass done after $((SECONDS - started)) s; waiting for the real-Kratix pass"
wait "$real_pid"
real_rc=$?
echo "== acceptance tests of the provider against the real Kratix controller ($((SECONDS - started)) s in all)"
cat "$log"
slowest emulator
slowest real
echo "== emulator pass: exit $emulator_rc; real-Kratix pass: exit $real_rc"
[ "$emulator_rc" -eq 0 ] && [ "$real_rc" -eq 0 ]
