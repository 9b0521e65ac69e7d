package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

type selectorModel struct {
	MatchLabels map[string]string `tfsdk:"match_labels"`
}

type requiredPromiseModel struct {
	Name    types.String `tfsdk:"name"`
	Version types.String `tfsdk:"version"`
}

// buildPromise turns the planned configuration into the Promise to apply.
func buildPromise(m *promiseModel) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetGroupVersionKind(kratix.PromiseGVK)
	obj.SetName(m.Name.ValueString())
	labels, err := stringMap(m.Labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if v := m.Version.ValueString(); v != "" {
		if labels == nil {
			labels = map[string]string{}
		}
		labels[kratix.LabelPromiseVersion] = v
	}
	if len(labels) > 0 {
		obj.SetLabels(labels)
	}
	annotations, err := stringMap(m.Annotations)
	if err != nil {
		return nil, fmt.Errorf("annotations: %w", err)
	}
	if len(annotations) > 0 {
		obj.SetAnnotations(annotations)
	}
	spec, err := promiseSpec(m)
	if err != nil {
		return nil, err
	}
	obj.Object["spec"] = spec
	return obj, nil
}

func promiseSpec(m *promiseModel) (map[string]any, error) {
	spec := map[string]any{}
	if err := setGo(spec, "api", m.API, isMap); err != nil {
		return nil, err
	}
	if err := setGo(spec, "dependencies", m.Dependencies, isList); err != nil {
		return nil, err
	}
	if err := setGo(spec, "workflows", m.Workflows, isMap); err != nil {
		return nil, err
	}
	config := map[string]any{}
	if v := m.PipelineNamespace.ValueString(); v != "" {
		config["pipelineNamespace"] = v
	}
	if v := m.ReconciliationInterval.ValueString(); v != "" {
		config["reconciliationInterval"] = v
	}
	if len(config) > 0 {
		workflows, _ := spec["workflows"].(map[string]any)
		if workflows == nil {
			workflows = map[string]any{}
		}
		workflows["config"] = config
		spec["workflows"] = workflows
	}
	if selectors := selectorsToGo(m.DestinationSelectors); selectors != nil {
		spec["destinationSelectors"] = selectors
	}
	if required := requiredToGo(m.RequiredPromises); required != nil {
		spec["requiredPromises"] = required
	}
	return spec, nil
}

func isMap(v any) bool  { _, ok := v.(map[string]any); return ok }
func isList(v any) bool { _, ok := v.([]any); return ok }

func setGo(into map[string]any, key string, v types.Dynamic, shapeOK func(any) bool) error {
	g, err := toGoWithNulls(v)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if g = nilIfEmptyList(g); g == nil {
		return nil // what the API server stores for [] too
	}
	if !shapeOK(g) {
		return fmt.Errorf("%s has the wrong shape (%T); see the attribute's documentation", key, g)
	}
	into[key] = g
	return nil
}

func selectorsToGo(l types.List) []any {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var selectors []selectorModel
	l.ElementsAs(context.Background(), &selectors, false)
	out := make([]any, 0, len(selectors))
	for _, s := range selectors {
		labels := map[string]any{}
		for k, v := range s.MatchLabels {
			labels[k] = v
		}
		out = append(out, map[string]any{"matchLabels": labels})
	}
	return out
}

func requiredToGo(l types.List) []any {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var required []requiredPromiseModel
	l.ElementsAs(context.Background(), &required, false)
	out := make([]any, 0, len(required))
	for _, r := range required {
		item := map[string]any{"name": r.Name.ValueString()}
		if v := r.Version.ValueString(); v != "" {
			item["version"] = v
		}
		out = append(out, item)
	}
	return out
}

// warnPromiseReplacement says, at plan, what replacing the Promise does to
// its requests.
func warnPromiseReplacement(resp *resource.ModifyPlanResponse, at path.Path, reason string, forceDestroy bool) {
	consequence := "The apply will stop before deleting anything if resource requests of this Promise exist, " +
		"because force_destroy is false."
	if forceDestroy {
		consequence = "force_destroy is true, so Kratix will delete every resource request of this Promise, " +
			"including requests created outside this configuration, with their outputs."
	}
	resp.Diagnostics.AddAttributeWarning(at, "Promise will be replaced",
		reason+" Terraform will delete the Promise and create it again. "+consequence)
}

// promiseArgsChanged reports whether an update will send the Promise
// anything new.
func promiseArgsChanged(plan, prior *promiseModel) bool {
	return !plan.Version.Equal(prior.Version) || !plan.Labels.Equal(prior.Labels) || !plan.Annotations.Equal(prior.Annotations) ||
		!plan.API.Equal(prior.API) || !plan.Workflows.Equal(prior.Workflows) || !plan.Dependencies.Equal(prior.Dependencies) ||
		!plan.DestinationSelectors.Equal(prior.DestinationSelectors) || !plan.RequiredPromises.Equal(prior.RequiredPromises) ||
		!plan.PipelineNamespace.Equal(prior.PipelineNamespace) || !plan.ReconciliationInterval.Equal(prior.ReconciliationInterval)
}

// markPromiseOutcomeUnknown: an update makes Kratix bump the generation,
// which UseStateForUnknown would otherwise promise to keep. (The other
// computed attributes are unknown in any planned update already.)
func markPromiseOutcomeUnknown(ctx context.Context, resp *resource.ModifyPlanResponse) {
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("generation"), types.Int64Unknown())...)
}

func validatePromiseWorkflows(plan *promiseModel, resp *resource.ModifyPlanResponse) {
	workflows, err := toGo(plan.Workflows)
	if err != nil || workflows == nil || plan.Name.IsUnknown() {
		return
	}
	wm, ok := workflows.(map[string]any)
	if !ok {
		resp.Diagnostics.AddAttributeError(path.Root("workflows"), "Invalid workflows", "workflows must be an object with `promise` and/or `resource` keys.")
		return
	}
	for _, p := range kratix.ValidateWorkflows(plan.Name.ValueString(), wm) {
		resp.Diagnostics.AddAttributeError(attributePath(path.Root("workflows"), p.Path), "Invalid Pipeline", p.Message)
	}
}

// attributePath turns keys and indexes below an attribute into a path that
// Terraform shows next to the offending value.
func attributePath(base path.Path, parts []any) path.Path {
	p := base
	for _, part := range parts {
		switch v := part.(type) {
		case string:
			p = p.AtMapKey(v)
		case int:
			p = p.AtListIndex(v)
		}
	}
	return p
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func dnsSubdomainErrors(name string) []string { return validation.IsDNS1123Subdomain(name) }

// minDurationValidator checks a Go duration string against a minimum, as
// Kratix's webhook does for reconciliation intervals.
type minDurationValidator struct{ least time.Duration }

func minDuration(least time.Duration) validator.String { return minDurationValidator{least} }

func (v minDurationValidator) Description(context.Context) string {
	return "a Go duration of at least " + v.least.String()
}

func (v minDurationValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v minDurationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil || d < v.least {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
			fmt.Sprintf("%q must be %s, e.g. \"1h\" or \"90m\".", req.ConfigValue.ValueString(), v.Description(context.Background())))
	}
}
