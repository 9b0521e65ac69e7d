package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// promiseManifestArgs are the arguments `manifest` fills.
var promiseManifestArgs = []covered{
	{"name", "metadata.name"},
	{"version", `metadata.labels["kratix.io/promise-version"]`},
	{"labels", "metadata.labels"},
	{"annotations", "metadata.annotations"},
	{"api", "spec.api"},
	{"workflows", "spec.workflows"},
	{"dependencies", "spec.dependencies"},
	{"destination_selectors", "spec.destinationSelectors"},
	{"required_promises", "spec.requiredPromises"},
	{"pipeline_namespace", "spec.workflows.config.pipelineNamespace"},
	{"reconciliation_interval", "spec.workflows.config.reconciliationInterval"},
}

// manifestArgs are the model's values of promiseManifestArgs, by name.
func (m *promiseModel) manifestArgs() map[string]attr.Value {
	return map[string]attr.Value{
		"name": m.Name, "version": m.Version, "labels": m.Labels, "annotations": m.Annotations,
		"api": m.API, "workflows": m.Workflows, "dependencies": m.Dependencies,
		"destination_selectors": m.DestinationSelectors, "required_promises": m.RequiredPromises,
		"pipeline_namespace": m.PipelineNamespace, "reconciliation_interval": m.ReconciliationInterval,
	}
}

// validateManifestConfig: `manifest` or the typed arguments, never both,
// and a name either way.
func validateManifestConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config promiseModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !config.Manifest.IsNull() {
		conflictsWithManifest(config.manifestArgs(), promiseManifestArgs, "kratix_promise", &resp.Diagnostics)
		return
	}
	if config.Name.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Missing name",
			"Set `manifest` to a whole promise.yaml (manifest = file(\"promise.yaml\")), or set `name` and the other arguments.")
	}
}

// planFromManifest sets the typed arguments' planned values: from the
// manifest when there is one, otherwise exactly as configured (they are
// Computed only so that the manifest can fill them; without it nothing
// about them changes).
func (r *promiseResource) planFromManifest(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	var config promiseModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	planned := config
	if !config.Manifest.IsNull() {
		planned = promiseArgsFromManifest(ctx, config.Manifest, resp)
		if resp.Diagnostics.HasError() {
			return
		}
	}
	for name, value := range planned.manifestArgs() {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(name), value)...)
	}
	if !config.Manifest.IsNull() {
		keepPriorWhenUnchanged(ctx, req, resp)
	}
}

// keepPriorWhenUnchanged plans no change when the manifest gives the same
// arguments as before. Terraform proposes null, not the prior value, for a
// nested attribute left out of the configuration (destination_selectors),
// so without this every plan of a manifest with selectors would be an
// update.
func keepPriorWhenUnchanged(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || resp.Diagnostics.HasError() || flagWorkflowPending.get(ctx, req.Private, &resp.Diagnostics) {
		return
	}
	var plan, prior promiseModel
	resp.Diagnostics.Append(resp.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	unchanged := plan.Manifest.Equal(prior.Manifest) && plan.Wait.Equal(prior.Wait) && plan.ForceConflicts.Equal(prior.ForceConflicts) &&
		plan.ForceDestroy.Equal(prior.ForceDestroy) && plan.Timeouts.Equal(prior.Timeouts) && plan.WaitForRequests.Equal(prior.WaitForRequests)
	for name, value := range plan.manifestArgs() {
		unchanged = unchanged && value.Equal(prior.manifestArgs()[name])
	}
	if unchanged {
		resp.Plan.Raw = req.State.Raw
	}
}

func promiseArgsFromManifest(ctx context.Context, manifest types.Dynamic, resp *resource.ModifyPlanResponse) promiseModel {
	doc, known, err := manifestDocument(manifest)
	if !known {
		return unknownPromiseArgs()
	}
	var parsed kratix.PromiseManifest
	if err == nil {
		parsed, err = kratix.ParsePromiseManifest(doc)
	}
	if err != nil {
		manifestError("kratix_promise", err, &resp.Diagnostics)
		return promiseModel{}
	}
	m := promiseModel{
		Name: types.StringValue(parsed.Name), Version: optionalStringValue(parsed.Version),
		Labels: optionalMapValue(parsed.Labels), Annotations: optionalMapValue(parsed.Annotations),
		API: dynamicFromGo(ctx, parsed.API), Workflows: dynamicFromGo(ctx, parsed.Workflows), Dependencies: dynamicFromGo(ctx, nilIfEmptyList(parsed.Dependencies)),
		DestinationSelectors: selectorsFromManifest(parsed.DestinationSelectors), RequiredPromises: requiredFromManifest(parsed.RequiredPromises),
		PipelineNamespace: optionalStringValue(parsed.PipelineNamespace), ReconciliationInterval: optionalStringValue(parsed.ReconciliationInterval),
	}
	checkPromiseManifestValues(ctx, &m, resp)
	return m
}

// checkPromiseManifestValues runs the typed arguments' validators on what
// the manifest gives them.
func checkPromiseManifestValues(ctx context.Context, m *promiseModel, resp *resource.ModifyPlanResponse) {
	checkManifestString(ctx, "metadata.name", m.Name, dnsSubdomain(), &resp.Diagnostics)
	checkManifestString(ctx, `metadata.labels["kratix.io/promise-version"]`, m.Version, labelValue(), &resp.Diagnostics)
	checkManifestString(ctx, "spec.workflows.config.pipelineNamespace", m.PipelineNamespace, dnsLabel(), &resp.Diagnostics)
	checkManifestString(ctx, "spec.workflows.config.reconciliationInterval", m.ReconciliationInterval, minDuration(time.Minute), &resp.Diagnostics)
	checkManifestMap(ctx, "metadata.labels", m.Labels, metadataKeysValidator{labelValues: true}, &resp.Diagnostics)
	checkManifestMap(ctx, "metadata.annotations", m.Annotations, metadataKeysValidator{}, &resp.Diagnostics)
}

func unknownPromiseArgs() promiseModel {
	return promiseModel{
		Name: types.StringUnknown(), Version: types.StringUnknown(),
		Labels: types.MapUnknown(types.StringType), Annotations: types.MapUnknown(types.StringType),
		API: types.DynamicUnknown(), Workflows: types.DynamicUnknown(), Dependencies: types.DynamicUnknown(),
		DestinationSelectors:   types.ListUnknown(types.ObjectType{AttrTypes: selectorAttrTypes}),
		RequiredPromises:       types.ListUnknown(types.ObjectType{AttrTypes: requiredPromiseAttrTypes}),
		PipelineNamespace:      types.StringUnknown(),
		ReconciliationInterval: types.StringUnknown(),
	}
}

func selectorsFromManifest(selectors []map[string]string) types.List {
	elemType := types.ObjectType{AttrTypes: selectorAttrTypes}
	if selectors == nil {
		return types.ListNull(elemType)
	}
	elems := make([]attr.Value, 0, len(selectors))
	for _, labels := range selectors {
		elems = append(elems, types.ObjectValueMust(selectorAttrTypes, map[string]attr.Value{"match_labels": stringMapValue(labels)}))
	}
	return types.ListValueMust(elemType, elems)
}

func requiredFromManifest(required []kratix.RequiredPromise) types.List {
	elemType := types.ObjectType{AttrTypes: requiredPromiseAttrTypes}
	if required == nil {
		return types.ListNull(elemType)
	}
	elems := make([]attr.Value, 0, len(required))
	for _, r := range required {
		elems = append(elems, types.ObjectValueMust(requiredPromiseAttrTypes, map[string]attr.Value{
			"name": types.StringValue(r.Name), "version": optionalStringValue(r.Version),
		}))
	}
	return types.ListValueMust(elemType, elems)
}

// nilIfEmptyList reads `dependencies: []` as no dependencies: the API server
// stores an empty list as no field at all, so an import reads it back as
// null, and planning [] would make every imported manifest an update.
func nilIfEmptyList(v any) any {
	if l, ok := v.([]any); ok && len(l) == 0 {
		return nil
	}
	return v
}
