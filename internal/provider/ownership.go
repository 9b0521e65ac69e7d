package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// The ownership rule, the same for every resource:
//   - create never takes over an object that already exists: it fails and
//     says how to import it;
//   - an update owns the fields the configuration sets, and a field another
//     field manager (kubectl, a controller, another configuration) set with
//     a different value fails the apply, naming the manager and the field,
//     unless force_conflicts is true;
//   - the first update after an import takes ownership of the configured
//     fields: importing is the explicit opt-in to manage the object.

// forceConflictsAttribute is the force_conflicts attribute of every resource.
func forceConflictsAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true, Computed: true,
		Default: booldefault.StaticBool(false),
		MarkdownDescription: "Take ownership of fields that another field manager (for example `kubectl` or another " +
			"configuration) set to a different value. Default `false`: such a conflict fails the apply and names the other " +
			"manager and the fields. The first update after `terraform import` always takes ownership of the configured fields.",
	}
}

// applyOwned writes obj by server-side apply under the ownership rule.
// creating refuses an existing object; force takes over conflicting fields.
func applyOwned(ctx context.Context, data *providerData, obj *unstructured.Unstructured, creating, force bool) (*unstructured.Unstructured, error) {
	if force {
		tflog.Info(ctx, "taking ownership of the configured fields", map[string]any{"kind": obj.GetKind(), "name": obj.GetName()})
	}
	return data.Client.Apply(ctx, obj, kube.ApplyOptions{FieldManager: data.FieldManager, Force: force && !creating, CreateOnly: creating})
}

// addApplyError reports a failed apply of what (e.g. "Promise redis"). An
// object that already exists gets the way to import it.
func addApplyError(diags *diag.Diagnostics, what, resourceType, importID string, err error) {
	if kube.IsWebhookUnreachable(err) {
		diags.AddError("Cannot apply "+what+": an admission webhook does not answer", fmt.Sprintf(
			"%v\n\nThe API server could not call the admission webhook named above for %s, so it refused the write. "+
				"Nothing was written. Kratix serves the webhooks of its own objects (Promises, Destinations, state stores): "+
				"if it is one of those, %s", err, kube.WebhookUnreachableBound, kratixControllerAdvice))
		return
	}
	if !kube.IsAlreadyExists(err) {
		diags.AddError("Cannot apply "+what, err.Error())
		return
	}
	diags.AddError(what+" already exists", fmt.Sprintf(
		"%v.\n\nThe provider does not take over an object it did not create: another configuration, kubectl or a GitOps "+
			"tool may manage it, or an earlier apply was interrupted before it recorded the object. Nothing was changed.\n\n"+
			"To manage it with this configuration, import it (ADDRESS is this resource's address, e.g. %[2]s.this):\n"+
			"  terraform import ADDRESS %[3]s\n"+
			"or, with Terraform 1.5 and later, add to the configuration:\n"+
			"  import {\n    to = ADDRESS\n    id = %[3]q\n  }\n"+
			"Otherwise give this resource another name.", err, resourceType, importID))
}

// privateFlag is a yes/no mark a resource keeps in its private state.
type privateFlag string

// flagAdopted marks an imported object until its first update. Importing
// says "Terraform manages this now", but the fields still belong to the tool
// that created the object (kubectl's client-side apply, say), so that first
// change would conflict without it.
const flagAdopted privateFlag = "adopted"

// privateState is what Create, Update, ModifyPlan and ImportState can read
// and write in a resource's private state.
type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func (f privateFlag) get(ctx context.Context, p privateState, diags *diag.Diagnostics) bool {
	v, d := p.GetKey(ctx, string(f))
	diags.Append(d...)
	return len(v) > 0
}

func (f privateFlag) set(ctx context.Context, p privateState, on bool, diags *diag.Diagnostics) {
	var value []byte
	if on {
		value = []byte(`true`)
	}
	diags.Append(p.SetKey(ctx, string(f), value)...)
}

// endAdoption clears the adoption mark once the first update after an
// import has succeeded.
func endAdoption(ctx context.Context, resp *resource.UpdateResponse, adopted bool) {
	if adopted && !resp.Diagnostics.HasError() {
		flagAdopted.set(ctx, resp.Private, false, &resp.Diagnostics)
	}
}

// forceWanted is force_conflicts, or true on the first update after import.
func forceWanted(force types.Bool, adopted bool) bool {
	return force.ValueBool() || adopted
}
