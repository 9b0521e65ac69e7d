#!/usr/bin/env bash
# Checks the release the way a Registry user meets it:
#  1. `goreleaser check` accepts .goreleaser.yml;
#  2. a snapshot release of linux/amd64 is built with the real configuration
#     (archive, checksum and manifest names included);
#  3. that zip, laid out as a filesystem_mirror, installs with `terraform
#     init` for `source = "kratix-community/kratix"` (no dev_overrides) and
#     the configuration plans.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
timed=$PWD/scripts/timed.sh
GORELEASER_VERSION=v2.16.0
cache="${KRATIX_CACHE_DIR:-$HOME/.cache/terraform-provider-kratix}"
goreleaser="$cache/goreleaser-$GORELEASER_VERSION/goreleaser"
# Built without optimisation or debug information: goreleaser's own code
# does little here (go build does the work), and a cold build then costs
# 407 s of CPU instead of 653 s (measured on two cores).
if [ ! -x "$goreleaser" ]; then
  GOBIN="$(dirname "$goreleaser")" "$timed" goreleaser go install -gcflags=all=-N\ -l -ldflags=-s\ -w \
    "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# goreleaser wants a clean tree with a remote: use a throwaway clone.
git clone -q . "$work/src"
cd "$work/src"
git remote set-url origin https://github.com/kratix-community/terraform-provider-kratix.git
"$goreleaser" check

version=0.0.1
python3 - "$version" <<'PY'
import re, sys
cfg = open(".goreleaser.yml").read()
cfg = re.sub(r"goos:\n(\s+- \w+\n)+", "goos:\n      - linux\n", cfg)
cfg = re.sub(r"goarch:\n(\s+- \"?\w+\"?\n)+", "goarch:\n      - amd64\n", cfg)
cfg += f'snapshot:\n  version_template: "{sys.argv[1]}"\n'
open(".goreleaser.snapshot.yml", "w").write(cfg)
PY
"$timed" "goreleaser snapshot (the provider, linux/amd64)" "$goreleaser" release --snapshot --clean --skip=sign,publish,before --config .goreleaser.snapshot.yml > "$work/goreleaser.log" 2>&1 || { cat "$work/goreleaser.log"; exit 1; }
zip="dist/terraform-provider-kratix_${version}_linux_amd64.zip"
sums="dist/terraform-provider-kratix_${version}_SHA256SUMS"
# (the manifest itself is attached at publish time; the checksums list it)
for f in "$zip" "$sums"; do
  [ -f "$f" ] || { echo "missing release file $f"; ls dist; exit 1; }
done
grep -q "terraform-provider-kratix_${version}_manifest.json" "$sums" || { echo "the manifest is not in $sums"; exit 1; }
# The listing is read whole: `unzip -l | grep -q` fails under pipefail when
# grep exits at the first match and unzip gets SIGPIPE.
listing=$(unzip -l "$zip")
grep -q "terraform-provider-kratix_v${version}" <<<"$listing" || { echo "binary name in the zip is wrong"; echo "$listing"; exit 1; }

mirror="$work/mirror/registry.terraform.io/kratix-community/kratix"
mkdir -p "$mirror" && cp "$zip" "$mirror/"
cat > "$work/terraformrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/kratix-community/kratix"]
  }
}
RC
mkdir -p "$work/consumer"
cat > "$work/consumer/main.tf" <<'TF'
terraform {
  required_providers {
    kratix = { source = "kratix-community/kratix" }
  }
}
provider "kratix" {}
resource "kratix_resource_request" "example" {
  promise = "redis"
  name    = "example"
  spec    = { size = "small" }
}
TF
cd "$work/consumer"
TF_CLI_CONFIG_FILE="$work/terraformrc" terraform init -no-color -input=false > "$work/init.log" 2>&1 || { cat "$work/init.log"; exit 1; }
grep -q "Installed kratix-community/kratix v${version}" "$work/init.log" || { cat "$work/init.log"; exit 1; }
# No cluster is configured: the plan must still succeed (the provider
# connects lazily and a new request needs no cluster at plan time).
TF_CLI_CONFIG_FILE="$work/terraformrc" terraform plan -no-color -input=false > "$work/plan.log" 2>&1 || { cat "$work/plan.log"; exit 1; }
grep -q "1 to add" "$work/plan.log" || { cat "$work/plan.log"; exit 1; }
echo "release check ok: goreleaser check, snapshot zip, mirror install and plan of v${version}"
