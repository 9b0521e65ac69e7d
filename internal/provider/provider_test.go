package provider

import (
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the
// Terraform CLI that the acceptance tests drive.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"kratix": testServer(New("test")()),
}

func TestMain(m *testing.M) {
	os.Exit(acctest.Run(m))
}

// testServer serves the provider as main.go does, for ProtoV6ProviderFactories.
func testServer(p provider.Provider) func() (tfprotov6.ProviderServer, error) {
	server := NewServer(p)
	return func() (tfprotov6.ProviderServer, error) { return server(), nil }
}

// testAccPreCheck skips without TF_ACC and checks the harness is up.
func testAccPreCheck(t *testing.T) {
	acctest.PreCheck(t)
}
