#!/usr/bin/env bash
# Renders docs/ from templates/ and examples/ (tfplugindocs) and formats the
# examples, with the current Terraform first on PATH: Terraform before 1.14
# leaves list resources and actions out of the provider schema, and their
# pages with it. The current Terraform is built into the cache once.
set -euo pipefail
cd "$(dirname "$0")/.."
tf="$(go run ./internal/cmd/terraform-current)"
export PATH="$(dirname "$tf"):$PATH"
cd tools && go generate ./...
