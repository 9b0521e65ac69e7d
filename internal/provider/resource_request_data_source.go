package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sschema "k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var (
	_ datasource.DataSource                     = (*requestDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*requestDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*requestDataSource)(nil)
)

const defaultDataSourceWait = 10 * time.Minute

// waitForCondition matches `<ConditionType>=<True|False|Unknown>`.
var waitForCondition = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*)=(True|False|Unknown)$`)

// NewResourceRequestDataSource reads a request, optionally waiting for it.
func NewResourceRequestDataSource() datasource.DataSource {
	return &requestDataSource{}
}

type requestDataSource struct {
	data *providerData
}

type requestDataSourceModel struct {
	Promise            types.String   `tfsdk:"promise"`
	APIVersion         types.String   `tfsdk:"api_version"`
	Kind               types.String   `tfsdk:"kind"`
	Namespace          types.String   `tfsdk:"namespace"`
	Name               types.String   `tfsdk:"name"`
	WaitFor            types.String   `tfsdk:"wait_for"`
	Timeouts           timeouts.Value `tfsdk:"timeouts"`
	UID                types.String   `tfsdk:"uid"`
	Generation         types.Int64    `tfsdk:"generation"`
	ObservedGeneration types.Int64    `tfsdk:"observed_generation"`
	Spec               types.Dynamic  `tfsdk:"spec"`
	Status             types.Dynamic  `tfsdk:"status"`
	Message            types.String   `tfsdk:"message"`
	Conditions         types.List     `tfsdk:"conditions"`
	Workflows          types.List     `tfsdk:"workflows"`
	Health             types.String   `tfsdk:"health"`
	Placements         types.List     `tfsdk:"placements"`
}

func (d *requestDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_resource_request"
}

func (d *requestDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads a resource request, including everything its pipelines wrote to `status`. With " +
			"`wait_for`, it first waits for the request to reach a state, so a configuration can depend on a request it " +
			"does not manage (for example one a team created with kubectl).",
		Attributes: map[string]schema.Attribute{
			"promise": schema.StringAttribute{Optional: true, MarkdownDescription: "Name of the Promise whose API the request is of. " +
				"Exactly one of `promise` and `kind` must be set.", Validators: []validator.String{dnsSubdomain()}},
			"api_version": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "`group/version` of the request, " +
				"when there is no `promise`; required with `kind`. With `promise`, read from the Promise."},
			"kind": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Kind of the request, when there is " +
				"no `promise`, with `api_version`. Exactly one of `promise` and `kind` must be set."},
			"namespace": schema.StringAttribute{Optional: true, Computed: true, MarkdownDescription: "Namespace; defaults to the provider's `default_namespace`."},
			"name":      schema.StringAttribute{Required: true, MarkdownDescription: "Name of the request."},
			"wait_for": schema.StringAttribute{Optional: true, MarkdownDescription: "Wait before reading: `configured` (the " +
				"configure workflow of the current generation succeeded), `delivered` (also `WorksSucceeded=True` and `WriteSucceeded=True` on each WorkPlacement of its Works; fails within " +
				"seconds when no Destination matches the output's destination selectors), or a " +
				"condition as `<Type>=<Status>`, e.g. `WorksSucceeded=True`. A failed configure workflow fails the read. Bounded by " +
				"`timeouts.read` (default 10m). When unset (the default), the request is read at once, whatever its state, and a " +
				"request that does not exist fails the read. `Reconciled=True` is accepted like any condition, but Kratix never " +
				"sets `Reconciled` on a request whose Promise has no resource configure pipeline, so prefer `configured` or `delivered`.",
				Validators: []validator.String{stringvalidator.Any(stringvalidator.OneOf(waitConfigured, waitDelivered), stringvalidator.RegexMatches(waitForCondition, "must be `<ConditionType>=<True|False|Unknown>`"))}},
			"uid":                 computedString("UID of the request."),
			"generation":          schema.Int64Attribute{Computed: true, MarkdownDescription: "`metadata.generation`."},
			"observed_generation": schema.Int64Attribute{Computed: true, MarkdownDescription: "The generation whose configure workflow last succeeded."},
			"spec":                schema.DynamicAttribute{Computed: true, MarkdownDescription: "The request's whole `spec`."},
			"status":              schema.DynamicAttribute{Computed: true, MarkdownDescription: statusDescription},
			"message":             computedString("Kratix's message for the request."),
			"conditions":          dsConditionsSchema("Kratix's conditions on the request."),
			"workflows":           dsWorkflowsSchema(),
			"health":              computedString("Aggregated health from HealthRecords (`status.healthStatus.state`: `ready`, `healthy`, `degraded`, `unhealthy` or `unknown`); empty when none."),
			"placements":          placementsDataSourceAttribute(),
		},
		Blocks: map[string]schema.Block{"timeouts": timeouts.BlockWithOpts(ctx, timeouts.Opts{
			ReadDescription: "How long the read may take, waiting for `wait_for` included, and retrying an unreachable or " +
				"restarting API server meanwhile (default 10m).",
		})},
	}
}

func (d *requestDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("promise"), path.MatchRoot("kind")),
		datasourcevalidator.RequiredTogether(path.MatchRoot("api_version"), path.MatchRoot("kind")),
	}
}

func (d *requestDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *requestDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m requestDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	timeout, diags := m.Timeouts.Read(ctx, defaultDataSourceWait)
	resp.Diagnostics.Append(diags...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if m.Namespace.IsNull() || m.Namespace.ValueString() == "" {
		m.Namespace = types.StringValue(d.data.DefaultNamespace)
	}
	gvk, err := d.resolve(ctx, &m)
	if err != nil {
		resp.Diagnostics.AddError("Cannot resolve the request's API", err.Error())
		return
	}
	obj, ok := d.read(ctx, gvk, &m, &resp.Diagnostics)
	if !ok {
		return
	}
	fillRequestDataSource(ctx, &m, obj)
	m.Placements = placementsNow(ctx, d.data, requestWorkSelector(obj, m.Promise), &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// resolve gives the request's API: the configured one, or its Promise's.
func (d *requestDataSource) resolve(ctx context.Context, m *requestDataSourceModel) (k8sschema.GroupVersionKind, error) {
	if !m.Promise.IsNull() {
		// Before Kratix publishes the API, the request can exist already
		// under the API spec.api names.
		api, err := requestAPI(ctx, d.data, m.Promise.ValueString(), apiLookup{mode: apiNow})
		if err != nil {
			return k8sschema.GroupVersionKind{}, err
		}
		if api.kind == "" {
			return k8sschema.GroupVersionKind{}, fmt.Errorf("promise %q has not published its API yet (status.kind is empty) and its spec.api names no group, kind and storage version", m.Promise.ValueString())
		}
		m.APIVersion, m.Kind = types.StringValue(api.apiVersion), types.StringValue(api.kind)
	}
	return k8sschema.FromAPIVersionAndKind(m.APIVersion.ValueString(), m.Kind.ValueString()), nil
}

// read gets the request, first waiting for wait_for when it is set.
func (d *requestDataSource) read(ctx context.Context, gvk k8sschema.GroupVersionKind, m *requestDataSourceModel, diags *diag.Diagnostics) (*unstructured.Unstructured, bool) {
	cannotRead := fmt.Sprintf("Cannot read %s %s/%s", gvk.Kind, m.Namespace.ValueString(), m.Name.ValueString())
	if m.WaitFor.ValueString() == "" {
		obj, err := d.data.Client.GetWhenServed(ctx, gvk, m.Namespace.ValueString(), m.Name.ValueString())
		if err != nil {
			diags.AddError(cannotRead, err.Error())
		}
		return obj, err == nil
	}
	res := d.follow(ctx, gvk, m)
	return res.Object, !reportFollow(res, waitForReport(cannotRead, m.WaitFor.ValueString()), diags)
}

// follow waits until the request meets wait_for.
func (d *requestDataSource) follow(ctx context.Context, gvk k8sschema.GroupVersionKind, m *requestDataSourceModel) kratix.FollowResult {
	ns, name := m.Namespace.ValueString(), m.Name.ValueString()
	wait := requestCondition(m.WaitFor.ValueString())
	var res kratix.FollowResult
	guard := newScheduleGuard(d.data.Client)
	res.Undeliverable = guard.run(ctx, func(ctx context.Context) {
		res.Err = followRequest(ctx, d.data.Client, gvk, ns, name, wait, func(obj *unstructured.Unstructured, out kratix.Outcome) {
			res.Last, res.Object = out, obj
			guard.observe(obj, res.Last)
		})
	})
	return withFailedRun(ctx, d.data.Client, res.Decided(ctx.Err()), "configure", kratix.RequestJobLabelsOf(res.Object), ns)
}

// waitForReport words how waiting for wait_for ended: every error is
// one of reading the request (summary).
func waitForReport(summary, waitFor string) followReport {
	return followReport{
		what: summary,
		undeliverable: func(res kratix.FollowResult) (string, string) {
			return summary, "the request's configure workflow finished, but it cannot be delivered. " + res.Undeliverable
		},
		failed: func(res kratix.FollowResult) (string, string) {
			return summary, res.Last.Summary + failedRunText(res)
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			return summary, fmt.Sprintf("timed out waiting for %s; last seen: %s. Raise timeouts.read if the workflow is just slow", waitFor, res.Last.Summary)
		},
		errored: func(res kratix.FollowResult) (string, string) { return summary, followErr(res) },
	}
}

// conditionWait is a wait for a condition of the request: it needs
// nothing but the request.
type conditionWait func(*unstructured.Unstructured) kratix.Outcome

func (c conditionWait) Observe(obj *unstructured.Unstructured) kratix.Outcome { return c(obj) }
func (conditionWait) AwaitsWrites() bool                                      { return false }
func (conditionWait) ObservePlacements([]unstructured.Unstructured, bool)     {}

// requestCondition turns wait_for into a wait.
func requestCondition(waitFor string) requestWait {
	if parts := waitForCondition.FindStringSubmatch(waitFor); parts != nil {
		return conditionWait(func(obj *unstructured.Unstructured) kratix.Outcome {
			if obj == nil {
				return kratix.Outcome{State: kratix.Waiting, Summary: "the request does not exist"}
			}
			c, ok := kratix.FindCondition(obj, parts[1])
			if ok && c.Status == parts[2] {
				return kratix.Outcome{State: kratix.Done}
			}
			if !ok {
				return kratix.Outcome{State: kratix.Waiting, Summary: "no " + parts[1] + " condition yet"}
			}
			return kratix.Outcome{State: kratix.Waiting, Summary: fmt.Sprintf("%s=%s (%s): %s", c.Type, c.Status, c.Reason, c.Message)}
		})
	}
	return &kratix.RequestWatch{Created: true, Delivered: strings.EqualFold(waitFor, waitDelivered)}
}

func fillRequestDataSource(ctx context.Context, m *requestDataSourceModel, obj *unstructured.Unstructured) {
	m.UID, m.Generation = types.StringValue(string(obj.GetUID())), types.Int64Value(obj.GetGeneration())
	observed, _, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	m.ObservedGeneration = types.Int64Value(observed)
	spec, _, _ := unstructured.NestedFieldNoCopy(obj.Object, "spec")
	m.Spec = types.DynamicValue(fromGo(ctx, spec, nil))
	m.Status = statusValue(ctx, obj)
	msg, _, _ := unstructured.NestedString(obj.Object, "status", "message")
	health, _, _ := unstructured.NestedString(obj.Object, "status", "healthStatus", "state")
	m.Message, m.Health = types.StringValue(msg), types.StringValue(health)
	m.Conditions, m.Workflows = conditionsValue(obj), workflowsValue(obj)
}
