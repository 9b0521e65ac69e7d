package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ resource.Resource                   = (*destinationResource)(nil)
	_ resource.ResourceWithConfigure      = (*destinationResource)(nil)
	_ resource.ResourceWithImportState    = (*destinationResource)(nil)
	_ resource.ResourceWithIdentity       = (*destinationResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*destinationResource)(nil)
	_ resource.ResourceWithValidateConfig = (*destinationResource)(nil)
)

const (
	defaultDestinationCreateTimeout = 5 * time.Minute
	defaultDestinationDeleteTimeout = 5 * time.Minute
)

// NewDestinationResource manages a Kratix Destination.
func NewDestinationResource() resource.Resource {
	return &destinationResource{}
}

type destinationResource struct {
	data *providerData
}

type destinationModel struct {
	ID                types.String   `tfsdk:"id"`
	Name              types.String   `tfsdk:"name"`
	Labels            types.Map      `tfsdk:"labels"`
	Path              types.String   `tfsdk:"path"`
	StateStore        types.Object   `tfsdk:"state_store"`
	StrictMatchLabels types.Bool     `tfsdk:"strict_match_labels"`
	FilepathMode      types.String   `tfsdk:"filepath_mode"`
	FilepathFilename  types.String   `tfsdk:"filepath_filename"`
	Cleanup           types.String   `tfsdk:"cleanup"`
	InitWorkloads     types.Bool     `tfsdk:"init_workloads"`
	Wait              types.Bool     `tfsdk:"wait"`
	ForceConflicts    types.Bool     `tfsdk:"force_conflicts"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
	UID               types.String   `tfsdk:"uid"`
	Ready             types.Bool     `tfsdk:"ready"`
	Conditions        types.List     `tfsdk:"conditions"`
}

var stateStoreRefAttrTypes = map[string]attr.Type{"kind": types.StringType, "name": types.StringType}

func (r *destinationResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_destination"
}

func (r *destinationResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kratix Destination: a place (a cluster, a GitOps path) that Kratix writes the output of " +
			"Promises and resource requests to, through a state store. Promises choose Destinations by their labels " +
			"(`destination_selectors`). Apply waits until Kratix reports the Destination `Ready=True` (it has written its " +
			"test documents to the store), and fails with Kratix's reason and what to check when it cannot become ready " +
			"(`StateStoreNotFound`, `StateStoreNotReady`, `StateStoreWriteFailed`).",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The Destination's name; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Destination. Changing it replaces the Destination.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}, Validators: []validator.String{dnsSubdomain()}},
			"labels": labelsSchema("Labels on the Destination: what Promises' `destination_selectors` match, e.g. " +
				"`{ environment = \"dev\" }`. Only the labels set here are managed."),
			"path": schema.StringAttribute{Required: true, MarkdownDescription: "Directory inside the state store (below the " +
				"store's own `path`) that Kratix writes this Destination's documents to; `.` is the store's root. It must be " +
				"unique among the Destinations of one state store: when the provider can read the platform at plan time, a " +
				"path another Destination already uses is a plan error.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			"state_store": schema.SingleNestedAttribute{Required: true, MarkdownDescription: "The state store Kratix writes " +
				"through (`spec.stateStoreRef`). Reference the store resource, e.g. `name = kratix_git_state_store.main.name`, " +
				"so Terraform creates it first.",
				Attributes: map[string]schema.Attribute{
					"kind": schema.StringAttribute{Required: true, MarkdownDescription: "`GitStateStore` or `BucketStateStore`.",
						Validators: []validator.String{stringvalidator.OneOf(kratix.StateStoreKinds...)}},
					"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the state store.",
						Validators: []validator.String{dnsSubdomain()}},
				}},
			"strict_match_labels": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "When `true`, output whose selectors are empty is not scheduled here unless the Destination " +
					"has no labels either (default `false`)."},
			"filepath_mode": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultFilepathMode),
				MarkdownDescription: "How Kratix lays out files under `path`: `nestedByMetadata` (default; a directory per " +
					"Promise and request), `aggregatedYAML` (everything in one file, see `filepath_filename`) or `none` (files " +
					"as the pipelines named them). Kratix makes it immutable, so changing it **replaces** the Destination.",
				Validators:    []validator.String{stringvalidator.OneOf(kratix.FilepathModes...)},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
			"filepath_filename": schema.StringAttribute{Optional: true, Computed: true,
				MarkdownDescription: "Name of the single file with `filepath_mode = \"aggregatedYAML\"` (default `aggregated.yaml`, " +
					"as Kratix's webhook sets). Only valid with `aggregatedYAML`.",
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
				PlanModifiers: []planmodifier.String{aggregatedFilenameDefault{}}},
			"cleanup": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString(kratix.DefaultCleanup),
				MarkdownDescription: "What deleting the Destination removes: `none` (default) leaves the documents in the state " +
					"store; `all` deletes its WorkPlacements and its files in the store first (Kratix adds the finalizer " +
					"`kratix.io/destination-cleanup`, and destroy waits for it).",
				Validators: []validator.String{stringvalidator.OneOf(kratix.CleanupPolicies...)}},
			"init_workloads": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Write Kratix's canary documents (a namespace and a ConfigMap) to check the store is " +
					"writable (`spec.initWorkloads.enabled`, default `true`)."},
			"force_conflicts": forceConflictsAttribute(),
			"wait": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Wait for `Ready=True` after create and update (default `true`)."},
			"uid": stableComputedString("UID Kubernetes gave the Destination."),
			"ready": schema.BoolAttribute{Computed: true, MarkdownDescription: "Whether Kratix reports the Destination " +
				"`Ready=True`, as of the last apply or refresh. Kratix writes its test documents again when the " +
				"Destination or its store changes; a write that loses a race with another of Kratix's writes to the same " +
				"repository reports it not ready until Kratix retries, about 15 s later, so a refresh may show it `false` " +
				"for that long."},
			"conditions": conditionsSchema("Kratix's conditions on the Destination (`Ready`, with reasons such as " +
				"`TestDocumentsWritten`, `StateStoreNotFound` or `StateStoreNotReady`)."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
				ReadDescription:   readTimeoutDescription,
				CreateDescription: "How long to wait for the Destination to become ready (default 5m).",
				UpdateDescription: "How long to wait for the Destination to become ready again (default 5m).",
				DeleteDescription: "How long to wait for Kratix's cleanup finalizer, with `cleanup = \"all\"` (default 5m).",
			}),
		},
	}
}

func (r *destinationResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *destinationResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentity("Destination")
}

func (r *destinationResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan destinationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultDestinationCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.applyAndWait(ctx, &plan, nil, false, &resp.State, &resp.Diagnostics)
}

func (r *destinationResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan, prior destinationModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultDestinationCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	adopted := flagAdopted.get(ctx, req.Private, &resp.Diagnostics)
	r.applyAndWait(ctx, &plan, &prior, adopted, &resp.State, &resp.Diagnostics)
	endAdoption(ctx, resp, adopted)
}

func (r *destinationResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// From the prior state first: a Read that removes the object from
	// the state must still return its identity.
	recordIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var state destinationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withReadTimeout(ctx, state.Timeouts, &resp.Diagnostics)
	defer cancel()
	obj, err := r.data.Client.GetForRefresh(ctx, kratix.DestinationGVK, "", state.Name.ValueString())
	if isNotFound(err) {
		tflog.Info(ctx, "destination no longer exists; removing it from state so it is planned for creation", map[string]any{"name": state.Name.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read Destination "+state.Name.ValueString(), err.Error())
		return
	}
	r.fillFromObject(&state, obj)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *destinationResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state destinationModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDestinationDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deleteClusterObject(ctx, r.data, kratix.DestinationGVK, state.Name.ValueString(), &resp.Diagnostics)
}

func (r *destinationResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	name := importID(ctx, req, &resp.Diagnostics, nameIdentityAttrs)
	if errs := dnsSubdomainErrors(name); len(errs) > 0 {
		resp.Diagnostics.AddError("Invalid import ID", "The import ID of a kratix_destination is the Destination's name; \""+name+"\" is not a valid name: "+errs[0])
		return
	}
	state := importedDestinationState(name)
	flagAdopted.set(ctx, resp.Private, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// importedDestinationState is the state an import starts from: only the name, and the
// arguments' defaults.
func importedDestinationState(name string) destinationModel {
	return destinationModel{
		ID: types.StringValue(name), Name: types.StringValue(name),
		Labels:         types.MapNull(types.StringType),
		StateStore:     types.ObjectNull(stateStoreRefAttrTypes),
		Wait:           types.BoolValue(true),
		ForceConflicts: types.BoolValue(false),
		Timeouts:       timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
		Conditions:     types.ListNull(conditionObjectType),
	}
}
