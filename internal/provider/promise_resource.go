package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ resource.Resource                   = (*promiseResource)(nil)
	_ resource.ResourceWithConfigure      = (*promiseResource)(nil)
	_ resource.ResourceWithImportState    = (*promiseResource)(nil)
	_ resource.ResourceWithIdentity       = (*promiseResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*promiseResource)(nil)
	_ resource.ResourceWithValidateConfig = (*promiseResource)(nil)
)

const (
	defaultPromiseCreateTimeout = 10 * time.Minute
	defaultPromiseDeleteTimeout = 15 * time.Minute
)

// NewPromiseResource manages a Kratix Promise.
func NewPromiseResource() resource.Resource {
	return &promiseResource{}
}

type promiseResource struct {
	data *providerData
}

type promiseModel struct {
	ID                     types.String   `tfsdk:"id"`
	Manifest               types.Dynamic  `tfsdk:"manifest"`
	Name                   types.String   `tfsdk:"name"`
	Version                types.String   `tfsdk:"version"`
	Labels                 types.Map      `tfsdk:"labels"`
	Annotations            types.Map      `tfsdk:"annotations"`
	API                    types.Dynamic  `tfsdk:"api"`
	Workflows              types.Dynamic  `tfsdk:"workflows"`
	Dependencies           types.Dynamic  `tfsdk:"dependencies"`
	DestinationSelectors   types.List     `tfsdk:"destination_selectors"`
	RequiredPromises       types.List     `tfsdk:"required_promises"`
	PipelineNamespace      types.String   `tfsdk:"pipeline_namespace"`
	ReconciliationInterval types.String   `tfsdk:"reconciliation_interval"`
	Wait                   types.Bool     `tfsdk:"wait"`
	WaitForRequests        types.Bool     `tfsdk:"wait_for_requests"`
	ForceConflicts         types.Bool     `tfsdk:"force_conflicts"`
	ForceDestroy           types.Bool     `tfsdk:"force_destroy"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
	UID                    types.String   `tfsdk:"uid"`
	Generation             types.Int64    `tfsdk:"generation"`
	Status                 types.String   `tfsdk:"status"`
	Message                types.String   `tfsdk:"message"`
	Conditions             types.List     `tfsdk:"conditions"`
	APIVersion             types.String   `tfsdk:"api_version"`
	Kind                   types.String   `tfsdk:"kind"`
	RequiredBy             types.List     `tfsdk:"required_by"`
	Placements             types.List     `tfsdk:"placements"`
}

var selectorAttrTypes = map[string]attr.Type{"match_labels": types.MapType{ElemType: types.StringType}}
var requiredPromiseAttrTypes = map[string]attr.Type{"name": types.StringType, "version": types.StringType}
var requiredByAttrTypes = map[string]attr.Type{"name": types.StringType, "version": types.StringType, "required_version": types.StringType}

func (r *promiseResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_promise"
}

func (r *promiseResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A Kratix Promise: an API (a CRD Kratix installs), the workflows that fulfil requests for it, " +
			"dependencies, and where its output is scheduled. Apply waits until the Promise is usable (`Available=True`, " +
			"and `ConfigureWorkflowCompleted=True` when it has promise configure pipelines; with a Kratix that keeps " +
			"PromiseRevisions, also until the revision of its `version` is the latest), so resource requests that " +
			"reference it can be created in the same apply.\n\n" +
			"A `promise.yaml` from the Kratix marketplace, `kratix init` or any repository is managed in one line, " +
			"and the plan shows its changes on the typed arguments:\n\n" +
			"```hcl\nresource \"kratix_promise\" \"redis\" {\n  manifest = file(\"promise.yaml\")\n}\n```",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, MarkdownDescription: "The Promise's name; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
			"manifest": schema.DynamicAttribute{Optional: true, MarkdownDescription: "A whole `promise.yaml`, as text " +
				"(`file(\"promise.yaml\")`) or decoded (`yamldecode(file(\"promise.yaml\"))`). It sets `name`, `version`, `labels`, " +
				"`annotations`, `api`, `workflows`, `dependencies`, `destination_selectors`, `required_promises`, `pipeline_namespace` " +
				"and `reconciliation_interval`, which then cannot be set alongside it; the plan shows its changes on those arguments. " +
				"Metadata a cluster adds (`namespace`, `uid`, `creationTimestamp`, ...) and `status` are ignored. It must hold one " +
				"document of `apiVersion: platform.kratix.io/v1alpha1`, `kind: Promise`, with a `metadata.name`. Unset by default."},
			"name": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Name of the Promise. Changing it replaces the Promise. " +
				"Required unless `manifest` is set.", Validators: []validator.String{dnsSubdomain()}},
			"version": schema.StringAttribute{Optional: true, Computed: true, Validators: []validator.String{labelValue()},
				MarkdownDescription: "Version of the Promise, stored in the label `kratix.io/promise-version`, so it must be " +
					"a valid label value (for example `v1.2.0`)."},
			"labels":      computedMap(labelsSchema("Labels on the Promise. Only the labels set here are managed.")),
			"annotations": computedMap(managedMapSchema("Annotations on the Promise. Only the annotations set here are managed.")),
			"api": schema.DynamicAttribute{Optional: true, Computed: true, MarkdownDescription: "The API the Promise offers: a full " +
				"`apiextensions.k8s.io/v1` CustomResourceDefinition, e.g. `yamldecode(file(\"promise.yaml\")).spec.api`. It must be " +
				"namespaced. Kratix makes its group, kind and names immutable, so changing them replaces the Promise (and deletes its requests)."},
			"workflows": schema.DynamicAttribute{Optional: true, Computed: true, MarkdownDescription: "The Promise's workflows: an object with " +
				"`promise` and `resource`, each with `configure` and `delete` lists of Pipelines " +
				"(`apiVersion: platform.kratix.io/v1alpha1`, `kind: Pipeline`), as in `promise.yaml`. Checked at plan time: pipeline " +
				"kinds, unique names per workflow, and the 60-character limit on `<promise>-<type>-<action>-<pipeline>`."},
			"dependencies": schema.DynamicAttribute{Optional: true, Computed: true, MarkdownDescription: "Manifests Kratix writes to the " +
				"Destinations before any request (a list of Kubernetes objects)."},
			"destination_selectors": schema.ListNestedAttribute{Optional: true, Computed: true, MarkdownDescription: "Labels of the " +
				"Destinations the Promise's output is scheduled to.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"match_labels": schema.MapAttribute{Required: true, ElementType: types.StringType, MarkdownDescription: "Destination labels that must all match."},
				}}},
			"required_promises": schema.ListNestedAttribute{Optional: true, Computed: true, MarkdownDescription: "Promises that must be " +
				"installed and Available first (compound Promises).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":    schema.StringAttribute{Required: true, MarkdownDescription: "Name of the required Promise.", Validators: []validator.String{dnsSubdomain()}},
					"version": schema.StringAttribute{Optional: true, MarkdownDescription: "Required version; any version when unset."},
				}}},
			"pipeline_namespace": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "An existing namespace where all of " +
				"this Promise's workflow Jobs run (`spec.workflows.config.pipelineNamespace`). When unset, Kratix runs the Promise's " +
				"workflows in `kratix-platform-system` and each request's workflows in the request's namespace.", Validators: []validator.String{dnsLabel()}},
			"reconciliation_interval": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "How often Kratix re-runs " +
				"the configure workflows, as a Go duration of at least 1m (e.g. `1h`). When unset, Kratix's global " +
				"`reconciliationInterval` applies (10h unless the Kratix configuration changes it). Kratix 2026 stores it as Go " +
				"spells durations (`1h` becomes `1h0m0s`); the provider keeps the configured spelling, but an import reads Kratix's.", Validators: []validator.String{minDuration(time.Minute)}},
			"wait": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(true),
				MarkdownDescription: "Wait until the Promise is usable after create and update (default `true`)."},
			"wait_for_requests": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "After an update that changes the Promise's spec, also wait until every resource request " +
					"of the Promise, in all namespaces and whoever created it, has run its configure workflow again, and fail " +
					"naming each request whose workflow failed. Default `false`: Kratix re-runs the workflow of every request " +
					"after such an update, and the apply returns without waiting for them. On Kratix 2026 a request re-runs the " +
					"workflow of the Promise version its ResourceBinding names (`latest` by default). Requests that are paused or " +
					"suspended are reported in a warning, not waited for. Needs `wait = true`; bounded by `timeouts.update`."},
			"force_conflicts": forceConflictsAttribute(),
			"force_destroy": schema.BoolAttribute{Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				MarkdownDescription: "Allow destroying or replacing the Promise while resource requests of it exist. Default `false`: " +
					"deleting a Promise makes Kratix delete **every** request of it, including those other teams created outside " +
					"this configuration, so destroy and replacement fail, naming the requests, until it is set. Like any argument, " +
					"it takes effect once applied: set it, run `terraform apply`, then destroy."},
			"uid": stableComputedString("UID Kubernetes gave the Promise."),
			"generation": schema.Int64Attribute{Computed: true, MarkdownDescription: "`metadata.generation`: it grows with each spec change.",
				PlanModifiers: []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}},
			"status":      schema.StringAttribute{Computed: true, MarkdownDescription: "`Available` or `Unavailable`."},
			"message":     schema.StringAttribute{Computed: true, MarkdownDescription: "Kratix's message for the Promise."},
			"conditions":  conditionsSchema("Kratix's conditions on the Promise (`Available`, `ConfigureWorkflowCompleted`, `RequirementsFulfilled`, ...)."),
			"api_version": schema.StringAttribute{Computed: true, MarkdownDescription: "`group/version` of the API the Promise offers; what `kratix_resource_request` uses."},
			"kind":        schema.StringAttribute{Computed: true, MarkdownDescription: "Kind of the API the Promise offers."},
			"required_by": schema.ListAttribute{Computed: true, ElementType: types.ObjectType{AttrTypes: requiredByAttrTypes},
				MarkdownDescription: "Promises that require this one: `name`, `version` and `required_version`."},
			"placements": placementsResourceAttribute("The Promise's own work: what its promise workflows and " +
				"`dependencies` write, scheduled by its `destination_selectors` (its requests' work is on each " +
				"`kratix_resource_request`). Read when an apply of the Promise returns and at every refresh."),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Read: true, Update: true, Delete: true,
				ReadDescription:   readTimeoutDescription,
				CreateDescription: "How long to wait for the Promise to become usable (default 10m).",
				UpdateDescription: "How long to wait for the Promise to become usable again (default 10m).",
				DeleteDescription: "How long to wait for the delete workflow, the Promise's requests and its API to go (default 15m).",
			}),
		},
	}
}

func (r *promiseResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (r *promiseResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = nameIdentity("Promise")
}

func (r *promiseResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan promiseModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultPromiseCreateTimeout)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if r.applyAndWait(ctx, &plan, nil, false, false, &resp.State, &resp.Diagnostics) {
		flagWorkflowPending.set(ctx, resp.Private, true, &resp.Diagnostics)
	}
}

func (r *promiseResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var plan, prior promiseModel
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
	pending := flagWorkflowPending.get(ctx, req.Private, &resp.Diagnostics)
	unfinished := r.applyAndWait(ctx, &plan, &prior, adopted, pending, &resp.State, &resp.Diagnostics)
	// Adoption ends with the first update that writes the Promise.
	settleUpdate(ctx, resp, adopted && !promiseObjectUnchanged(&plan, &prior), unfinished)
}

func (r *promiseResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	// From the prior state first: a Read that removes the object from
	// the state must still return its identity.
	recordIdentity(ctx, &req.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	var state promiseModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(r.data, &resp.Diagnostics) {
		return
	}
	ctx, cancel := withReadTimeout(ctx, state.Timeouts, &resp.Diagnostics)
	defer cancel()
	obj, err := r.data.Client.GetForRefresh(ctx, promiseGVK(), "", state.Name.ValueString())
	if isNotFound(err) {
		tflog.Info(ctx, "promise no longer exists; removing it from state so it is planned for creation", map[string]any{"name": state.Name.ValueString()})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read Promise "+state.Name.ValueString(), err.Error())
		return
	}
	r.fillFromObject(ctx, &state, obj)
	state.Placements = placementsOnRefresh(ctx, r.data, kratix.WorkSelector{Promise: obj.GetName()}, state.Placements, &resp.Diagnostics)
	warnIfTerminating(obj, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *promiseResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state promiseModel
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

func (r *promiseResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	defer recordIdentity(ctx, &resp.State, resp.Identity, &resp.Diagnostics, nameIdentityAttrs)
	name := importID(ctx, req, &resp.Diagnostics, nameIdentityAttrs)
	if errs := dnsSubdomainErrors(name); len(errs) > 0 {
		resp.Diagnostics.AddError("Invalid import ID", "The import ID of a kratix_promise is the Promise's name; \""+name+"\" is not a valid name: "+errs[0])
		return
	}
	state := emptyPromiseState(name)
	flagAdopted.set(ctx, resp.Private, true, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func emptyPromiseState(name string) promiseModel {
	return promiseModel{
		ID: types.StringValue(name), Name: types.StringValue(name), Manifest: types.DynamicNull(),
		Labels: types.MapNull(types.StringType), Annotations: types.MapNull(types.StringType),
		API: types.DynamicNull(), Workflows: types.DynamicNull(), Dependencies: types.DynamicNull(),
		DestinationSelectors: types.ListNull(types.ObjectType{AttrTypes: selectorAttrTypes}),
		RequiredPromises:     types.ListNull(types.ObjectType{AttrTypes: requiredPromiseAttrTypes}),
		Wait:                 types.BoolValue(true),
		ForceConflicts:       types.BoolValue(false),
		WaitForRequests:      types.BoolValue(false),
		ForceDestroy:         types.BoolValue(false),
		Timeouts:             timeouts.Value{Object: types.ObjectNull(timeoutsAttrTypes())},
		Conditions:           types.ListNull(conditionObjectType),
		RequiredBy:           types.ListNull(types.ObjectType{AttrTypes: requiredByAttrTypes}),
		Placements:           types.ListNull(placementObjectType),
	}
}
