//go:build generate

// Package tools runs code generators: `make generate` (scripts/generate.sh,
// which puts the current Terraform first on PATH, then go generate ./...
// here) formats the examples and renders docs/ from templates/ and
// examples/ with tfplugindocs, using the terraform on PATH (never a
// download).
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)

//go:generate terraform fmt -recursive ../examples/
//go:generate go run github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs generate --provider-dir .. --provider-name kratix
