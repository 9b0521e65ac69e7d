package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// Shared by kratix_git_state_store and kratix_bucket_state_store: the
// Secret the provider may own, the apply-then-wait sequence, and status.

const (
	// annotationSecretOwner marks a Secret this provider wrote for a state
	// store ("<Kind>/<name>"); only such a Secret is ever deleted.
	annotationSecretOwner = "terraform.kratix-community.github.io/owner"
	// annotationSecretOrigin says how the provider came to own the Secret:
	// it created it, or adopted an existing one (adopt_existing_secret).
	// Earlier versions did not write it, and put the owner mark on Secrets
	// they overwrote as well as on those they created.
	annotationSecretOrigin = "terraform.kratix-community.github.io/secret-origin"
	secretOriginCreated    = "created"
	secretOriginAdopted    = "adopted"
	// annotationSecretCreator names the store that created the Secret.
	// Adopting the Secret leaves it as it is: only its creator ever deletes
	// it, and it returns to its creator when the adopter lets it go.
	annotationSecretCreator = "terraform.kratix-community.github.io/created-by"
	// annotationCredentialsVersion on the store carries
	// credentials_wo_version, so a rotation is an event Kratix reconciles.
	annotationCredentialsVersion = "terraform.kratix-community.github.io/credentials-version"
	labelManagedBy               = "app.kubernetes.io/managed-by"
	managedByProvider            = "terraform-provider-kratix"

	defaultStoreTimeout = 5 * time.Minute
)

var secretGVK = k8sschema.GroupVersionKind{Version: "v1", Kind: "Secret"}

var secretRefAttrTypes = map[string]attr.Type{"name": types.StringType, "namespace": types.StringType}

// storeCommon holds what both store resources share in their models.
type storeCommon struct {
	Kind       string
	Name       string
	AuthMethod string
	SecretRef  types.Object
	Version    types.Int64
	// ForceConflicts is force_conflicts.
	ForceConflicts bool
	// AdoptSecret is adopt_existing_secret: the provider may take over a
	// Secret it did not create.
	AdoptSecret bool
}

func (c storeCommon) owner() string { return c.Kind + "/" + c.Name }

func (c storeCommon) gvk() k8sschema.GroupVersionKind {
	gvk, _ := kratix.StateStoreGVK(c.Kind)
	return gvk
}

// owns reports whether the provider owns the store's Secret: it does
// whenever credentials_wo_version is set.
func (c storeCommon) owns() bool { return !c.Version.IsNull() && !c.Version.IsUnknown() }

// storeApply is one create or update of a state store.
type storeApply struct {
	plan  storeCommon
	prior *storeCommon // nil on create
	// adopted is true on the first update after an import.
	adopted bool
	obj     *unstructured.Unstructured
	// priorObj is the object the prior state describes (nil on create),
	// to tell whether this apply changes the spec.
	priorObj *unstructured.Unstructured
	creds    map[string]string // the write-only values from the configuration
	wait     bool
	// record stores the object's view in the Terraform state.
	record func(*unstructured.Unstructured)
}

// needsSecretWrite decides whether this apply writes the owned Secret: on
// create, when ownership starts, when credentials_wo_version changes
// (rotation), and when the Secret moves or the auth method changes keys.
func (a storeApply) needsSecretWrite() bool {
	if !a.plan.owns() {
		return false
	}
	p := a.prior
	return p == nil || !p.owns() || !p.Version.Equal(a.plan.Version) ||
		!sameTarget(secretTargetFrom(p.SecretRef), secretTargetFrom(a.plan.SecretRef)) || p.AuthMethod != a.plan.AuthMethod
}

// releasedSecret is a previously owned Secret this apply stops using.
func (a storeApply) releasedSecret() *secretTarget {
	p := a.prior
	if p == nil || !p.owns() {
		return nil
	}
	before := secretTargetFrom(p.SecretRef)
	if a.plan.owns() && sameTarget(before, secretTargetFrom(a.plan.SecretRef)) {
		return nil
	}
	return before
}

// applyStateStore writes the owned Secret first (so Kratix's first look at
// the store finds it), applies the store, records it in state at once, and
// waits for Ready=True unless wait = false.
func applyStateStore(ctx context.Context, data *providerData, a storeApply, diags *diag.Diagnostics) {
	if !requireKnownConfig(data, diags) {
		return
	}
	ctx = maskCredentials(ctx, a.creds)
	creating := a.prior == nil
	if creating {
		// Before the Secret is written: an existing store is not ours.
		if err := data.Client.RefuseExisting(ctx, a.obj); err != nil {
			addApplyError(diags, a.plan.owner(), storeResourceType(a.plan.Kind), a.plan.Name, err)
			return
		}
	}
	if a.plan.owns() {
		annotations := a.obj.GetAnnotations()
		if annotations == nil {
			annotations = map[string]string{}
		}
		annotations[annotationCredentialsVersion] = strconv.FormatInt(a.plan.Version.ValueInt64(), 10)
		a.obj.SetAnnotations(annotations)
	}
	if a.needsSecretWrite() {
		target := secretTargetFrom(a.plan.SecretRef)
		if target == nil {
			diags.AddAttributeError(path.Root("secret_ref"), "secret_ref is required with credentials",
				"secret_ref names the Secret the provider writes the credentials to.")
			return
		}
		err := writeStoreSecret(ctx, data, secretWrite{owner: a.plan.owner(), target: *target, creds: a.creds,
			credentialKeys: allSecretKeys(a.plan.Kind), adopt: a.plan.AdoptSecret})
		var refused *notOwnedSecretError
		switch {
		case errors.As(err, &refused):
			diags.AddAttributeError(path.Root("secret_ref"), "The Secret "+target.String()+" is not the provider's to write", err.Error())
			return
		case err != nil:
			diags.AddError("Cannot write the Secret "+target.String()+" for "+a.plan.owner(), err.Error())
			return
		}
		tflog.Debug(ctx, "wrote state store secret", map[string]any{"store": a.plan.owner(), "secret": target.String(), "keys": sortedKeys(a.creds)})
	}
	// On create the store's absence was checked above, before the Secret
	// was written, so the apply does not read it again.
	applied, err := applyOwned(ctx, data, a.obj, false, a.plan.ForceConflicts || a.adopted)
	if err != nil {
		addApplyError(diags, a.plan.owner(), storeResourceType(a.plan.Kind), a.plan.Name, err)
		return
	}
	tflog.Debug(ctx, "applied state store", map[string]any{"store": a.plan.owner(), "generation": applied.GetGeneration()})
	a.record(applied)
	if released := a.releasedSecret(); released != nil {
		// Still named by secret_ref: someone else manages it from now on,
		// so it is kept (only the provider's mark goes). Otherwise it is an
		// orphan the provider wrote, and is deleted.
		if sameTarget(released, secretTargetFrom(a.plan.SecretRef)) {
			if err := disownSecret(ctx, data, a.plan.owner(), *released); err != nil {
				diags.AddWarning("Cannot release the Secret "+released.String(), err.Error())
			}
		} else {
			kept, err := deleteOwnedSecret(ctx, data, a.plan.owner(), *released)
			switch {
			case err != nil:
				diags.AddWarning("Cannot delete the previous Secret "+released.String(), err.Error())
			case kept != "":
				diags.AddWarning("Kept the previous Secret "+released.String(), kept)
			}
		}
	}
	if !a.wait || diags.HasError() {
		return
	}
	watch := &kratix.StateStoreWatch{ReadyWatch: kratix.ReadyWatch{
		Generation: applied.GetGeneration(), AppliedAt: data.writtenAt(applied),
		Before:        kratix.StateStoreReadiness(applied),
		SpecChanged:   a.priorObj == nil || !reflect.DeepEqual(a.priorObj.Object["spec"], a.obj.Object["spec"]),
		SecretWritten: a.needsSecretWrite(),
	}}
	res := waitReady(ctx, data.Client, a.plan.gvk(), a.plan.Name, watch, nil)
	if res.Object != nil {
		a.record(res.Object)
	}
	reportFollow(res, a.readyReport(), diags)
}

// readyReport words how waiting for the state store to become ready
// ended. An interrupted wait is reported as a timeout.
func (a *storeApply) readyReport() followReport {
	timedOut := func(res kratix.FollowResult) (string, string) {
		return "Timed out waiting for " + a.plan.owner() + " to become ready", fmt.Sprintf("Last seen: %s.\n\n%s"+
			"The state store stays in the Terraform state. Raise the timeouts block, set wait = false to skip waiting, or "+
			"check it: kubectl describe %s %s", res.Last.Summary, adviceParagraph(res.Object, kratix.StateStoreAdvice), a.plan.gvk().Kind, a.plan.Name)
	}
	return followReport{
		what: a.plan.owner(),
		failed: func(res kratix.FollowResult) (string, string) {
			return a.plan.owner() + " is not ready", fmt.Sprintf("Kratix reports %s.\n\n%s\n\n"+
				"The state store stays in the Terraform state, marked tainted; fix the cause and apply again.",
				res.Last.Summary, kratix.StateStoreAdvice(res.Object))
		},
		timedOut:    timedOut,
		interrupted: timedOut,
	}
}

// readStateStore refreshes a store: nil, false when it is gone. When the
// provider owns the Secret and it went missing (or lost keys),
// credentials_wo_version is cleared in state so the next plan writes the
// Secret again.
func readStateStore(ctx context.Context, data *providerData, c storeCommon, version *types.Int64, diags *diag.Diagnostics) (*unstructured.Unstructured, bool) {
	obj, err := data.Client.GetForRefresh(ctx, c.gvk(), "", c.Name)
	if isNotFound(err) {
		tflog.Info(ctx, "state store no longer exists; removing it from state so it is planned for creation", map[string]any{"store": c.owner()})
		return nil, false
	}
	if err != nil {
		diags.AddError("Cannot read "+c.owner(), err.Error())
		return nil, false
	}
	if c.owns() {
		intact, err := ownedSecretIntact(ctx, data, c)
		switch {
		case err != nil:
			tflog.Warn(ctx, "cannot check the state store's Secret", map[string]any{"store": c.owner(), "error": err.Error()})
		case !intact:
			tflog.Info(ctx, "the Secret the provider wrote is missing or incomplete; planning to write it again", map[string]any{"store": c.owner()})
			*version = types.Int64Null()
		}
	}
	return obj, true
}

func deleteStateStore(ctx context.Context, data *providerData, c storeCommon, diags *diag.Diagnostics) {
	deleteClusterObject(ctx, data, c.gvk(), c.Name, diags)
	if diags.HasError() || !c.owns() {
		return
	}
	if t := secretTargetFrom(c.SecretRef); t != nil {
		kept, err := deleteOwnedSecret(ctx, data, c.owner(), *t)
		switch {
		case err != nil:
			diags.AddError("Cannot delete the Secret "+t.String()+" the provider wrote for "+c.owner(), err.Error())
		case kept != "":
			diags.AddWarning("Kept the Secret "+t.String(), kept)
		}
	}
}

// storeStatus fills the computed status attributes.
func storeStatus(obj *unstructured.Unstructured) (status types.String, ready types.Bool, conditions types.List) {
	return types.StringValue(nestedStringOr(obj, "", "status", "status")),
		types.BoolValue(kratix.StateStoreReadiness(obj).Ready), conditionsValue(obj)
}

// secretRefValue reads spec.secretRef for the state: null when absent, or
// when the configuration does not set it (someone else's field).
func secretRefValue(obj *unstructured.Unstructured, prior types.Object, importing bool, defaultNamespace string) types.Object {
	name := nestedStringOr(obj, "", "spec", "secretRef", "name")
	if name == "" || !importing && prior.IsNull() {
		return types.ObjectNull(secretRefAttrTypes)
	}
	ns := types.StringNull()
	if v := nestedStringOr(obj, defaultNamespace, "spec", "secretRef", "namespace"); v != "" {
		ns = types.StringValue(v)
	}
	return types.ObjectValueMust(secretRefAttrTypes, map[string]attr.Value{"name": types.StringValue(name), "namespace": ns})
}

func secretRefToGo(o types.Object) map[string]any {
	t := secretTargetFrom(o)
	if t == nil {
		return nil
	}
	ref := map[string]any{"name": t.Name}
	if t.Namespace != "" {
		ref["namespace"] = t.Namespace
	}
	return ref
}

// optionalStoreString is an optional spec string for the state: the live
// value when the configuration manages it (or on import), else null.
func optionalStoreString(obj *unstructured.Unstructured, prior types.String, importing bool, fields ...string) types.String {
	v := nestedStringOr(obj, "", fields...)
	if v == "" || !importing && prior.IsNull() {
		return types.StringNull()
	}
	return types.StringValue(v)
}

// Schema pieces shared by both stores.

func writeOnlyCredential(description string) schema.StringAttribute {
	return schema.StringAttribute{Optional: true, WriteOnly: true, Sensitive: true, MarkdownDescription: description +
		" Write-only (Terraform 1.11 or later): never stored in the plan or state. Needs `credentials_wo_version` and `secret_ref`."}
}

func credentialsVersionSchema() schema.Int64Attribute {
	return schema.Int64Attribute{Optional: true, MarkdownDescription: "Version of the write-only credentials. Setting it " +
		"makes the provider own the Secret named by `secret_ref`: it creates the Secret with the credentials, writes them " +
		"again whenever this number changes (rotation), and deletes the Secret on destroy. A Secret that already exists " +
		"and that the provider did not create is not touched unless `adopt_existing_secret` is `true`. Terraform never stores the credentials, so " +
		"increase it whenever they change. If the Secret goes missing, the next plan writes it again."}
}

func adoptExistingSecretSchema() schema.BoolAttribute {
	return schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
		MarkdownDescription: "Whether the provider may take over a Secret named by `secret_ref` that already exists and " +
			"that it did not create for this store. Default `false`: the apply fails and leaves such a Secret untouched. " +
			"With `true`, the credentials are written into it (its other keys are kept) and it is marked as adopted by this " +
			"store. Destroy never deletes an adopted Secret: it stays, with the credentials written last, and loses this " +
			"store's mark (a Secret another store created is handed back to that store). Only used with the write-only credentials."}
}

func storeComputedAttributes(what string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"uid":    stableComputedString("UID Kubernetes gave the " + what + "."),
		"status": schema.StringAttribute{Computed: true, MarkdownDescription: "`Ready` or `NotReady` (`status.status`), as of the last apply or refresh."},
		"ready": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Kratix reports the " + what + " `Ready=True`, as of the " +
			"last apply or refresh. Kratix checks it again whenever the store or its Secret changes, by pushing to it; a " +
			"check that loses a race with another of Kratix's writes to the same repository reports it not ready until " +
			"Kratix retries, about 15 s later, so a refresh may show it `false` for that long."},
		"conditions": conditionsSchema("Kratix's conditions on the " + what + " (`Ready`, with reasons such as `StateStoreReady`, `SecretNotFound` or `ErrorValidatingPermissions`)."),
	}
}

// storeResourceType is the Terraform resource type of a store kind.
func storeResourceType(kind string) string {
	if kind == kratix.BucketStateStoreKind {
		return "kratix_bucket_state_store"
	}
	return "kratix_git_state_store"
}
