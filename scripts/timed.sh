#!/usr/bin/env bash
# Runs a command; when KRATIX_BUILD_TIMES names a file, appends to it the
# command's label, wall time and CPU time (user+sys, the processes it waited
# for included), so that `make test` can say where a cold run's time went.
#
# Usage: scripts/timed.sh LABEL COMMAND [ARG...]
label=$1
shift
[ -n "${KRATIX_BUILD_TIMES:-}" ] || exec "$@"
times=$(mktemp)
TIMEFORMAT='%R %U %S'
{ time "$@" 2>&3; } 3>&2 2>"$times"
rc=$?
read -r wall user sys <"$times"
rm -f "$times"
awk -v l="$label" -v w="$wall" -v u="$user" -v s="$sys" -v rc="$rc" \
	'BEGIN { printf "%-44s %7.0f s wall %7.0f s CPU%s\n", l, w, u + s, (rc ? " (failed)" : "") }' >>"$KRATIX_BUILD_TIMES"
exit "$rc"
