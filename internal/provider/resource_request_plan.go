package provider

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var _ resource.ResourceWithModifyPlan = (*resourceRequestResource)(nil)

// ModifyPlan fills what is knowable at plan time (namespace, id) and checks
// the spec against the Promise's API schema when the Promise exists. With
// no Promise yet (it is created in the same apply) the check is skipped:
// planning never needs the API (hashicorp/terraform-provider-kubernetes#1367).
func (r *resourceRequestResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return
	}
	planWorkflowRerun(ctx, req, resp, requestOutcomeUnknown())
	// Attribute by attribute, not the whole model: this runs for every
	// request on every plan, and a full Get and Set walks the whole state.
	var plan resourceRequestModel
	for name, target := range map[string]any{
		"id": &plan.ID, "promise": &plan.Promise, "name": &plan.Name, "namespace": &plan.Namespace,
		"validate_spec": &plan.ValidateSpec, "spec": &plan.Spec,
	} {
		resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root(name), target)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if plan.Namespace.IsUnknown() && req.State.Raw.IsNull() {
		var configured types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("namespace"), &configured)...)
		if configured.IsNull() {
			plan.Namespace = types.StringValue(r.data.DefaultNamespace)
			resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("namespace"), plan.Namespace)...)
		}
	}
	if plan.ID.IsUnknown() && known(plan.Promise, plan.Namespace, plan.Name) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), requestID(&plan))...)
	}
	if plan.ValidateSpec.ValueBool() && !terraformIsDestroying() {
		r.validateSpec(ctx, &plan, resp)
	}
}

func known(values ...types.String) bool {
	for _, v := range values {
		if v.IsUnknown() || v.IsNull() {
			return false
		}
	}
	return true
}

func (r *resourceRequestResource) validateSpec(ctx context.Context, plan *resourceRequestModel, resp *resource.ModifyPlanResponse) {
	if !r.data.ConfigKnown || plan.Promise.IsUnknown() || plan.Promise.IsNull() || plan.Spec.IsNull() {
		return
	}
	promise := plan.Promise.ValueString()
	specSchema, kind, ok := r.data.schemas.get(ctx, promise, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return r.data.Client.Get(ctx, kratix.PromiseGVK, "", promise)
	})
	if !ok {
		return
	}
	for _, p := range kratix.ValidateSpec(toGoPartial(plan.Spec), specSchema) {
		resp.Diagnostics.AddAttributeError(attributePath(path.Root("spec"), p.Path), "Spec does not match the Promise's API",
			fmt.Sprintf("%s %s, according to the API of Promise %q (kind %s).\n\nIf this same plan changes that Promise's API, "+
				"set validate_spec = false on this request, or apply the Promise first.", describePath(p.Path), p.Message, promise, kind))
	}
}

func describePath(parts []any) string {
	out := "spec"
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			out += "." + v
		case int:
			out += fmt.Sprintf("[%d]", v)
		}
	}
	return out
}

// toGoPartial is toGo that keeps going past unknown values, marking them so
// the validator skips them.
func toGoPartial(v attr.Value) any {
	if v == nil || v.IsNull() {
		return nil
	}
	if v.IsUnknown() {
		return kratix.Unknown{}
	}
	switch tv := v.(type) {
	case types.Dynamic:
		return toGoPartial(tv.UnderlyingValue())
	case types.Object:
		return mapPartial(tv.Attributes())
	case types.Map:
		return mapPartial(tv.Elements())
	case types.List:
		return slicePartial(tv.Elements())
	case types.Tuple:
		return slicePartial(tv.Elements())
	case types.Set:
		return slicePartial(tv.Elements())
	}
	g, _ := toGo(v)
	return g
}

func mapPartial(elems map[string]attr.Value) map[string]any {
	out := make(map[string]any, len(elems))
	for k, e := range elems {
		if g := toGoPartial(e); g != nil {
			out[k] = g
		}
	}
	return out
}

func slicePartial(elems []attr.Value) []any {
	out := make([]any, 0, len(elems))
	for _, e := range elems {
		out = append(out, toGoPartial(e))
	}
	return out
}

// schemaLookupTimeout bounds the plan-time read of a Promise: past it the
// spec check is skipped (the API server still validates at apply) rather
// than holding up the plan.
var schemaLookupTimeout = 10 * time.Second

// schemaCache holds each Promise's request schema for the life of the
// provider process (one plan), so N requests of one Promise cost one GET.
// Only answers that stand for the plan are kept: the schema, or a 404 of
// the Promise (created in this apply). Any other failure is shared with the
// requests waiting on the same read, then forgotten, so the next request
// reads the Promise again.
type schemaCache struct {
	mu      sync.Mutex
	lookups map[string]*schemaLookup
}

// schemaLookup is one read of a Promise; done closes once entry is set.
type schemaLookup struct {
	done  chan struct{}
	entry schemaEntry
}

type schemaEntry struct {
	schema map[string]any
	kind   string
	ok     bool
}

// get returns the Promise's spec schema and request kind; ok is false when
// there is none to check against. read reads the Promise.
func (c *schemaCache) get(ctx context.Context, promise string, read func(context.Context) (*unstructured.Unstructured, error)) (map[string]any, string, bool) {
	c.mu.Lock()
	l, running := c.lookups[promise]
	if !running {
		l = &schemaLookup{done: make(chan struct{})}
		if c.lookups == nil {
			c.lookups = map[string]*schemaLookup{}
		}
		c.lookups[promise] = l
	}
	c.mu.Unlock()
	if !running {
		keep := l.run(ctx, promise, read)
		if !keep {
			c.mu.Lock()
			delete(c.lookups, promise)
			c.mu.Unlock()
		}
		close(l.done)
	}
	select {
	case <-l.done:
		return l.entry.schema, l.entry.kind, l.entry.ok
	case <-ctx.Done():
		return nil, "", false
	}
}

// run reads the Promise and reports whether the answer stands for the plan.
func (l *schemaLookup) run(ctx context.Context, promise string, read func(context.Context) (*unstructured.Unstructured, error)) bool {
	ctx, cancel := context.WithTimeout(ctx, schemaLookupTimeout)
	defer cancel()
	obj, err := read(ctx)
	if err != nil {
		tflog.Debug(ctx, "spec not validated at plan time: Promise not readable (it may be created in this apply)", map[string]any{"promise": promise, "error": err.Error()})
		return isNotFound(err)
	}
	l.entry.schema, l.entry.ok = kratix.SpecSchema(obj)
	l.entry.kind = kratix.SummarisePromise(obj).Kind
	return true
}
