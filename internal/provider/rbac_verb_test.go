package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/acctest"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"

	harness "github.com/kratix-community/terraform-provider-kratix/internal/acctest"
)

// TestAccProvider_rbacRefusedCreateByApply: credentials RBAC lets patch
// but not create state stores. Creating one through server-side apply is
// refused by the API server's second check, for create; the diagnostic
// names that verb, not the request's patch.
func TestAccProvider_rbacRefusedCreateByApply(t *testing.T) {
	testAccPreCheck(t)
	harness.SkipOnExisting(t)
	env := harness.Current()
	grantLimited(t, []any{"get", "list", "watch", "patch"}, "gitstatestores")
	t.Setenv("KUBE_HOST", env.Host)
	t.Setenv("KUBE_TOKEN", env.LimitedToken)
	t.Setenv("KUBE_CLUSTER_CA_CERT_DATA", string(env.CAData))
	name := acctest.RandomWithPrefix("tf-acc-rbac")

	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: harness.RequiredProviders + `provider "kratix" {}` + gitStoreHCL(name, `  url = "https://git.example.com/platform/state.git"
  secret_ref = { name = "creds" }`),
			ExpectError: wrapped(fmt.Sprintf(`User %q may not create gitstatestores.platform.kratix.io %q (cluster-scoped) (a server-side apply needs patch, and also create when the object does not exist yet)`,
				env.LimitedUser, name)),
		}},
	})
}

var (
	clusterRolesGVR        = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"}
	clusterRoleBindingsGVR = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"}
	accessReviewsGVR       = schema.GroupVersionResource{Group: "authorization.k8s.io", Version: "v1", Resource: "subjectaccessreviews"}
)

// grantLimited binds the platform's limited user to a ClusterRole with verbs
// on platform.kratix.io resources for the test, and waits until RBAC
// answers with the grant.
func grantLimited(t *testing.T, verbs []any, resources ...any) {
	t.Helper()
	rule := map[string]any{"apiGroups": []any{"platform.kratix.io"}, "resources": resources, "verbs": verbs}
	bindLimited(t, []any{rule}, "platform.kratix.io", resources[0].(string), verbs[len(verbs)-1].(string))
}

// bindLimited binds the platform's limited user to a ClusterRole with rules
// for the test, and waits until RBAC allows it verb on group's resource.
func bindLimited(t *testing.T, rules []any, group, resource, verb string) {
	t.Helper()
	env := harness.Current()
	dyn := env.Dynamic(t)
	ctx := context.Background()
	name := acctest.RandomWithPrefix("tf-acc-limited")
	role := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": map[string]any{"name": name},
		"rules": rules,
	}}
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": map[string]any{"name": name},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
		"subjects": []any{map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": env.LimitedUser}},
	}}
	for gvr, obj := range map[schema.GroupVersionResource]*unstructured.Unstructured{clusterRolesGVR: role, clusterRoleBindingsGVR: binding} {
		if _, err := dyn.Resource(gvr).Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			t.Fatalf("creating %s %s: %v", gvr.Resource, name, err)
		}
		t.Cleanup(func() { _ = dyn.Resource(gvr).Delete(context.Background(), name, metav1.DeleteOptions{}) })
	}
	review := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
		"spec": map[string]any{"user": env.LimitedUser, "resourceAttributes": map[string]any{
			"group": group, "resource": resource, "verb": verb,
		}},
	}}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		out, err := dyn.Resource(accessReviewsGVR).Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		allowed, _, _ := unstructured.NestedBool(out.Object, "status", "allowed")
		return allowed, nil
	})
	if err != nil {
		t.Fatalf("RBAC did not grant %s the ClusterRole %s: %v", env.LimitedUser, name, err)
	}
}
