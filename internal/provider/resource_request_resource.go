package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/resourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

var (
	_ resource.Resource                     = (*resourceRequestResource)(nil)
	_ resource.ResourceWithConfigure        = (*resourceRequestResource)(nil)
	_ resource.ResourceWithImportState      = (*resourceRequestResource)(nil)
	_ resource.ResourceWithIdentity         = (*resourceRequestResource)(nil)
	_ resource.ResourceWithConfigValidators = (*resourceRequestResource)(nil)
)

const (
	waitConfigured = "configured"
	waitDelivered  = "delivered"
	waitNone       = "none"

	defaultRequestCreateTimeout = 20 * time.Minute
	defaultRequestDeleteTimeout = 10 * time.Minute
)

// NewResourceRequestResource manages one request of a Promise's API.
func NewResourceRequestResource() resource.Resource {
	return &resourceRequestResource{}
}

type resourceRequestResource struct {
	data *providerData
}

type resourceRequestModel struct {
	ID                 types.String   `tfsdk:"id"`
	Manifest           types.Dynamic  `tfsdk:"manifest"`
	Promise            types.String   `tfsdk:"promise"`
	APIVersion         types.String   `tfsdk:"api_version"`
	Kind               types.String   `tfsdk:"kind"`
	Name               types.String   `tfsdk:"name"`
	Namespace          types.String   `tfsdk:"namespace"`
	Labels             types.Map      `tfsdk:"labels"`
	Annotations        types.Map      `tfsdk:"annotations"`
	Spec               types.Dynamic  `tfsdk:"spec"`
	WaitFor            types.String   `tfsdk:"wait_for"`
	ForceConflicts     types.Bool     `tfsdk:"force_conflicts"`
	ValidateSpec       types.Bool     `tfsdk:"validate_spec"`
	PromiseVersion     types.String   `tfsdk:"promise_version"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
	UID                types.String   `tfsdk:"uid"`
	ObservedGeneration types.Int64    `tfsdk:"observed_generation"`
	Message            types.String   `tfsdk:"message"`
	Status             types.Dynamic  `tfsdk:"status"`
	Conditions         types.Map      `tfsdk:"conditions"`
	Workflows          types.Map      `tfsdk:"workflows"`
	Placements         types.List     `tfsdk:"placements"`
}

func (r *resourceRequestResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_resource_request"
}

func (r *resourceRequestResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A resource request: an object of the API a Promise offers (for example a `redis`). " +
			"Creating or changing it makes Kratix run the Promise's configure workflow; the provider waits for the " +
			"workflow **of this change** to finish (see `wait_for`) and exposes everything the pipelines wrote to " +
			"`status`, so other resources can use pipeline outputs. The Promise may be created in the same apply.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<promise>/<namespace>/<name>`, or `<api_version>/<kind>/<namespace>/<name>` without a Promise. This is also the import ID.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"promise": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Name of the Promise whose API this requests. The request's `api_version` and `kind` " +
					"are read from the Promise's status at apply time, so the Promise can be created in the same apply. " +
					"When no Promise of this name exists, the plan warns (naming the closest existing names) and the apply " +
					"waits 20 seconds for it to appear before it fails; refer to a `kratix_promise` created in the same " +
					"configuration (`promise = kratix_promise.NAME.name`) so that Terraform creates it first.",
				PlanModifiers: replace,
				Validators:    []validator.String{dnsSubdomain()},
			},
			"api_version": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "`group/version` of the request, e.g. `marketplace.kratix.io/v1alpha1`. Set it with `kind` only when there is no `promise`; otherwise it is read from the Promise.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplaceIfConfigured()},
			},
			"kind": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Kind of the request, e.g. `redis`. Set it with `api_version` only when there is no `promise`: " +
					"exactly one of `promise` and `kind` must be set.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplaceIfConfigured()},
			},
			"manifest": requestManifestAttribute(),
			"name": schema.StringAttribute{
				Optional: true, Computed: true, // replaced in ModifyPlan: see replaceWhenChanged
				MarkdownDescription: "Name of the request. Changing it replaces the request. Required unless `manifest` is set.",
				Validators:          []validator.String{dnsSubdomain()},
			},
			"namespace": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "Namespace of the request; defaults to the provider's `default_namespace`. Changing it replaces the request.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown(), stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{dnsLabel()},
			},
			"labels":      computedMap(labelsSchema("Labels on the request. Only the labels set here are managed; labels Kratix adds (such as `kratix.io/promise-name`) are left alone and never show as drift.")),
			"annotations": computedMap(managedMapSchema("Annotations on the request. Only the annotations set here are managed.")),
			"spec": schema.DynamicAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "The request's `spec`, as an object. `yamldecode(file(\"resource-request.yaml\")).spec` works as is. " +
					"When the Promise already exists, the spec is checked against its API schema at plan time. " +
					"Fields the API server defaults, and fields others write, never show as drift.",
			},
			"wait_for": schema.StringAttribute{
				Optional: true, Computed: true,
				Default: stringdefault.StaticString(waitConfigured),
				MarkdownDescription: "What apply waits for: `configured` (default) waits until the configure workflow for this " +
					"generation has succeeded (`status.observedGeneration` equals `metadata.generation` and " +
					"`ConfigureWorkflowCompleted=True`); `delivered` also waits until the output was written to the Destinations' " +
					"state stores (`WorksSucceeded=True`, then `WriteSucceeded=True` on each of the Works' WorkPlacements), and fails within seconds when Kratix reports that no Destination " +
					"matches the output's destination selectors; `none` returns right after the API server accepted the request.",
				Validators: []validator.String{stringvalidator.OneOf(waitConfigured, waitDelivered, waitNone)},
			},
			"force_conflicts": forceConflictsAttribute(),
			"validate_spec": schema.BoolAttribute{
				Optional: true, Computed: true,
				Default: booldefault.StaticBool(true),
				MarkdownDescription: "Have the API server check a new or changed request at plan time, with a server-side " +
					"dry-run apply: every rule of the Promise's API (types, enums, patterns, bounds, formats, required fields " +
					"after defaulting, CEL rules, undeclared fields), the namespace, and field ownership. Refusals sit on the " +
					"attribute at fault: errors for a change to an existing request, warnings (the apply then fails) for a " +
					"request that does not exist yet, so that they never block `terraform destroy`. The check needs the Promise to exist with its API installed and every value to be " +
					"known; otherwise the plan warns that the request is checked at apply instead. An unchanged request costs " +
					"nothing. Default `true`. Set it to `false` for an apply that changes the Promise's API and uses the change " +
					"in the same plan.",
			},
			"promise_version": schema.StringAttribute{
				Optional: true, Computed: true,
				MarkdownDescription: "The version of the Promise (the `kratix.io/promise-version` label of one of its " +
					"PromiseRevisions) the request runs, through its ResourceBinding. Unset, Kratix picks it (the latest " +
					"version, or the one the platform pins new requests to) and this shows the version the request runs; " +
					"a new Promise version then upgrades the request on Kratix's schedule. Set, a new request starts at that " +
					"version, and changing it moves the request to the new version (up or down): the apply waits until Kratix " +
					"reports the version applied, or fails naming the version, the pipeline and its message, and the next " +
					"plan still shows the change. A version the Promise has no revision for is refused at plan, with the " +
					"versions there are. Needs a Kratix release of 2026 or later (versioned Promises); with an earlier " +
					"Kratix, setting it is refused at plan.",
			},
			"uid":                 stableComputedString("UID Kubernetes gave the request."),
			"observed_generation": schema.Int64Attribute{Computed: true, MarkdownDescription: "The generation whose configure workflow last succeeded (`status.observedGeneration`)."},
			"message":             schema.StringAttribute{Computed: true, MarkdownDescription: "Kratix's message for the request (`status.message`), e.g. `Resource requested`."},
			"status": schema.DynamicAttribute{
				Computed:            true,
				MarkdownDescription: statusDescription + " Reference pipeline outputs as `kratix_resource_request.x.status.<field>`.",
			},
			"conditions": schema.MapAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Kratix's conditions on the request, as condition type to status (`True`, `False` or `Unknown`), " +
					"e.g. `conditions[\"WorksSucceeded\"]`. Reasons and messages are on the `kratix_resource_request` data source.",
			},
			"workflows": schema.MapAttribute{
				Computed: true, ElementType: types.StringType,
				MarkdownDescription: "Phase of each configure pipeline (`Pending`, `Running`, `Succeeded`, `Failed` or `Suspended`) by " +
					"pipeline name, from `status.kratix.workflows.pipelines`; empty with a Kratix that does not publish it, such as Kratix `main` of 2025-09. Attempts, retries and messages are on the " +
					"`kratix_resource_request` and `kratix_workflows` data sources.",
			},
			"placements": placementsResourceAttribute("Read when an apply of the request returns and at every refresh. " +
				"Kratix schedules the work after the configure workflow writes it, so a request applied with `wait_for = " +
				"\"delivered\"` has its placements when apply returns; with another `wait_for` they can appear only at the " +
				"next refresh."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
				ReadDescription:   readTimeoutDescription,
				CreateDescription: "How long to wait for the Promise's API and the configure workflow on create (default 20m).",
				UpdateDescription: "How long to wait for the configure workflow on update (default 20m).",
				DeleteDescription: "How long to wait for the delete workflow and Kratix's finalizers (default 10m).",
			}),
		},
	}
}

func (r *resourceRequestResource) ConfigValidators(_ context.Context) []resource.ConfigValidator {
	return []resource.ConfigValidator{
		resourcevalidator.ExactlyOneOf(path.MatchRoot("promise"), path.MatchRoot("kind")),
		resourcevalidator.RequiredTogether(path.MatchRoot("api_version"), path.MatchRoot("kind")),
	}
}

func (r *resourceRequestResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *resourceRequestResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = requestIdentitySchema()
}

func (r *resourceRequestResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, requestIdentityAttrs)
	var plan resourceRequestModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultRequestCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if r.applyAndWait(ctx, &plan, nil, false, false, &resp.State, &resp.Diagnostics) {
		flagWorkflowPending.set(ctx, resp.Private, true, &resp.Diagnostics)
	}
}

func (r *resourceRequestResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, requestIdentityAttrs)
	var plan, prior resourceRequestModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultRequestCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	adopted := flagAdopted.get(ctx, req.Private, &resp.Diagnostics)
	pending := flagWorkflowPending.get(ctx, req.Private, &resp.Diagnostics)
	unfinished := r.applyAndWait(ctx, &plan, &prior, adopted, pending, &resp.State, &resp.Diagnostics)
	settleUpdate(ctx, resp, adopted, unfinished)
}

func (r *resourceRequestResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// From the prior state first: a Read that removes the object from
	// the state must still return its identity.
	recordIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, requestIdentityAttrs)
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, requestIdentityAttrs)
	var state resourceRequestModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withReadTimeout(ctx, state.Timeouts, &resp.Diagnostics)
	defer cancel()
	obj, gone, err := r.readCurrent(ctx, &state)
	if gone != "" {
		tflog.Info(ctx, "resource request no longer exists; removing it from state so it is planned for creation", map[string]any{"id": state.ID.ValueString(), "reason": gone})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read resource request "+state.ID.ValueString(), err.Error()+
			"\n\nThe request stays in the Terraform state. Run the plan again once the API server answers; "+
			"raise timeouts.read if it is only slow to come back.")
		return
	}
	r.fillFromObject(ctx, &state, obj)
	state.Placements = placementsOnRefresh(ctx, r.data, requestWorkSelector(obj, state.Promise), state.Placements, &resp.Diagnostics)
	warnIfTerminating(obj, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *resourceRequestResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state resourceRequestModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultRequestDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r.deleteAndWait(ctx, &state, &resp.Diagnostics)
}

func (r *resourceRequestResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, requestIdentityAttrs)
	if problem := requestIdentityProblem(ctx, req); problem != "" {
		resp.Diagnostics.AddError("Invalid import identity",
			"The identity of a kratix_resource_request names the request's namespace and name and either its Promise or its api_version and kind: "+problem+".")
		return
	}
	importedID := importID(ctx, req, &resp.Diagnostics, requestIdentityAttrs)
	id, err := parseRequestID(importedID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import ID", err.Error())
		return
	}
	state := importedRequestState(importedID, id)
	flagAdopted.set(ctx, resp.Private, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// importedRequestState is the state an import starts from: the object's
// coordinates from the import ID (rawID, parsed as id), and the arguments'
// defaults.
func importedRequestState(rawID string, id requestIdentity) resourceRequestModel {
	return resourceRequestModel{
		ID:             types.StringValue(rawID),
		Manifest:       types.DynamicNull(),
		Promise:        stringOrNull(id.Promise),
		APIVersion:     stringOrNull(id.APIVersion),
		Kind:           stringOrNull(id.Kind),
		Name:           types.StringValue(id.Name),
		Namespace:      types.StringValue(id.Namespace),
		Labels:         types.MapNull(types.StringType),
		Annotations:    types.MapNull(types.StringType),
		Spec:           types.DynamicNull(),
		WaitFor:        types.StringValue(waitConfigured),
		ForceConflicts: types.BoolValue(false),
		ValidateSpec:   types.BoolValue(true),
		Timeouts:       timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
		Status:         types.DynamicNull(),
		Conditions:     types.MapNull(types.StringType),
		Workflows:      types.MapNull(types.StringType),
		Placements:     types.ListNull(placementObjectType),
	}
}

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
