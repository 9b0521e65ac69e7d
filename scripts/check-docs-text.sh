#!/usr/bin/env bash
# Registry pages are for users of the provider, not for its developers: none
# may mention the project's test harness (the Kratix emulator, acceptance
# tests, TF_ACC), its `make` targets, or paths inside this repository.
# Usage: check-docs-text.sh [PATH...] (default docs). Exits 1, listing each
# offending line, when a page does.
set -euo pipefail
cd "$(dirname "$0")/.."
paths=("${@:-docs}")

patterns=(
  '[Ee]mulator'
  '[Aa]cceptance[ -]test'
  'TF_ACC'
  'TestAcc'
  '`make[` ]'
  '(^|\$ |; |&& )[[:space:]]*make [a-z-]*(demo|test|platform|generate|install|build|lint|fmt|check|release|bench|unit|vet|help)'
  'GNUmakefile|BENCHMARKS\.md'
  '(^|[^a-zA-Z0-9_./-])(internal|scripts|tools|bench|examples|templates)/[a-zA-Z0-9_./-]+'
  '\.platform/'
  'kratix-platform (up|down|stores)'
)
failed=0
for pattern in "${patterns[@]}"; do
  if hits="$(grep -rnE -- "$pattern" "${paths[@]}")"; then
    echo "$hits" | sed "s|^|  |" >&2
    echo "^ matches '$pattern': Registry pages must not mention the repository's tests, make targets or internal paths" >&2
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "Fix the templates/ or examples/ that generate these pages (or the schema descriptions), then run 'make generate'." >&2
fi
exit "$failed"
