package provider

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8stypes "k8s.io/apimachinery/pkg/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// The Secret a state store reads its credentials from, when the provider
// writes and owns it: where it goes, what goes in it, and the plan-time
// checks on the write-only arguments that fill it. Values are only ever
// read from the configuration, written to the API, and masked in logs.

// credentialAttr ties a write-only argument to the Secret key Kratix reads.
type credentialAttr struct {
	Attr string
	Key  string
}

// secretTarget is where a store's Secret lives.
type secretTarget struct {
	Namespace, Name string
}

func (t secretTarget) String() string { return t.Namespace + "/" + t.Name }

func secretTargetFrom(o types.Object) *secretTarget {
	if o.IsNull() || o.IsUnknown() {
		return nil
	}
	attrs := o.Attributes()
	name, _ := attrs["name"].(types.String)
	ns, _ := attrs["namespace"].(types.String)
	if name.IsNull() || name.IsUnknown() || ns.IsUnknown() {
		return nil
	}
	return &secretTarget{Namespace: ns.ValueString(), Name: name.ValueString()}
}

func sameTarget(a, b *secretTarget) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// maskCredentials keeps credential values out of every log line written
// through ctx, whatever field or message they might end up in.
func maskCredentials(ctx context.Context, creds map[string]string) context.Context {
	var values []string
	for _, v := range creds {
		if v != "" {
			values = append(values, v)
		}
	}
	if len(values) == 0 {
		return ctx
	}
	ctx = tflog.MaskAllFieldValuesStrings(ctx, values...)
	return tflog.MaskMessageStrings(ctx, values...)
}

func writeOwnedSecret(ctx context.Context, data *providerData, owner string, t secretTarget, creds map[string]string) error {
	encoded := make(map[string]any, len(creds))
	for k, v := range creds {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata": map[string]any{
			"name":        t.Name,
			"namespace":   t.Namespace,
			"labels":      map[string]any{labelManagedBy: managedByProvider},
			"annotations": map[string]any{annotationSecretOwner: owner},
		},
		"type": "Opaque",
		"data": encoded,
	}}
	_, err := data.Client.Apply(ctx, secret, kube.ApplyOptions{FieldManager: data.FieldManager, Force: true})
	return err
}

// deleteOwnedSecret deletes the Secret only if this provider wrote it for
// this store; a Secret someone else manages is left alone.
func deleteOwnedSecret(ctx context.Context, data *providerData, owner string, t secretTarget) error {
	obj, err := data.Client.Get(ctx, secretGVK, t.Namespace, t.Name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.GetAnnotations()[annotationSecretOwner] != owner {
		tflog.Debug(ctx, "not deleting a Secret the provider does not own", map[string]any{"secret": t.String(), "store": owner})
		return nil
	}
	return data.Client.Delete(ctx, secretGVK, t.Namespace, t.Name, deleteOptions())
}

// disownSecret removes the provider's ownership mark from a Secret it wrote,
// keeping its data, so that a later destroy leaves it alone.
func disownSecret(ctx context.Context, data *providerData, owner string, t secretTarget) error {
	obj, err := data.Client.Get(ctx, secretGVK, t.Namespace, t.Name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if obj.GetAnnotations()[annotationSecretOwner] != owner {
		return nil
	}
	ri, err := data.Client.Resource(ctx, secretGVK, t.Namespace)
	if err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:null},"labels":{%q:null}}}`, annotationSecretOwner, labelManagedBy)
	_, err = ri.Patch(ctx, t.Name, k8stypes.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: data.FieldManager})
	return err
}

// ownedSecretIntact reports whether the owned Secret still exists with
// every key Kratix reads for the auth method. Values are never read out.
func ownedSecretIntact(ctx context.Context, data *providerData, c storeCommon) (bool, error) {
	t := secretTargetFrom(c.SecretRef)
	if t == nil {
		return true, nil
	}
	obj, err := data.Client.Get(ctx, secretGVK, t.Namespace, t.Name)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	stored, _, _ := unstructured.NestedMap(obj.Object, "data")
	for _, k := range kratix.SecretKeys(c.Kind, c.AuthMethod) {
		if _, ok := stored[k]; !ok {
			return false, nil
		}
	}
	return true, nil
}

// configCredentials reads the write-only arguments, which only the
// configuration carries (they are always null in plan and state).
func configCredentials(ctx context.Context, cfg tfsdk.Config, attrs []credentialAttr, diags *diag.Diagnostics) map[string]string {
	out := map[string]string{}
	for _, a := range attrs {
		var v types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root(a.Attr), &v)...)
		if !v.IsNull() && !v.IsUnknown() {
			out[a.Key] = v.ValueString()
		}
	}
	return out
}

// validateStoreCredentials checks at plan time that the write-only
// credentials fit the auth method and come with a version and a secret_ref.
func validateStoreCredentials(ctx context.Context, cfg tfsdk.Config, kind string, attrs []credentialAttr, diags *diag.Diagnostics) {
	var method types.String
	var version types.Int64
	var secretRef types.Object
	diags.Append(cfg.GetAttribute(ctx, path.Root("auth_method"), &method)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("credentials_wo_version"), &version)...)
	diags.Append(cfg.GetAttribute(ctx, path.Root("secret_ref"), &secretRef)...)
	if diags.HasError() {
		return
	}
	attrFor := map[string]string{}
	var provided []string
	for _, a := range attrs {
		attrFor[a.Key] = a.Attr
		var v types.String
		diags.Append(cfg.GetAttribute(ctx, path.Root(a.Attr), &v)...)
		if !v.IsNull() {
			provided = append(provided, a.Key)
		}
	}
	if !method.IsUnknown() {
		m := method.ValueString()
		if method.IsNull() {
			m = defaultAuthMethod(kind)
		}
		for _, p := range kratix.CheckCredentials(kind, m, provided) {
			diags.AddAttributeError(path.Root(attrFor[p.Key]), "Credentials do not match auth_method", p.Message+" Set "+attrFor[p.Key]+
				" accordingly, or change auth_method.")
		}
	}
	switch {
	case len(provided) > 0 && version.IsNull():
		diags.AddAttributeError(path.Root("credentials_wo_version"), "credentials_wo_version is required with credentials",
			"Write-only credentials are never stored, so Terraform cannot see when they change. Set credentials_wo_version "+
				"(e.g. 1) and increase it whenever the credentials change: that is what makes the provider write the Secret again.")
	case len(provided) == 0 && !version.IsNull():
		diags.AddAttributeError(path.Root("credentials_wo_version"), "credentials_wo_version without credentials",
			"credentials_wo_version versions the write-only credentials (the *_wo arguments), but none is set. Set the "+
				"credentials, or remove credentials_wo_version when the Secret is managed elsewhere.")
	}
	if len(provided) > 0 && secretRef.IsNull() {
		diags.AddAttributeError(path.Root("secret_ref"), "secret_ref is required with credentials",
			"secret_ref names the Secret the provider writes the credentials to (and deletes on destroy).")
	}
}

func defaultAuthMethod(kind string) string {
	if kind == kratix.BucketStateStoreKind {
		return kratix.DefaultBucketAuthMethod
	}
	return kratix.DefaultGitAuthMethod
}
