#!/usr/bin/env bash
# One real-Kratix pass (see scripts/testacc.sh): builds its Kratix into the
# cache when it is not there yet (a network namespace has no network), then
# runs its shards side by side, each with its own platform in its own
# network namespace (scripts/real-shard.sh), and waits for them.
#
# Usage: scripts/real-pass.sh PASS TEST_BINARY TESTS_FILE SHARDS TIMEOUT WORKDIR
# with GOTESTSUM, and KRATIX_SOURCE_DIR for a Kratix checkout, in the
# environment. Each shard writes WORKDIR/{log,timing,wall}-PASS-I.
set -uo pipefail
pass=$1 binary=$2 tests=$3 shards=$4 timeout=$5 work=$6
cd "$(dirname "$0")/.."
start=$SECONDS
KRATIX_PLATFORM_MODE=real scripts/timed.sh "Kratix of the $pass pass (built, or waited for)" go run ./internal/cmd/kratix-platform build >"$work/build-$pass" 2>&1 ||
	echo "building the Kratix of the $pass pass failed; its tests say why: $(tail -5 "$work/build-$pass")" >>"$work/log-$pass-0"
echo $((SECONDS - start)) >"$work/build-wall-$pass"

# The -test.run pattern of shard $1: every N-th top-level test, and
# TestAccCorpus, whose entries KRATIX_TEST_SHARD splits.
shard_pattern() {
	awk -v n="$shards" -v i="$1" '(NR - 1) % n == i' "$tests" | { tr '\n' '|'; echo TestAccCorpus; } | sed 's/^/^(/; s/$/)$/'
}

# The shards start 20 s apart: starting a platform is the most CPU-hungry
# minute of a shard, and several at once on a busy machine have taken
# kube-apiserver more than a minute to become ready.
pids=()
for ((i = 0; i < shards; i++)); do
	[ "$i" -eq 0 ] || sleep 20
	scripts/real-shard.sh "$binary" "$(shard_pattern "$i")" "$i/$shards" "$timeout" \
		"$work/timing-$pass-$i.json" "$work/wall-$pass-$i" >>"$work/log-$pass-$i" 2>&1 &
	pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do
	wait "$pid" || rc=1
done
exit $rc
