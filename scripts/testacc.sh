#!/usr/bin/env bash
# Runs the acceptance tests in every platform mode at once: the provider's
# tests against the real Kratix controller: the one the Go module proxy
# serves and, when KRATIX_SOURCE_DIR names a Kratix checkout, that one too
# (a "pass" each); every other package against the Kratix emulator, and
# then, against the emulator too, the provider's tests that every real pass
# skipped (a Kratix bug, a feature neither Kratix has), so that each test
# runs on a real Kratix when one can run it and on the emulator otherwise;
# and the OpenTofu pass (scripts/tofu-pass.sh): the provider's tests that
# show it works on OpenTofu, on OpenTofu against the emulator.
#
# A real-Kratix pass waits on Kratix (requeues, pipeline Jobs) far more than
# on the CPU (about a quarter of one core), so each runs as
# KRATIX_REAL_SHARDS processes (default 3), each with its own platform in
# its own network namespace (Kratix's webhook port, 9443, is fixed, so it
# is one per namespace) and its share of the tests: the top-level tests
# dealt out in turn, and every N-th corpus entry (KRATIX_TEST_SHARD). A
# namespace has no network, so what the shards need is built before they
# start (the order and priorities of the builds are explained below).
# Everything else runs alongside: the OpenTofu pass, the make targets given
# after the timeouts (make test passes the static checks), then the
# emulator pass. The passes' output is printed after the emulator pass's,
# then each build's wall and CPU time, the machine's CPU use, and each
# pass's wall time and slowest tests;
# the exit code is non-zero when anything failed.
#
# Usage: scripts/testacc.sh GOTESTSUM EMULATOR_TIMEOUT REAL_TIMEOUT [MAKE_TARGET...]
set -uo pipefail
gotestsum=$1
emulator_timeout=$2
real_timeout=$3
shift 3
shards=${KRATIX_REAL_SHARDS:-3}
source_dir=${KRATIX_SOURCE_DIR:-}
unset KRATIX_SOURCE_DIR # each pass sets its own
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
started=$SECONDS
# Where the time goes: each build's wall and CPU time (scripts/timed.sh),
# and the machine's CPU time over the whole run (/proc/stat), at the end.
export KRATIX_BUILD_TIMES=$work/build-times
: >"$KRATIX_BUILD_TIMES"
cpu_busy() { # jiffies the machine's CPUs spent busy since boot
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
cpu_started=$(cpu_busy)

passes=(served)
[ -n "$source_dir" ] && passes+=(source)

kratix_source() { # the KRATIX_SOURCE_DIR of a pass
	[ "$1" = source ] && echo "$source_dir"
}

# On a cold cache the builds need more CPU than two cores have, and a real
# pass starved of CPU (load 40 in one cold run) is slower in every test:
# Kratix's requeues and the API server's answers come later. So tests and
# the builds they wait on keep the CPU first, and the rest runs niced on
# what they leave (their links use one core):
# - OpenTofu, which only its own pass waits on, builds from the start at
#   nice 10; the OpenTofu pass follows it once the real passes have
#   started (its tests, at nice 0, would otherwise compete with the builds
#   every real pass waits for: a cold run measured OpenTofu built, at
#   nice 19, 25 minutes in, and the platform's build not done until 40).
echo "== OpenTofu pass: started now (OpenTofu builds first when it is not in the cache, about 12 minutes cold, at nice 10; its tests once the real passes have started), reported at the end"
# scripts/tofu.sh checks OpenTofu and builds it if needed; if that fails,
# the pass runs anyway and its tests fail (CI=true) or skip, saying why.
setsid bash -c 'nice -n 10 scripts/timed.sh OpenTofu scripts/tofu.sh >"$1" 2>&1 || echo "== building OpenTofu failed: $(tail -5 "$1")"; echo $SECONDS >"$2"; while [ ! -e "$3" ]; do sleep 5; done; shift 3; exec scripts/tofu-pass.sh "$@"' \
	_ "$work/build-tofu" "$work/build-tofu-wall" "$work/passes-started" "$gotestsum" "$emulator_timeout" "$work/timing-tofu.json" >"$work/log-tofu" 2>&1 &
tofu_pid=$!
pids=()
stop_real() { # stops every pass and build started in the background
	for pid in "${pids[@]}" $tofu_pid "${early_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null; done
	wait
}

# - Everything every real pass needs first, at nice 0: the platform's
#   binaries (with the Kratix the module proxy serves), then the current
#   Terraform (tests in every pass use it; a cold build takes minutes and
#   1.5 GB of memory, and a shard cannot build it without a network), then
#   the provider's test binary. Terraform builds after the platform's
#   binaries, not beside them: beside them its build (with the test that
#   checks it, which compiles the provider's Kubernetes packages, of the
#   same versions as the platform's) took twice the CPU (cold runs: 823 s
#   beside, 426 s after, as the Go cache then holds what both compile) and
#   the passes started no sooner. A Kratix checkout's binaries build
#   beside the platform's, which keeps about one core busy; that pass then
#   finds them in the cache (or waits for this build, which holds the cache
#   entry's lock).
# - Then the passes start, each in its own session so that a failed check
#   can stop it with its children, and the checks, which nothing waits on,
#   at nice 19 (started earlier, they would take the current Terraform's
#   build lock first and build it at nice 19 while every pass waits).
early_pids=()
if [ -n "$source_dir" ]; then
	echo "== the binaries of the Kratix checkout $source_dir: building now, beside the platform's (once into the cache)"
	KRATIX_SOURCE_DIR=$source_dir KRATIX_PLATFORM_MODE=real setsid scripts/timed.sh "Kratix checkout's binaries" \
		go run ./internal/cmd/kratix-platform build >"$work/build-source-early" 2>&1 &
	early_pids+=($!)
fi
echo "== the platform's binaries and the Kratix the module proxy serves (once into the cache; about 35 minutes cold)"
KRATIX_PLATFORM_MODE=real scripts/timed.sh "platform binaries and served Kratix" go run ./internal/cmd/kratix-platform build ||
	echo "== building them failed; the tests say why"
echo "== the current Terraform for tests of Terraform 1.14+ features ($((SECONDS - started)) s in; once into the cache)"
scripts/timed.sh "current Terraform" scripts/terraform-current.sh ||
	echo "== building the current Terraform failed; the tests that need it say why"
scripts/timed.sh "provider test binary" go test -c -o "$work/provider.test" ./internal/provider/ || { stop_real; exit 1; }
if ! unshare -n true 2>/dev/null && ! unshare -rn true 2>/dev/null; then
	echo "== the real-Kratix passes need network namespaces (unshare -n as root, or unshare -rn with user namespaces)"
	stop_real
	exit 1
fi
(cd internal/provider && "$work/provider.test" -test.list '.*') | grep '^Test' | grep -vx TestAccCorpus >"$work/tests"

echo "== real-Kratix passes (${passes[*]}), $shards shards each: started now (a Kratix checkout's pass first waits for its binaries), reported at the end"
for pass in "${passes[@]}"; do
	KRATIX_SOURCE_DIR=$(kratix_source "$pass") GOTESTSUM=$gotestsum setsid scripts/real-pass.sh "$pass" "$work/provider.test" \
		"$work/tests" "$shards" "$real_timeout" "$work" &
	pids+=($!)
done
: >"$work/passes-started"

# The checks run side by side (each builds its own tool on a cold cache,
# one after another they were the last thing to finish) and beside the
# emulator pass below; their output is printed a target at a time.
checks_pid=
if [ $# -gt 0 ]; then
	echo "== make $* (side by side, beside the emulator pass, at nice 19)"
	nice -n 19 make --no-print-directory -j "$#" --output-sync=target "$@" &
	checks_pid=$!
fi
checks_done() {
	[ -z "$checks_pid" ] && return 0
	if ! wait "$checks_pid"; then
		echo "== make $* failed after $((SECONDS - started)) s; stopping the real-Kratix passes"
		stop_real
		exit 1
	fi
	echo "== make $* done ($((SECONDS - started)) s in)"
	checks_pid=
}

# The provider's tests run on both real Kratix versions; against the
# emulator run the other packages now, and, once the real passes are done,
# the provider's tests that no real pass ran (emulator_gaps).
echo "== acceptance tests against the Kratix emulator, every package but the provider's ($((SECONDS - started)) s in)"
emulator_start=$SECONDS
mapfile -t packages < <(go list ./... | grep -vx 'github.com/kratix-community/terraform-provider-kratix/internal/provider')
KRATIX_PLATFORM_MODE=emulator TF_ACC=1 "$gotestsum" --format pkgname-and-test-fails --format-icons text \
	--jsonfile-timing-events "$work/timing-emulator.json" -- -count=1 -timeout "$emulator_timeout" -cover "${packages[@]}"
emulator_rc=$?
emulator_wall=$((SECONDS - emulator_start))
echo "== emulator pass (other packages) done in ${emulator_wall} s ($((SECONDS - started)) s in)"
checks_done "$@"
echo "== waiting for the real-Kratix passes"

real_rc=0
for pid in "${pids[@]}"; do
	wait "$pid" || real_rc=1
done
echo "== real-Kratix passes done ($((SECONDS - started)) s in all)"

# skipped_tests FILE...: the top-level tests the test2json events in FILE
# report skipped.
skipped_tests() {
	cat "$@" 2>/dev/null | grep '"Action":"skip"' | grep -o '"Test":"[^"/]*"' | sed 's/"Test":"\(.*\)"/\1/' | sort -u
}
# The provider's tests every real pass skipped (a Kratix bug, a feature
# neither has, a fault only the emulator can stage) run against the
# emulator, so each test runs somewhere.
skipped_tests "$work/timing-${passes[0]}"-*.json >"$work/gaps"
for pass in "${passes[@]:1}"; do
	skipped_tests "$work/timing-$pass"-*.json | comm -12 "$work/gaps" - >"$work/gaps.next"
	mv "$work/gaps.next" "$work/gaps"
done
if [ -s "$work/gaps" ]; then
	echo "== the provider's tests no real pass ran, against the Kratix emulator: $(tr '\n' ' ' <"$work/gaps")"
	gaps_start=$SECONDS
	KRATIX_PLATFORM_MODE=emulator TF_ACC=1 "$gotestsum" --format pkgname-and-test-fails --format-icons text \
		--jsonfile-timing-events "$work/timing-emulator-gaps.json" -- -count=1 -timeout "$emulator_timeout" \
		-run "^($(paste -sd '|' "$work/gaps"))\$" ./internal/provider/ || emulator_rc=1
	emulator_wall=$((emulator_wall + SECONDS - gaps_start))
else
	echo "== every provider test ran in a real-Kratix pass: none left for the emulator"
fi
tofu_rc=0
wait "$tofu_pid" || tofu_rc=1
echo "== OpenTofu pass"
cat "$work/log-tofu"
for pass in "${passes[@]}"; do
	for ((i = 0; i < shards; i++)); do
		echo "== real-Kratix pass $pass, shard $i/$shards"
		cat "$work/log-$pass-$i"
	done
done

echo "== wall time of each pass"
echo "emulator: ${emulator_wall} s"
echo "OpenTofu: $(sed -n 's/^== OpenTofu pass done in \([0-9]*\) s.*/\1/p' "$work/log-tofu") s (after $(cat "$work/build-tofu-wall" 2>/dev/null || echo '?') s building or checking OpenTofu)"
for pass in "${passes[@]}"; do
	echo "real, $pass Kratix $(kratix_source "$pass"): its $shards shards took $(cat "$work"/wall-"$pass"-* 2>/dev/null | sort -n | tr '\n' ' ')s, after $(cat "$work/build-wall-$pass" 2>/dev/null || echo '?') s building or checking its Kratix"
done
echo "== builds (a cold cache builds everything; a warm one only checks)"
cat "$KRATIX_BUILD_TIMES"
cpu_used=$((($(cpu_busy) - cpu_started) / $(getconf CLK_TCK)))
wall=$((SECONDS - started))
echo "machine CPU: ${cpu_used} s busy over ${wall} s wall ($(awk -v c="$cpu_used" -v w="$wall" -v n="$(nproc)" 'BEGIN { printf "%.1f of %d cores", c / w, n }') on average)"
slowest=(emulator "${passes[@]}" tofu)
for pass in "${slowest[@]}"; do
	echo "== the 15 slowest tests of the $pass pass"
	cat "$work"/timing-"$pass"*.json >"$work/all-$pass.json"
	"$gotestsum" tool slowest --jsonfile "$work/all-$pass.json" --num 15
done
echo "== emulator pass: exit $emulator_rc; real-Kratix passes: exit $real_rc; OpenTofu pass: exit $tofu_rc"
[ "$emulator_rc" -eq 0 ] && [ "$real_rc" -eq 0 ] && [ "$tofu_rc" -eq 0 ]
