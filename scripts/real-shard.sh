#!/usr/bin/env bash
# One shard of a real-Kratix pass (see scripts/testacc.sh), run in a network
# namespace of its own, where it starts its own platform.
#
# Usage: scripts/real-shard.sh TEST_BINARY PATTERN SHARD(I/N) TIMEOUT JSONFILE WALLFILE
# with GOTESTSUM, and KRATIX_SOURCE_DIR for a Kratix checkout, in the environment.
set -uo pipefail
if [ -z "${KRATIX_SHARD_NETNS:-}" ]; then
	flags=-n
	[ "$(id -u)" -eq 0 ] || flags=-rn # unprivileged: a user namespace too
	exec unshare "$flags" -- env KRATIX_SHARD_NETNS=1 sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$@"
fi
binary=$1 pattern=$2 shard=$3 timeout=$4 jsonfile=$5 wallfile=$6
start=$SECONDS
cd "$(dirname "$0")/../internal/provider" || exit 1
KRATIX_TEST_SHARD=$shard KRATIX_PLATFORM_MODE=real TF_ACC=1 \
	"$GOTESTSUM" --format pkgname-and-test-fails --format-icons text --jsonfile-timing-events "$jsonfile" \
	--raw-command -- go tool test2json -t -p github.com/kratix-community/terraform-provider-kratix/internal/provider \
	"$binary" -test.v=test2json -test.count=1 -test.timeout "$timeout" -test.run "$pattern"
rc=$?
echo $((SECONDS - start)) >"$wallfile"
exit $rc
