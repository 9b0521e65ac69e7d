package kube

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/rest"
)

var (
	redisGVK = schema.GroupVersionKind{Group: "marketplace.kratix.io", Version: "v1alpha1", Kind: "redis"}
	redisGR  = schema.GroupResource{Group: "marketplace.kratix.io", Resource: "redis"}
	redisOp  = operation{verb: "patch", gvk: redisGVK, resource: redisGR, namespace: "team-a", name: "cache", host: "https://k8s.example"}
)

func assertContains(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got nil")
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message does not contain %q:\n%s", w, err)
		}
	}
}

func TestTranslateForbidden(t *testing.T) {
	raw := apierrors.NewForbidden(redisGR, "cache", errors.New(
		`User "system:serviceaccount:ci:terraform" cannot patch resource "redis" in API group "marketplace.kratix.io" in the namespace "team-a"`))
	err := translate(raw, redisOp)
	assertContains(t, err,
		`User "system:serviceaccount:ci:terraform"`, "may not patch", `redis.marketplace.kratix.io "cache" in namespace "team-a"`,
		`Grant the verb "patch" on resource "redis" in API group "marketplace.kratix.io"`,
		`a Role in namespace "team-a"`, "other credentials")
	if !IsForbidden(err) || !apierrors.IsForbidden(err) {
		t.Error("the wrapper hides the 403")
	}
	var ae *APIError
	if !errors.As(err, &ae) || ae.Unwrap() != raw {
		t.Error("Unwrap must give the original error")
	}

	promises := operation{verb: "delete", gvk: schema.GroupVersionKind{Group: "platform.kratix.io", Version: "v1alpha1", Kind: "Promise"},
		resource: schema.GroupResource{Group: "platform.kratix.io", Resource: "promises"}, name: "redis", clusterScoped: true}
	err = translate(apierrors.NewForbidden(promises.resource, "redis", errors.New("RBAC: access denied")), promises)
	assertContains(t, err, "the provider's credentials may not delete", `promises.platform.kratix.io "redis" (cluster-scoped)`,
		"a ClusterRole bound to that identity")
}

func TestTranslateKindNotServed(t *testing.T) {
	for name, raw := range map[string]error{
		"no kind match": &meta.NoKindMatchError{GroupKind: redisGVK.GroupKind(), SearchedVersions: []string{"v1alpha1"}},
		"404 on the resource path": apierrors.NewGenericServerResponse(http.StatusNotFound, "get",
			schema.GroupResource{}, "", "", 0, false),
	} {
		t.Run(name, func(t *testing.T) {
			err := translate(raw, redisOp)
			assertContains(t, err, "kind redis (marketplace.kratix.io/v1alpha1) is not served",
				"Promise or CustomResourceDefinition", "not yet Established")
			if !IsKindNotServed(err) {
				t.Error("IsKindNotServed = false")
			}
			if IsNotFound(err) {
				t.Error("an unserved kind must not look like a deleted object")
			}
		})
	}

	err := translate(apierrors.NewNotFound(redisGR, "cache"), redisOp)
	if !IsNotFound(err) || IsKindNotServed(err) {
		t.Errorf("object 404: IsNotFound %v IsKindNotServed %v", IsNotFound(err), IsKindNotServed(err))
	}
}

func TestTranslateApplyConflict(t *testing.T) {
	raw := apierrors.NewApplyConflict([]metav1.StatusCause{
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "kubectl-edit" using marketplace.kratix.io/v1alpha1`, Field: ".spec.size"},
		{Type: metav1.CauseTypeFieldManagerConflict, Message: `conflict with "argocd-controller"`, Field: ".metadata.labels.team"},
	}, "Apply failed with 2 conflicts")
	err := translate(raw, redisOp)
	assertContains(t, err, `.spec.size (owned by field manager "kubectl-edit")`,
		`.metadata.labels.team (owned by field manager "argocd-controller")`,
		"force_conflicts = true", "remove them from the configuration")
	if !IsConflict(err) {
		t.Error("IsConflict = false")
	}
}

func TestTranslateInvalid(t *testing.T) {
	raw := apierrors.NewInvalid(schema.GroupKind{Group: "marketplace.kratix.io", Kind: "redis"}, "cache", field.ErrorList{
		field.Required(field.NewPath("spec", "size"), ""),
		field.Invalid(field.NewPath("spec", "replicas"), -1, "must be >= 0"),
	})
	err := translate(raw, redisOp)
	assertContains(t, err, "rejected", "as invalid",
		"\n  - spec.size: Required value", "\n  - spec.replicas: Invalid value: -1: must be >= 0")
	if !apierrors.IsInvalid(err) {
		t.Error("the wrapper hides the 422")
	}
}

func TestTranslateUnauthorized(t *testing.T) {
	err := translate(apierrors.NewUnauthorized("Unauthorized"), redisOp)
	assertContains(t, err, "401", "rejected the provider's credentials", "expired")
	if !IsUnauthorized(err) {
		t.Error("IsUnauthorized = false")
	}
}

func TestTranslateUnreachable(t *testing.T) {
	err := translate(netErr(syscall.ECONNREFUSED), redisOp)
	assertContains(t, err, "cannot reach the Kubernetes API server at https://k8s.example")
}

// TestTranslateUnknownAuthority uses a real TLS handshake against a server
// whose certificate the client does not trust.
func TestTranslateUnknownAuthority(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	c := NewForConfig(&rest.Config{Host: srv.URL}, Options{RetryBackoff: fastBackoff})
	_, err := c.ServerVersion(context.Background())
	assertContains(t, err, "cluster CA certificate does not match", "cluster_ca_certificate", "insecure = true", srv.URL)
}

func TestTranslatePassesThroughKnownErrors(t *testing.T) {
	nc := &NotConfiguredError{}
	if got := translate(nc, redisOp); got != nc {
		t.Errorf("NotConfiguredError was rewrapped: %v", got)
	}
	first := translate(apierrors.NewNotFound(redisGR, "cache"), redisOp)
	if got := translate(first, redisOp); got != first {
		t.Errorf("APIError was rewrapped: %v", got)
	}
	if translate(nil, redisOp) != nil {
		t.Error("nil must stay nil")
	}
}

// An admission webhook's denial is a 403 too, but it is about the object,
// not the credentials.
func TestTranslateWebhookDenialIsNotRBAC(t *testing.T) {
	// What the webhook says can start on a new line.
	denied := apierrors.NewForbidden(schema.GroupResource{Group: "platform.kratix.io", Resource: "promises"}, "app",
		errors.New("admission webhook \"vpromise.kb.io\" denied the request: \nspec.workflows: secretKeyRef.key: Required value"))
	op := operation{verb: "patch", gvk: schema.GroupVersionKind{Group: "platform.kratix.io", Version: "v1alpha1", Kind: "Promise"},
		resource: schema.GroupResource{Group: "platform.kratix.io", Resource: "promises"}, name: "app", clusterScoped: true}
	msg := translate(denied, op).Error()
	for _, want := range []string{`admission webhook "vpromise.kb.io" refused it`, "secretKeyRef.key: Required value"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "RBAC refused") {
		t.Errorf("a webhook denial was reported as RBAC: %s", msg)
	}
}
