#!/usr/bin/env bash
# Keeps the Registry docs and every example true:
#  1. docs/ is exactly what tfplugindocs renders from templates/ and examples/;
#  2. tfplugindocs validate accepts it, and no page (nor CHANGELOG.md)
#     mentions the test harness, make targets or repository paths;
#  3. every example directory passes terraform fmt and terraform validate
#     (the current Terraform) against the provider built from this tree
#     (through dev_overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
# The current Terraform renders the docs and validates the examples: the
# adoption guide's example needs Terraform 1.14.
tf="$(go run ./internal/cmd/terraform-current)"
export PATH="$(dirname "$tf"):$PATH"

scripts/timed.sh "docs generated (tfplugindocs)" scripts/generate.sh
if ! git diff --exit-code --stat -- docs examples; then
  echo "docs/ or examples/ are stale: run 'make generate' and commit the result" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- docs examples)" ]; then
  git status --porcelain -- docs examples
  echo "make generate created files that are not committed" >&2
  exit 1
fi
(cd tools && go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs validate --provider-dir .. --provider-name kratix)
# Registry pages and the changelog are for users: no test harness, make
# targets or repository paths.
scripts/check-docs-text.sh docs CHANGELOG.md

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/terraform-provider-kratix" .
cat > "$work/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "kratix-community/kratix" = "$work/bin"
  }
  direct {}
}
RC
terraform fmt -check -recursive examples
failed=0
for dir in $(find examples -name '*.tf' -exec dirname {} \; | sort -u); do
  copy="$work/examples/$dir"
  mkdir -p "$copy" && cp -r "$dir/." "$copy/"
  # Doc snippets omit required_providers; a real configuration has it.
  if ! grep -qs required_providers "$copy"/*.tf; then
    printf 'terraform {\n  required_providers {\n    kratix = { source = "kratix-community/kratix" }\n  }\n}\n' > "$copy/versions_check.tf"
  fi
  if (cd "$copy" && TF_CLI_CONFIG_FILE="$work/terraformrc" terraform validate -no-color > "$work/validate.log" 2>&1); then
    echo "ok   $dir"
  else
    echo "FAIL $dir"; cat "$work/validate.log"; failed=1
  fi
done
exit "$failed"
