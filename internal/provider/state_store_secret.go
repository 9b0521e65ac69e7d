package provider

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

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

// secretOwnership is what a Secret's marks say about who owns it.
type secretOwnership int

const (
	// secretForeign: written by someone else, or for another store.
	secretForeign secretOwnership = iota
	// secretCreated: created by the provider for this store, the only
	// Secret a store deletes.
	secretCreated
	// secretAdopted: taken over by this store with adopt_existing_secret.
	// The store writes it but never deletes it: someone else made it, and
	// may still use it.
	secretAdopted
	// secretEarlierMark: the owner mark of an earlier version of the
	// provider, which also marked Secrets it overwrote: it does not prove
	// that the provider created the Secret.
	secretEarlierMark
)

func ownershipOf(obj *unstructured.Unstructured, owner string) secretOwnership {
	ann := obj.GetAnnotations()
	switch {
	case ann[annotationSecretOwner] != owner:
		return secretForeign
	case ann[annotationSecretOrigin] == secretOriginCreated:
		return secretCreated
	case ann[annotationSecretOrigin] == secretOriginAdopted:
		return secretAdopted
	}
	return secretEarlierMark
}

// writable reports whether a store may write the Secret without adopting it.
func (o secretOwnership) writable() bool { return o == secretCreated || o == secretAdopted }

// secretCreator is the store that created the Secret, "" when it was not a
// store. Adoption keeps it, so that the adopter can hand the Secret back.
func secretCreator(obj *unstructured.Unstructured) string {
	ann := obj.GetAnnotations()
	if c := ann[annotationSecretCreator]; c != "" {
		return c
	}
	if ann[annotationSecretOrigin] == secretOriginCreated {
		return ann[annotationSecretOwner] // written before the creator mark existed
	}
	return ""
}

// secretWrite is one write of a store's credentials into its Secret.
type secretWrite struct {
	owner  string
	target secretTarget
	creds  map[string]string
	// credentialKeys are every key the store kind reads, whatever the auth
	// method: those not in creds are removed, the Secret's other keys kept.
	credentialKeys []string
	adopt          bool
}

// maxSecretWriteAttempts bounds the read-check-write loop when someone else
// changes the Secret between the read and the write.
const maxSecretWriteAttempts = 5

// writeStoreSecret creates the Secret, or updates it when the provider owns
// it (or adopt allows taking it over). Every write is conditional on what
// was read (create fails if it exists, update if it changed), so a Secret
// someone else creates or changes meanwhile is never overwritten unchecked.
func writeStoreSecret(ctx context.Context, data *providerData, w secretWrite) error {
	for attempt := 1; ; attempt++ {
		existing, err := data.Client.Get(ctx, secretGVK, w.target.Namespace, w.target.Name)
		switch {
		case isNotFound(err):
			_, err = data.Client.Create(ctx, w.newSecret(), kube.WriteOptions{FieldManager: data.FieldManager})
			if !kube.IsAlreadyExists(err) {
				return err
			}
		case err != nil:
			return err
		default:
			updated, refusal := w.update(existing)
			if refusal != nil {
				return refusal
			}
			_, err = data.Client.Update(ctx, updated, kube.WriteOptions{FieldManager: data.FieldManager})
			if !kube.IsConflict(err) {
				return err
			}
		}
		if attempt >= maxSecretWriteAttempts {
			return fmt.Errorf("the Secret %s kept changing while the provider wrote it (%d attempts): %w", w.target, attempt, err)
		}
	}
}

func (w secretWrite) newSecret() *unstructured.Unstructured {
	encoded := make(map[string]any, len(w.creds))
	for k, v := range w.creds {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata": map[string]any{
			"name":        w.target.Name,
			"namespace":   w.target.Namespace,
			"labels":      map[string]any{labelManagedBy: managedByProvider},
			"annotations": map[string]any{annotationSecretOwner: w.owner, annotationSecretOrigin: secretOriginCreated, annotationSecretCreator: w.owner},
		},
		"type": "Opaque",
		"data": encoded,
	}}
}

// update returns the existing Secret with the credentials written in, or
// an error saying why the provider may not write it.
func (w secretWrite) update(existing *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	origin := existing.GetAnnotations()[annotationSecretOrigin]
	if ownership := ownershipOf(existing, w.owner); !ownership.writable() {
		if !w.adopt {
			return nil, &notOwnedSecretError{target: w.target, owner: w.owner, ownership: ownership, keys: sortedKeys(secretData(existing))}
		}
		origin = secretOriginAdopted
	}
	creator := secretCreator(existing)
	out := existing.DeepCopy()
	stored := secretData(out)
	for _, k := range w.credentialKeys {
		delete(stored, k)
	}
	for k, v := range w.creds {
		stored[k] = base64.StdEncoding.EncodeToString([]byte(v))
	}
	out.Object["data"] = stored
	labels := out.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[labelManagedBy] = managedByProvider
	out.SetLabels(labels)
	ann := out.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[annotationSecretOwner], ann[annotationSecretOrigin] = w.owner, origin
	if creator != "" {
		ann[annotationSecretCreator] = creator
	}
	out.SetAnnotations(ann)
	return out, nil
}

// secretData is the Secret's data map (base64 values, never decoded here).
func secretData(obj *unstructured.Unstructured) map[string]any {
	data, _, _ := unstructured.NestedMap(obj.Object, "data")
	if data == nil {
		data = map[string]any{}
	}
	return data
}

// notOwnedSecretError refuses to write a Secret the provider does not own.
type notOwnedSecretError struct {
	target    secretTarget
	owner     string
	ownership secretOwnership
	keys      []string
}

func (e *notOwnedSecretError) Error() string {
	why := fmt.Sprintf("The Secret %s already exists and the provider did not create it for %s (it holds the keys %s).",
		e.target, e.owner, strings.Join(e.keys, ", "))
	if e.ownership == secretEarlierMark {
		why = fmt.Sprintf("The Secret %s carries the mark of an earlier version of the provider, which marked Secrets it "+
			"overwrote as well as those it created, so it may not be the provider's to overwrite.", e.target)
	}
	return why + " The provider never overwrites or deletes a Secret it did not create unless told to. Either:\n" +
		"  - use the Secret as it is: keep secret_ref and remove the *_wo arguments and credentials_wo_version;\n" +
		"  - or name a Secret that does not exist yet in secret_ref, and the provider creates and owns it;\n" +
		"  - or set adopt_existing_secret = true to let the provider take this Secret over: it writes the credentials " +
		"into it (other keys are kept), and destroy leaves it in place."
}

// deleteOwnedSecret deletes the Secret only if the provider created it for
// this store; a Secret the store adopted is released instead. It returns
// why it kept a Secret that carries the provider's mark, or "".
func deleteOwnedSecret(ctx context.Context, data *providerData, owner string, t secretTarget) (string, error) {
	obj, err := data.Client.Get(ctx, secretGVK, t.Namespace, t.Name)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	switch ownershipOf(obj, owner) {
	case secretForeign:
		tflog.Debug(ctx, "not deleting a Secret the provider does not own", map[string]any{"secret": t.String(), "store": owner})
		return "", disclaimCreation(ctx, data, obj, owner)
	case secretAdopted:
		tflog.Debug(ctx, "releasing, not deleting, a Secret the store adopted", map[string]any{"secret": t.String(), "store": owner})
		return "", releaseSecret(ctx, data, obj)
	case secretEarlierMark:
		return fmt.Sprintf("The Secret %s carries the mark of an earlier version of the provider, which cannot tell whether "+
			"the provider created it, so it was kept. Delete it yourself if nothing else uses it: kubectl delete secret -n %s %s",
			t, t.Namespace, t.Name), nil
	}
	opts := deleteOptions()
	uid, rv := obj.GetUID(), obj.GetResourceVersion()
	opts.Preconditions = &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}
	err = data.Client.Delete(ctx, secretGVK, t.Namespace, t.Name, opts)
	if kube.IsConflict(err) {
		return "", fmt.Errorf("the Secret %s changed while the provider deleted it; it was kept, apply or destroy again: %w", t, err)
	}
	return "", err
}

// disownSecret releases a Secret the store owns, keeping its data, so that
// a later destroy leaves it alone.
func disownSecret(ctx context.Context, data *providerData, owner string, t secretTarget) error {
	obj, err := data.Client.Get(ctx, secretGVK, t.Namespace, t.Name)
	if isNotFound(err) {
		return nil
	}
	if err != nil || ownershipOf(obj, owner) == secretForeign {
		return err
	}
	return releaseSecret(ctx, data, obj)
}

// releaseSecret removes the releasing store's marks. A Secret another store
// created goes back to that store, which may write and delete it again;
// any other loses the provider's marks.
func releaseSecret(ctx context.Context, data *providerData, obj *unstructured.Unstructured) error {
	owner, origin, managedBy := "null", "null", "null"
	if creator := secretCreator(obj); creator != "" && creator != obj.GetAnnotations()[annotationSecretOwner] {
		owner, origin, managedBy = strconv.Quote(creator), strconv.Quote(secretOriginCreated), strconv.Quote(managedByProvider)
	}
	patch := fmt.Sprintf(`{"metadata":{"uid":%q,"annotations":{%q:%s,%q:%s,%q:%s},"labels":{%q:%s}}}`, obj.GetUID(),
		annotationSecretOwner, owner, annotationSecretOrigin, origin, annotationSecretCreator, owner, labelManagedBy, managedBy)
	return patchSecret(ctx, data, obj, patch)
}

// disclaimCreation drops the creator mark of a store that goes away while
// another store holds the Secret it created, so that the Secret is never
// handed back to a store that no longer exists.
func disclaimCreation(ctx context.Context, data *providerData, obj *unstructured.Unstructured, owner string) error {
	if obj.GetAnnotations()[annotationSecretCreator] != owner {
		return nil
	}
	return patchSecret(ctx, data, obj, fmt.Sprintf(`{"metadata":{"uid":%q,"annotations":{%q:null}}}`, obj.GetUID(), annotationSecretCreator))
}

// patchSecret merge-patches the Secret obj; the patch pins its uid.
func patchSecret(ctx context.Context, data *providerData, obj *unstructured.Unstructured, patch string) error {
	_, err := data.Client.MergePatch(ctx, secretGVK, obj.GetNamespace(), obj.GetName(), []byte(patch), kube.WriteOptions{FieldManager: data.FieldManager})
	if isNotFound(err) {
		return nil
	}
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
	var adopt types.Bool
	diags.Append(cfg.GetAttribute(ctx, path.Root("adopt_existing_secret"), &adopt)...)
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
	if len(provided) == 0 && adopt.ValueBool() {
		diags.AddAttributeError(path.Root("adopt_existing_secret"), "adopt_existing_secret without credentials",
			"adopt_existing_secret lets the provider take over an existing Secret to write the write-only credentials (the *_wo "+
				"arguments) into, but none is set. Remove it to use the Secret named by secret_ref as it is.")
	}
	if len(provided) > 0 && secretRef.IsNull() {
		diags.AddAttributeError(path.Root("secret_ref"), "secret_ref is required with credentials",
			"secret_ref names the Secret the provider writes the credentials to (and deletes on destroy).")
	}
}

// allSecretKeys is every Secret key a store of kind may read.
func allSecretKeys(kind string) []string {
	methods := kratix.GitAuthMethods
	if kind == kratix.BucketStateStoreKind {
		methods = kratix.BucketAuthMethods
	}
	var keys []string
	for _, m := range methods {
		keys = append(keys, kratix.SecretKeys(kind, m)...)
	}
	return keys
}

func defaultAuthMethod(kind string) string {
	if kind == kratix.BucketStateStoreKind {
		return kratix.DefaultBucketAuthMethod
	}
	return kratix.DefaultGitAuthMethod
}
