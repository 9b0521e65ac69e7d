package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// storeWithCredentials is a git store whose Secret the provider writes from
// write-only credentials, which the local Git server accepts; extra goes
// into the resource block.
func storeWithCredentials(name, secret, password, extra string) string {
	acceptGitToken("kratix-bot", password)
	return harness.Current().ProviderConfig() + gitStoreHCL(name, fmt.Sprintf(`  url = %q
  secret_ref = { name = %q }
  username_wo = "kratix-bot"
  password_wo = %q
  credentials_wo_version = 1
%s`, testGitURL(name), secret, password, extra))
}

// TestAccStateStore_existingSecretNotTakenOver: write-only credentials
// whose secret_ref names a Secret someone else created fail the apply
// without touching it, and say how to opt in; with
// adopt_existing_secret = true the credentials go in, the other keys stay,
// and destroy leaves the adopted Secret, without the provider's marks.
func TestAccStateStore_existingSecretNotTakenOver(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	secret := name + "-creds"
	theirs := map[string]string{"username": "someone", "password": "their-token", "unrelated": "keep-me"}
	createTestSecret(t, "default", secret, theirs)

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkGone(t, gone(gitStateStoresGVR, name)),
			checkSecretData(t, "default", secret, map[string]string{"username": "kratix-bot", "password": "our-token-Pq17", "unrelated": "keep-me"}),
			checkSecretMarks(t, secret, "", ""),
		),
		Steps: []resource.TestStep{
			{
				Config:      storeWithCredentials(name, secret, "our-token-Pq17", ""),
				ExpectError: wrapped("adopt_existing_secret = true"),
			},
			{
				// The refused apply wrote nothing: neither the Secret nor the store.
				PreConfig: func() {
					if err := checkSecretData(t, "default", secret, theirs)(nil); err != nil {
						t.Fatalf("the refused apply changed the existing Secret: %v", err)
					}
					if _, ann := readSecret(t, "default", secret); ann[annotationSecretOwner] != "" {
						t.Fatalf("the refused apply marked the existing Secret as the provider's: %v", ann)
					}
				},
				Config: storeWithCredentials(name, secret, "our-token-Pq17", "  adopt_existing_secret = true\n"),
				Check: resource.ComposeTestCheckFunc(
					checkSecretData(t, "default", secret, map[string]string{"username": "kratix-bot", "password": "our-token-Pq17", "unrelated": "keep-me"}),
					checkSecretMarks(t, secret, "GitStateStore/"+name, secretOriginAdopted),
				),
			},
		},
	})
}

// TestAccStateStore_secretAdoptedFromAnotherStore: a store that adopts the
// Secret another store created never deletes it: destroying the adopter
// leaves the Secret, which goes back to its creator, whose own destroy
// deletes it.
func TestAccStateStore_secretAdoptedFromAnotherStore(t *testing.T) {
	testAccPreCheck(t)
	creator := acctest.RandomWithPrefix("tf-acc-git")
	adopter, secret := creator+"-adopter", creator+"-creds"
	const password = "shared-token-Kw38"
	acceptGitToken("kratix-bot", password)
	store := func(resourceName, name, extra string) string {
		return strings.Replace(gitStoreHCL(name, fmt.Sprintf(`  url = %q
  secret_ref = { name = %q }
  username_wo = "kratix-bot"
  password_wo = %q
  credentials_wo_version = 1
%s`, testGitURL(creator), secret, password, extra)), `"test"`, strconv.Quote(resourceName), 1)
	}
	first := harness.Current().ProviderConfig() + store("creator", creator, "")
	both := first + store("adopter", adopter, "  adopt_existing_secret = true\n  depends_on = [kratix_git_state_store.creator]\n")
	credentials := map[string]string{"username": "kratix-bot", "password": password}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		// The creator's destroy deletes the Secret it created.
		CheckDestroy: checkGone(t, gone(gitStateStoresGVR, creator), goneSecret("default", secret)),
		Steps: []resource.TestStep{
			{Config: first, Check: checkSecretMarks(t, secret, "GitStateStore/"+creator, secretOriginCreated)},
			{Config: both, Check: checkSecretMarks(t, secret, "GitStateStore/"+adopter, secretOriginAdopted)},
			{
				// Destroying the adopter keeps the Secret the creator still uses.
				Config: first,
				Check: resource.ComposeTestCheckFunc(
					checkGone(t, gone(gitStateStoresGVR, adopter)),
					checkSecretData(t, "default", secret, credentials),
					checkSecretMarks(t, secret, "GitStateStore/"+creator, secretOriginCreated),
				),
			},
		},
	})
}

// TestAccStateStore_secretOfEarlierVersion: a Secret that carries only the
// owner mark earlier versions of the provider wrote (on Secrets they
// created and on Secrets they took over alike) is neither rewritten nor
// deleted without adopt_existing_secret: destroy keeps it and warns.
func TestAccStateStore_secretOfEarlierVersion(t *testing.T) {
	testAccPreCheck(t)
	name := acctest.RandomWithPrefix("tf-acc-git")
	secret, other := name+"-creds", name+"-other"
	owner := "GitStateStore/" + name
	createMarkedSecret(t, secret, owner, map[string]string{"username": "someone", "password": "their-token"})
	t.Cleanup(func() {
		_ = harness.Current().Dynamic(t).Resource(secretsGVR).Namespace("default").Delete(context.Background(), other, metav1.DeleteOptions{})
	})
	unmarkOrigin := func() {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null}}}`, annotationSecretOrigin)
		if _, err := harness.Current().Dynamic(t).Resource(secretsGVR).Namespace("default").Patch(context.Background(), other,
			"application/merge-patch+json", []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatalf("removing the origin mark: %v", err)
		}
	}

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkGone(t, gone(gitStateStoresGVR, name)),
			// Kept: its mark cannot tell whether the provider created it.
			checkSecretData(t, "default", other, map[string]string{"username": "kratix-bot", "password": "our-token-Pq17"}),
		),
		Steps: []resource.TestStep{
			{
				Config:      storeWithCredentials(name, secret, "our-token-Pq17", ""),
				ExpectError: wrapped("earlier version of the provider"),
			},
			{
				PreConfig: func() {
					if err := checkSecretData(t, "default", secret, map[string]string{"username": "someone", "password": "their-token"})(nil); err != nil {
						t.Fatalf("the refused apply changed the Secret: %v", err)
					}
				},
				// A Secret the provider creates now is marked as created...
				Config: storeWithCredentials(name, other, "our-token-Pq17", ""),
				Check:  checkSecretMarks(t, other, owner, secretOriginCreated),
			},
			{
				// ...and, once it looks like an earlier version's, destroy keeps it.
				PreConfig: unmarkOrigin,
				Config:    storeWithCredentials(name, other, "our-token-Pq17", ""),
				Destroy:   true,
			},
		},
	})
}

// createMarkedSecret creates a Secret with the marks earlier versions of the
// provider put on the Secrets they wrote, and deletes it after the test.
func createMarkedSecret(t *testing.T, name, owner string, data map[string]string) {
	t.Helper()
	encoded := map[string]any{}
	for k, v := range data {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{
			"name": name, "namespace": "default",
			"labels":      map[string]any{labelManagedBy: managedByProvider},
			"annotations": map[string]any{annotationSecretOwner: owner},
		},
		"data": encoded,
	}}
	client := harness.Current().Dynamic(t).Resource(secretsGVR).Namespace("default")
	if _, err := client.Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating Secret %s: %v", name, err)
	}
	t.Cleanup(func() { _ = client.Delete(context.Background(), name, metav1.DeleteOptions{}) })
}

// checkSecretMarks asserts the provider's ownership marks on a Secret.
func checkSecretMarks(t *testing.T, name, owner, origin string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		_, ann := readSecret(t, "default", name)
		if ann[annotationSecretOwner] != owner || ann[annotationSecretOrigin] != origin {
			return fmt.Errorf("Secret %s has annotations %v; want owner %q and origin %q", name, ann, owner, origin)
		}
		return nil
	}
}
