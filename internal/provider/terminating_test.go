package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccResourceRequest_terminatingWarns: a request someone deleted but a
// finalizer still holds is not healthy; refresh says so and names the
// finalizer.
func TestAccResourceRequest_terminatingWarns(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL()+requestHCL(`{ replicas = 1 }`, ""))
	requests := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default")
	expectTerminatingWarning(t, cli, requests, "example", p.Kind+" default/example is being deleted")
}

// TestAccPromise_terminatingWarns: the same for a Promise, whose deletion
// Kratix carries out (its requests, its API) while someone else's finalizer
// holds the Promise itself.
func TestAccPromise_terminatingWarns(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	cli := appliedCLI(t, harness.Current().ProviderConfig()+p.HCL())
	promises := harness.Current().Dynamic(t).Resource(promisesGVR)
	expectTerminatingWarning(t, cli, promises, p.Name, "Promise "+p.Name+" is being deleted")
}

// appliedCLI applies the configuration and destroys it when the test ends.
func appliedCLI(t *testing.T, config string) *terraformCLI {
	t.Helper()
	cli := newTerraformCLI(t, config)
	t.Cleanup(func() {
		if out, err := cli.try("destroy", "-auto-approve", "-input=false"); err != nil {
			t.Errorf("terraform destroy: %v\n%s", err, out)
		}
	})
	cli.run("apply", "-auto-approve", "-input=false")
	return cli
}

// expectTerminatingWarning holds the object with a finalizer of its own,
// deletes it as an admin would, and expects the next plan to warn, naming
// the finalizer. The finalizer goes when the test ends.
func expectTerminatingWarning(t *testing.T, cli *terraformCLI, client dynamic.ResourceInterface, name, summary string) {
	t.Helper()
	const hold = "tf-acc.kratix.io/hold"
	editFinalizers(t, client, name, func(f []string) []string { return append(f, hold) })
	t.Cleanup(func() {
		editFinalizers(t, client, name, func(f []string) []string {
			return slices.DeleteFunc(f, func(s string) bool { return s == hold })
		})
	})
	if err := client.Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	out := cli.run("plan", "-input=false")
	for _, want := range []string{"Warning: " + summary, `"` + hold + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
}

// editFinalizers changes an object's finalizers as an admin would with
// kubectl edit, again on a conflict with Kratix's own writes; an object
// already gone is left alone.
func editFinalizers(t *testing.T, client dynamic.ResourceInterface, name string, edit func([]string) []string) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		obj, err := client.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		obj.SetFinalizers(edit(obj.GetFinalizers()))
		_, err = client.Update(ctx, obj, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("editing the finalizers of %s: %v", name, err)
	}
}
