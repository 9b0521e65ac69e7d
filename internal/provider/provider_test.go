package provider

import (
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// testAccProtoV6ProviderFactories serves the provider in-process to the
// Terraform CLI that the acceptance tests drive.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"kratix": providerserver.NewProtocol6WithError(New("test")()),
}

func TestMain(m *testing.M) {
	os.Exit(acctest.Run(m))
}

// testAccPreCheck skips without TF_ACC and checks the harness is up.
func testAccPreCheck(t *testing.T) {
	acctest.PreCheck(t)
}
