package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// ModifyPlan plans what a new url installs: the Promise's name (and, with
// no version configured, its version) when the provider can fetch the URL
// itself, unknown otherwise. It warns where Kratix would not do what the
// change seems to ask, and when a replacement deletes the Promise.
func (r *promiseReleaseResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan promiseReleaseModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	configVersion := configuredVersion(ctx, req.Config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	creating := req.State.Raw.IsNull()
	var prior promiseReleaseModel
	if !creating {
		resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	replacing := !creating && !plan.Name.IsUnknown() && !plan.Name.Equal(prior.Name)
	urlChanged := creating || replacing || !plan.URL.Equal(prior.URL)
	if !urlChanged {
		return
	}
	promise, version := types.StringUnknown(), types.StringUnknown()
	if fetched, ok := r.fetchAtPlan(ctx, &plan); ok {
		promise = types.StringValue(fetched.Name)
		if fetched.HasVersion {
			version = types.StringValue(fetched.Version)
		}
		warnReleaseVersion(resp, &plan, configVersion, fetched)
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("promise"), promise)...)
	if configVersion.IsNull() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("version"), version)...)
	}
	if creating {
		return
	}
	if replacing {
		warnPromiseReplacement(resp, path.Root("name"), "The PromiseRelease's name changes, and with the release goes the Promise it installed.",
			prior.ForceDestroy.ValueBool())
		return
	}
	if !configVersion.IsNull() && configVersion.Equal(prior.Version) {
		resp.Diagnostics.AddAttributeWarning(path.Root("url"), "Kratix will not fetch the new url", fmt.Sprintf(
			"Kratix installs from a PromiseRelease's URL only when the installed Promise's version differs from the "+
				"release's version, and version stays %s: Kratix records the new url and keeps the installed Promise. "+
				"Change version to the new Promise's, or leave version unset to install whatever the url serves.",
			configVersion.ValueString()))
	}
}

// fetchAtPlan fetches the URL from where Terraform runs, when the plan
// knows it and the provider can read the Secret it may need.
func (r *promiseReleaseResource) fetchAtPlan(ctx context.Context, plan *promiseReleaseModel) (kratix.ReleasedPromise, bool) {
	if r.data == nil || !r.data.ConfigKnown || plan.URL.IsUnknown() || plan.AuthorizationSecretRef.IsUnknown() {
		return kratix.ReleasedPromise{}, false
	}
	header := ""
	if ref, ok := secretRef(plan); ok {
		secret, err := r.data.Client.Get(ctx, secretGVK, ref.namespace, ref.name)
		if err != nil {
			return kratix.ReleasedPromise{}, false
		}
		header = decodeSecretValue(stringData(secret.Object)[kratix.ReleaseAuthorizationKey])
	}
	fetched, err := kratix.FetchReleasedPromise(ctx, plan.URL.ValueString(), header)
	if err != nil {
		tflog.Info(ctx, "cannot fetch the release's URL at plan time; its Promise is known after apply", map[string]any{"error": err.Error()})
		return kratix.ReleasedPromise{}, false
	}
	return fetched, true
}

// warnReleaseVersion says at plan what Kratix will refuse at apply: a
// Promise without a version label, or labelled with another version than
// the configured one. A warning, not an error: the URL may serve Kratix
// something else than it served the provider.
func warnReleaseVersion(resp *resource.ModifyPlanResponse, plan *promiseReleaseModel, configVersion types.String, fetched kratix.ReleasedPromise) {
	url := plan.URL.ValueString()
	switch {
	case !fetched.HasVersion:
		resp.Diagnostics.AddAttributeWarning(path.Root("url"), "The Promise at url has no version label", fmt.Sprintf(
			"%s serves Promise %q without the label %s, and Kratix refuses to install a Promise from a release without "+
				"it: the apply will fail with VersionLabelNotFound. Add the label at the source.", url, fetched.Name, kratix.LabelPromiseVersion))
	case !configVersion.IsNull() && !configVersion.IsUnknown() && configVersion.ValueString() != fetched.Version:
		resp.Diagnostics.AddAttributeWarning(path.Root("version"), "version does not match the Promise at url", fmt.Sprintf(
			"%s serves Promise %q labelled %s=%s, but version is %s: Kratix will refuse to install it (VersionNotMatching). "+
				"Set version to %s, or leave it unset.", url, fetched.Name, kratix.LabelPromiseVersion, fetched.Version,
			configVersion.ValueString(), fetched.Version))
	}
}
