package provider

import (
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestConflictsOnlyOn(t *testing.T) {
	conflict := func(fields ...string) error {
		causes := make([]metav1.StatusCause, 0, len(fields))
		for _, f := range fields {
			causes = append(causes, metav1.StatusCause{Type: metav1.CauseTypeFieldManagerConflict, Field: f, Message: `conflict with "manager"`})
		}
		err := apierrors.NewConflict(schema.GroupResource{Group: "platform.kratix.io", Resource: "promisereleases"}, "x", nil)
		err.ErrStatus.Details.Causes = causes
		return err
	}
	cases := []struct {
		err  error
		want bool
	}{
		{conflict(".spec.version"), true},
		{&kubeAPIErrorWrapper{conflict(".spec.version")}, true},
		{conflict(".spec.version", ".spec.sourceRef.url"), false},
		{conflict(".spec.sourceRef.url"), false},
		{conflict(), false},
		{apierrors.NewNotFound(schema.GroupResource{}, "x"), false},
	}
	for i, tc := range cases {
		if got := conflictsOnlyOn(tc.err, ".spec.version"); got != tc.want {
			t.Errorf("case %d (%v): got %v, want %v", i, tc.err, got, tc.want)
		}
	}
}

type kubeAPIErrorWrapper struct{ err error }

func (w *kubeAPIErrorWrapper) Error() string { return "wrapped: " + w.err.Error() }
func (w *kubeAPIErrorWrapper) Unwrap() error { return w.err }

func TestBuildRelease(t *testing.T) {
	plan := &promiseReleaseModel{
		Name: types.StringValue("redis"), URL: types.StringValue("https://example.com/promise.yaml"),
		AuthorizationSecretRef: types.ObjectValueMust(secretRefAttrTypes, map[string]attr.Value{
			"name": types.StringValue("token"), "namespace": types.StringValue("default"),
		}),
	}
	sourceRef := map[string]any{"type": "http", "url": "https://example.com/promise.yaml",
		"secretRef": map[string]any{"name": "token", "namespace": "default"}}
	for _, tc := range []struct {
		name    string
		version types.String
		clear   bool
		want    map[string]any
	}{
		{"version unset: Kratix records it", types.StringNull(), false, map[string]any{"sourceRef": sourceRef}},
		{"version unset, new url: cleared", types.StringNull(), true, map[string]any{"sourceRef": sourceRef, "version": ""}},
		{"version configured", types.StringValue("v1.2.0"), false, map[string]any{"sourceRef": sourceRef, "version": "v1.2.0"}},
	} {
		obj := buildRelease(plan, tc.version, tc.clear)
		if obj.GetName() != "redis" || obj.GetKind() != "PromiseRelease" || !reflect.DeepEqual(obj.Object["spec"], tc.want) {
			t.Errorf("%s: got %v", tc.name, obj.Object)
		}
	}
}
