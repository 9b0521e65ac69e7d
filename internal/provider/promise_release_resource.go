package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ resource.Resource                = (*promiseReleaseResource)(nil)
	_ resource.ResourceWithConfigure   = (*promiseReleaseResource)(nil)
	_ resource.ResourceWithImportState = (*promiseReleaseResource)(nil)
	_ resource.ResourceWithIdentity    = (*promiseReleaseResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*promiseReleaseResource)(nil)
)

// NewPromiseReleaseResource manages a Kratix PromiseRelease: a Promise
// Kratix fetches from a URL and installs.
func NewPromiseReleaseResource() resource.Resource {
	return &promiseReleaseResource{}
}

type promiseReleaseResource struct {
	data *providerData
}

type promiseReleaseModel struct {
	ID                     types.String   `tfsdk:"id"`
	Name                   types.String   `tfsdk:"name"`
	URL                    types.String   `tfsdk:"url"`
	Version                types.String   `tfsdk:"version"`
	AuthorizationSecretRef types.Object   `tfsdk:"authorization_secret_ref"`
	Wait                   types.Bool     `tfsdk:"wait"`
	ForceConflicts         types.Bool     `tfsdk:"force_conflicts"`
	ForceDestroy           types.Bool     `tfsdk:"force_destroy"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
	UID                    types.String   `tfsdk:"uid"`
	Promise                types.String   `tfsdk:"promise"`
	Status                 types.String   `tfsdk:"status"`
	Installed              types.Bool     `tfsdk:"installed"`
	Conditions             types.List     `tfsdk:"conditions"`
}

func (r *promiseReleaseResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promise_release"
}

func (r *promiseReleaseResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kratix PromiseRelease: a Promise that Kratix fetches from a URL (an HTTP GET of one " +
			"`promise.yaml`) and installs, as `kubectl apply` of a PromiseRelease does. Kratix labels the Promise with " +
			"`kratix.io/promise-release-name` and makes the release its owner: deleting the release deletes the Promise " +
			"and, with it, every resource request of the Promise. Apply waits until Kratix reports the release " +
			"`Installed` at the release's version and the Promise is usable (as `kratix_promise` waits), so resource " +
			"requests that reference `promise` can be created in the same apply.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The PromiseRelease's name; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{Required: true, Validators: []validator.String{dnsSubdomain()},
				MarkdownDescription: "Name of the PromiseRelease (not of the Promise, which is the one in the fetched " +
					"`promise.yaml`). Changing it replaces the release, and so deletes and installs the Promise again.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"url": schema.StringAttribute{Required: true, MarkdownDescription: "URL of the `promise.yaml` " +
				"(`spec.sourceRef.url`). Kratix's controller manager GETs it, so it must be reachable from there; the answer " +
				"must be HTTP 200 with a single Promise document that has a `kratix.io/promise-version` label. Kratix fetches " +
				"again only when `version` changes: a new `url` with the same `version` installs nothing new (the plan warns)."},
			"version": schema.StringAttribute{Optional: true, Computed: true, Validators: []validator.String{labelValue()},
				MarkdownDescription: "Version to install (`spec.version`). It must equal the fetched Promise's " +
					"`kratix.io/promise-version` label, or Kratix refuses to install it. Unset by default: Kratix takes the version " +
					"the URL serves and records it here; a later change of `url` then installs whatever version the new URL serves.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"authorization_secret_ref": schema.SingleNestedAttribute{Optional: true, MarkdownDescription: "A Secret whose key " +
				"`authorizationHeader` Kratix sends as the `Authorization` header of the GET (for example `Bearer <token>`), " +
				"for a private source (`spec.sourceRef.secretRef`). Unset by default: no header.",
				Attributes: map[string]schema.Attribute{
					"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Secret.", Validators: []validator.String{dnsSubdomain()}},
					"namespace": schema.StringAttribute{Required: true, Validators: []validator.String{dnsLabel()},
						MarkdownDescription: "Namespace of the Secret. Required: a PromiseRelease is cluster-scoped, so Kratix has no namespace to default to."},
				}},
			"wait": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Wait until the release is installed and its Promise usable after create and update (default `true`)."},
			"force_conflicts": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Take ownership of the release's fields that another field manager set to a different " +
					"value, and let Kratix take over an existing Promise of the name the URL serves that no release installed " +
					"(Kratix overwrites its spec and makes the release its owner). Default `false`: both fail the apply, naming " +
					"the other manager or the Promise. The first update after `terraform import` always takes ownership of the " +
					"configured fields."},
			"force_destroy": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Allow destroying or replacing the release while resource requests of its Promise exist. " +
					"Default `false`: deleting a release makes Kratix delete its Promise and so **every** request of it, " +
					"including those other teams created outside this configuration, so destroy and replacement fail, naming " +
					"the requests, until it is set. Like any argument, it takes effect once applied: set it, run " +
					"`terraform apply`, then destroy."},
			"uid": stableComputedString("UID Kubernetes gave the PromiseRelease."),
			"promise": schema.StringAttribute{Computed: true, MarkdownDescription: "Name of the Promise the release installed " +
				"(what `kratix_resource_request.promise` takes). Known at plan time when the provider can fetch `url` itself.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"status":     schema.StringAttribute{Computed: true, MarkdownDescription: "Kratix's `status.status`: `Installed` or `Error installing`."},
			"installed":  schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Kratix reports the condition `Installed=True`."},
			"conditions": conditionsSchema("Kratix's conditions on the release (`Installed`, with reason `InstalledSuccessfully`, `FailedToFetchPromise`, `VersionLabelNotFound`, `VersionNotMatching` or `FailedToCreateOrUpdatePromise`)."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
				ReadDescription:   readTimeoutDescription,
				CreateDescription: "How long to wait for the release to be installed and its Promise usable (default 10m).",
				UpdateDescription: "How long to wait for the release to be installed and its Promise usable again (default 10m).",
				DeleteDescription: "How long to wait for the Promise (its delete workflow, its requests and its API) and the release to go (default 15m).",
			}),
		},
	}
}

func (r *promiseReleaseResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *promiseReleaseResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentity("PromiseRelease")
}

func (r *promiseReleaseResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan promiseReleaseModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultPromiseCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.applyAndWait(ctx, &plan, nil, configuredVersion(ctx, req.Config, &resp.Diagnostics), false, &resp.State, &resp.Diagnostics)
}

func (r *promiseReleaseResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan, prior promiseReleaseModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultPromiseCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	adopted := flagAdopted.get(ctx, req.Private, &resp.Diagnostics)
	r.applyAndWait(ctx, &plan, &prior, configuredVersion(ctx, req.Config, &resp.Diagnostics), adopted, &resp.State, &resp.Diagnostics)
	endAdoption(ctx, resp, adopted)
}

func (r *promiseReleaseResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	recordIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var state promiseReleaseModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withReadTimeout(ctx, state.Timeouts, &resp.Diagnostics)
	defer cancel()
	name := state.Name.ValueString()
	obj, err := r.data.Client.GetWhenServed(ctx, kratix.PromiseReleaseGVK, "", name)
	if isNotFound(err) {
		tflog.Info(ctx, "promise release no longer exists; removing it from state so it is planned for creation", map[string]any{"name": name})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read PromiseRelease "+name, err.Error())
		return
	}
	promises, err := r.releasePromises(ctx, name)
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the Promise of PromiseRelease "+name, err.Error())
		return
	}
	fillReleaseFromObject(&state, obj, promises)
	warnIfTerminating(obj, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *promiseReleaseResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state promiseReleaseModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultPromiseDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.deleteAndWait(ctx, &state, &resp.Diagnostics)
}

func (r *promiseReleaseResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	name := importID(ctx, req, &resp.Diagnostics, nameIdentityAttrs)
	if errs := dnsSubdomainErrors(name); len(errs) > 0 {
		resp.Diagnostics.AddError("Invalid import ID", "The import ID of a kratix_promise_release is the PromiseRelease's name; \""+name+"\" is not a valid name: "+errs[0])
		return
	}
	state := emptyReleaseState(name)
	flagAdopted.set(ctx, resp.Private, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// emptyReleaseState is the state an import starts from: Read fills in
// the rest, and on import it reads the configurable arguments too.
func emptyReleaseState(name string) promiseReleaseModel {
	return promiseReleaseModel{
		ID: types.StringValue(name), Name: types.StringValue(name),
		URL: types.StringNull(), Version: types.StringNull(),
		AuthorizationSecretRef: types.ObjectNull(secretRefAttrTypes),
		Wait:                   types.BoolValue(true),
		ForceConflicts:         types.BoolValue(false),
		ForceDestroy:           types.BoolValue(false),
		Timeouts:               timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
		UID:                    types.StringNull(),
		Promise:                types.StringNull(),
		Status:                 types.StringNull(),
		Installed:              types.BoolNull(),
		Conditions:             types.ListNull(conditionObjectType),
	}
}

// configuredVersion is version as the configuration sets it: null when
// Kratix is to take the version the URL serves.
func configuredVersion(ctx context.Context, config tfsdk.Config, diags *diag.Diagnostics) types.String {
	var v types.String
	diags.Append(config.GetAttribute(ctx, path.Root("version"), &v)...)
	return v
}

// releaseStaleGrace is how long an Installed=False from before an update
// is taken for a leftover (kratix.ReleaseWatch).
var releaseStaleGrace = 5 * time.Second
