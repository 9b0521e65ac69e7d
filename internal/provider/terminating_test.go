package provider

import (
	"context"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccResourceRequest_terminatingWarns: a request someone deleted but a
// finalizer still holds is not healthy; refresh says so and names the
// finalizer.
func TestAccResourceRequest_terminatingWarns(t *testing.T) {
	testAccPreCheck(t)
	p := newTestPromise()
	cli := newTerraformCLI(t, harness.Current().ProviderConfig()+p.HCL()+requestHCL(`{ replicas = 1 }`, ""))
	t.Cleanup(func() {
		if out, err := cli.try("destroy", "-auto-approve", "-input=false"); err != nil {
			t.Errorf("terraform destroy: %v\n%s", err, out)
		}
	})
	cli.run("apply", "-auto-approve", "-input=false")

	const hold = "tf-acc.kratix.io/hold"
	requests := harness.Current().Dynamic(t).Resource(p.gvr()).Namespace("default")
	editFinalizers(t, requests, "example", func(f []string) []string { return append(f, hold) })
	t.Cleanup(func() {
		editFinalizers(t, requests, "example", func(f []string) []string {
			return slices.DeleteFunc(f, func(s string) bool { return s == hold })
		})
	})
	if err := requests.Delete(context.Background(), "example", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}

	out := cli.run("plan", "-input=false")
	for _, want := range []string{"Warning: " + p.Kind + " default/example is being deleted", `"` + hold + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan does not say %q:\n%s", want, out)
		}
	}
}

// editFinalizers changes an object's finalizers as an admin would with
// kubectl edit; an object already gone is left alone.
func editFinalizers(t *testing.T, client dynamic.ResourceInterface, name string, edit func([]string) []string) {
	t.Helper()
	ctx := context.Background()
	obj, err := client.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	obj.SetFinalizers(edit(obj.GetFinalizers()))
	if _, err := client.Update(ctx, obj, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}
