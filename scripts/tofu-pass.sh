#!/usr/bin/env bash
# The OpenTofu pass: the provider's acceptance tests that show it works on
# OpenTofu, run on OpenTofu (KRATIX_TEST_CLI=tofu; platform.OpenTofuVersion,
# built into the cache by `make tofu`) against the Kratix emulator: the
# provider functions, the quickstart, every marketplace Promise and request
# of the corpus, imports (by ID and by identity), provider configuration,
# the state stores' write-only credentials, destroy, and what OpenTofu says
# about list resources and actions, which it lacks.
#
# Usage: scripts/tofu-pass.sh GOTESTSUM TIMEOUT [JSONFILE]
set -uo pipefail
gotestsum=$1
timeout=$2
jsonfile=${3:-}
cd "$(dirname "$0")/.."
tests='TestAccOpenTofu.*|Test[A-Za-z]*Function|TestAccQuickstart.*|TestAccCorpus|TestAccImport.*|TestAcc[A-Za-z]*_import.*|TestAccIdentity.*'
tests+='|TestAccProvider_.*|TestAcc[A-Za-z]*StateStore_(writeOnly|credentials).*|TestAccDestroy.*|TestAcc[A-Za-z]*_(force)?[dD]estroy.*'
start=$SECONDS
KRATIX_TEST_CLI=tofu KRATIX_PLATFORM_MODE=emulator TF_ACC=1 "$gotestsum" --format pkgname-and-test-fails --format-icons text \
	${jsonfile:+--jsonfile-timing-events "$jsonfile"} -- -count=1 -timeout "$timeout" -run "^($tests)\$" ./internal/provider/
rc=$?
echo "== OpenTofu pass done in $((SECONDS - start)) s (exit $rc)"
exit $rc
