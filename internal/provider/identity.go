package provider

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Resource identity (Terraform 1.12 and later): the attributes that name the
// object in the cluster. Each identity attribute has the name of the state
// attribute it is copied from, so the identity is always derived from the
// state the resource returns and can never disagree with it.

// nameIdentity is the identity of the cluster-scoped objects: their name.
func nameIdentity(what string) identityschema.Schema {
	return identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		"name": identityschema.StringAttribute{RequiredForImport: true, Description: "Name of the " + what + "."},
	}}
}

// requestIdentitySchema names a request the way its import ID does: by Promise,
// or, for a request made without one, by api_version and kind. The
// api_version is left out when the Promise names the request, because it
// follows the Promise's served version and an identity must not change.
func requestIdentitySchema() identityschema.Schema {
	return identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		"promise":     identityschema.StringAttribute{OptionalForImport: true, Description: "Name of the Promise whose API the request uses. Set either this or `api_version` and `kind`."},
		"api_version": identityschema.StringAttribute{OptionalForImport: true, Description: "`group/version` of a request not named by its Promise."},
		"kind":        identityschema.StringAttribute{OptionalForImport: true, Description: "Kind of a request not named by its Promise."},
		"namespace":   identityschema.StringAttribute{RequiredForImport: true, Description: "Namespace of the request."},
		"name":        identityschema.StringAttribute{RequiredForImport: true, Description: "Name of the request."},
	}}
}

var (
	nameIdentityAttrs    = []string{"name"}
	requestIdentityAttrs = []string{"promise", "api_version", "kind", "namespace", "name"}
)

// recordIdentity copies the identity attributes from a state (the one the
// resource is about to return, or the prior one). It does nothing without
// an identity to fill or without state (a create that failed before
// writing any), and leaves the identity alone while a value is unknown.
func recordIdentity(ctx context.Context, state *tfsdk.State, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics, attrs []string) {
	if identity == nil || state.Raw.IsNull() {
		return
	}
	values := map[string]types.String{}
	for _, name := range attrs {
		var v types.String
		if d := state.GetAttribute(ctx, path.Root(name), &v); d.HasError() || v.IsUnknown() {
			return
		}
		values[name] = v
	}
	if p, ok := values["promise"]; ok && !p.IsNull() {
		values["api_version"], values["kind"] = types.StringNull(), types.StringNull()
	}
	for _, name := range attrs {
		diags.Append(identity.SetAttribute(ctx, path.Root(name), values[name])...)
	}
}

// importID is what the user named on import: the import ID, or the ID the
// identity in an import block stands for (joined as the import ID's parts).
func importID(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics, attrs []string) string {
	if req.ID != "" || req.Identity == nil {
		return req.ID
	}
	var parts []string
	for _, name := range attrs {
		var v types.String
		diags.Append(req.Identity.GetAttribute(ctx, path.Root(name), &v)...)
		if s := v.ValueString(); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "/")
}

// requestIdentityProblem says what is wrong with a request identity given
// in an import block, or "" when it names one request.
func requestIdentityProblem(ctx context.Context, req resource.ImportStateRequest) string {
	if req.ID != "" || req.Identity == nil {
		return ""
	}
	var promise, apiVersion, kind types.String
	req.Identity.GetAttribute(ctx, path.Root("promise"), &promise)
	req.Identity.GetAttribute(ctx, path.Root("api_version"), &apiVersion)
	req.Identity.GetAttribute(ctx, path.Root("kind"), &kind)
	byPromise, byKind := promise.ValueString() != "", apiVersion.ValueString() != "" || kind.ValueString() != ""
	switch {
	case byPromise && byKind:
		return "set either promise or api_version and kind, not both"
	case !byPromise && (apiVersion.ValueString() == "" || kind.ValueString() == ""):
		return "set promise, or both api_version and kind"
	}
	return ""
}
