package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// planCheckTimeout bounds the plan-time reads and the dry-run of one
// request: past it the check is left to apply, with a warning, rather than
// holding up the plan.
var planCheckTimeout = 10 * time.Second

const notCheckedSummary = "Resource request not checked at plan time"

// checkPlannedRequest asks the API server whether it would accept the
// planned request: a server-side apply with dryRun=All and strict field
// validation, under the provider's field manager. The server applies the
// request's CRD schema exactly as it will at apply (defaults first, then
// types, formats, bounds, CEL rules, unknown fields) and also checks the
// namespace and field ownership. Only a plan that creates or changes the
// request pays for it; when the check cannot run, a warning says why.
func (r *resourceRequestResource) checkPlannedRequest(ctx context.Context, req resource.ModifyPlanRequest, plan *resourceRequestModel, declared declaredKind, diags *diag.Diagnostics) {
	var prior *resourceRequestModel
	if !req.State.Raw.IsNull() {
		prior = &resourceRequestModel{}
		diags.Append(req.State.Get(ctx, prior)...)
	}
	for name, target := range map[string]any{
		"labels": &plan.Labels, "annotations": &plan.Annotations, "force_conflicts": &plan.ForceConflicts,
		"api_version": &plan.APIVersion, "kind": &plan.Kind,
	} {
		diags.Append(req.Plan.GetAttribute(ctx, path.Root(name), target)...)
	}
	if diags.HasError() || !newObject(plan, prior) && sameRequestObject(plan, prior) {
		return
	}
	if !r.data.ConfigKnown {
		r.data.warnOnce(diags, "Resource requests not checked at plan time", "The kratix provider's settings depend on values "+
			"known only after apply, so it cannot ask the cluster to check resource requests in this plan. The API server "+
			"still checks each request at apply.")
		return
	}
	if unknown := unknownRequestParts(plan); unknown != "" {
		diags.AddAttributeWarning(path.Root("spec"), notCheckedSummary, fmt.Sprintf(
			"The %s of resource request %s is known only after apply, so the API server checks the request at apply "+
				"instead of in this plan.", unknown, describeRequest(plan)))
		return
	}
	if r.data.planChecksOff.Load() {
		return
	}
	gvk, ok := r.plannedAPI(ctx, plan, diags)
	if !ok {
		return
	}
	declared.warnIfOtherKind(describeRequest(plan), gvk, diags)
	obj, err := buildRequest(plan, gvk)
	if err != nil {
		return // apply reports it on the attribute
	}
	ctx, cancel := context.WithTimeout(ctx, planCheckTimeout)
	defer cancel()
	adopted := flagAdopted.get(ctx, req.Private, diags)
	creating := prior == nil
	out, err := r.data.Client.Apply(ctx, obj, kube.ApplyOptions{
		FieldManager: r.data.FieldManager, Force: !creating && forceWanted(plan.ForceConflicts, adopted), DryRun: true, Strict: true,
	})
	var found diag.Diagnostics
	switch {
	// A dry-run create returns no resourceVersion; one that returns one, or
	// that conflicts with other managers, met an existing object.
	case creating && (kube.IsConflict(err) || err == nil && out.GetResourceVersion() != ""):
		r.reportExisting(ctx, plan, obj, &found)
	case err != nil:
		r.reportRejection(ctx, plan, gvk, err, &found)
	}
	if newObject(plan, prior) {
		found = createRefusalsAsWarnings(found)
	}
	diags.Append(found...)
}

// newObject reports whether the plan creates the request: no prior state,
// or a replacement under another name or namespace.
func newObject(plan, prior *resourceRequestModel) bool {
	return prior == nil || !plan.Name.Equal(prior.Name) || !plan.Namespace.Equal(prior.Namespace)
}

// reportExisting fails the plan of a create that the apply would refuse:
// the object exists and this provider never wrote it. An object this
// provider's field manager wrote is left to the apply: it is most likely
// the tainted one this plan replaces, which Terraform deletes first.
func (r *resourceRequestResource) reportExisting(ctx context.Context, plan *resourceRequestModel, obj *unstructured.Unstructured, diags *diag.Diagnostics) {
	existing, err := r.data.Client.Get(ctx, obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())
	if err != nil || writtenBy(existing, r.data.FieldManager) {
		return
	}
	if refused := r.data.Client.RefuseExisting(ctx, obj); kube.IsAlreadyExists(refused) {
		addApplyError(diags, "Resource request "+describeRequest(plan), "kratix_resource_request", requestID(plan), refused)
	}
}

func writtenBy(obj *unstructured.Unstructured, manager string) bool {
	for _, f := range obj.GetManagedFields() {
		if f.Manager == manager {
			return true
		}
	}
	return false
}

// unknownRequestParts names the parts of the request known only after
// apply; empty when the dry-run has all it needs.
func unknownRequestParts(plan *resourceRequestModel) string {
	var parts []string
	for _, a := range []struct {
		name  string
		value attr.Value
	}{
		{"promise", plan.Promise}, {"name", plan.Name}, {"namespace", plan.Namespace},
		{"spec", plan.Spec}, {"labels", plan.Labels}, {"annotations", plan.Annotations},
	} {
		if hasUnknown(toGoPartial(a.value)) {
			parts = append(parts, a.name)
		}
	}
	return strings.Join(parts, ", ")
}

func hasUnknown(v any) bool {
	switch tv := v.(type) {
	case unknownValue:
		return true
	case map[string]any:
		for _, e := range tv {
			if hasUnknown(e) {
				return true
			}
		}
	case []any:
		for _, e := range tv {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// plannedAPI is the API the request would be applied under: its Promise's
// current one. Without one (no such Promise yet, or its API not published
// yet) the check is left to apply, with a warning that says why.
func (r *resourceRequestResource) plannedAPI(ctx context.Context, plan *resourceRequestModel, diags *diag.Diagnostics) (schema.GroupVersionKind, bool) {
	if plan.Promise.IsNull() { // a request by api_version and kind alone
		known := known(plan.APIVersion, plan.Kind)
		return schema.FromAPIVersionAndKind(plan.APIVersion.ValueString(), plan.Kind.ValueString()), known
	}
	promise := plan.Promise.ValueString()
	warnMissing := func(hint string) {
		diags.AddAttributeWarning(path.Root("promise"), notCheckedSummary, fmt.Sprintf(
			"No Promise named %q exists on the cluster yet, so resource request %s is checked at apply instead of in "+
				"this plan. If this apply creates the Promise, nothing is wrong. Otherwise check the name: %s",
			promise, describeRequest(plan), hint))
	}
	// A Promise created in the same apply is missing for every request of
	// it: read it and list the names once per plan, not once per request.
	if hint, missing := r.data.missingPromises.Load(promise); missing {
		text, _ := hint.(string)
		warnMissing(text)
		return schema.GroupVersionKind{}, false
	}
	api, err := requestAPI(ctx, r.data, promise, apiLookup{mode: apiNow, readTimeout: planCheckTimeout})
	switch {
	case isNotFound(err):
		hint := promiseNameHint(ctx, r.data.Client, promise)
		r.data.missingPromises.Store(promise, hint)
		warnMissing(hint)
		return schema.GroupVersionKind{}, false
	case err != nil:
		if kube.IsUnreachable(err) {
			r.data.planChecksOff.Store(true) // one wait for an absent cluster per plan, not one per request
		}
		r.data.warnOnce(diags, "Resource requests not checked at plan time", fmt.Sprintf(
			"The provider could not read Promise %q to check resource requests in this plan, so the API server checks "+
				"them at apply instead: %v", promise, err))
		return schema.GroupVersionKind{}, false
	case api.kind == "":
		diags.AddAttributeWarning(path.Root("promise"), notCheckedSummary, fmt.Sprintf(
			"Promise %q has not published its API yet (Kratix is still installing it), so resource request %s is "+
				"checked at apply instead of in this plan.", promise, describeRequest(plan)))
		return schema.GroupVersionKind{}, false
	}
	return api.gvk(), true
}

// promiseNameHint lists the existing Promises whose names are closest to
// name (a typo), or, when none is close, the Promises that exist.
func promiseNameHint(ctx context.Context, client *kube.Client, name string) string {
	list, err := client.List(ctx, kratix.PromiseGVK, "", metav1.ListOptions{})
	if err != nil {
		tflog.Debug(ctx, "cannot list Promises for a name hint", map[string]any{"error": err.Error()})
		return ""
	}
	names := make([]string, 0, len(list.Items))
	for _, p := range list.Items {
		names = append(names, p.GetName())
	}
	if len(names) == 0 {
		return "The cluster has no Promises yet."
	}
	if near := closestNames(name, names, 3); len(near) > 0 {
		return "Did you mean " + quoteJoin(near, " or ") + "?"
	}
	sort.Strings(names)
	if len(names) > 10 {
		return fmt.Sprintf("Promises on the cluster include %s (%d in all).", quoteJoin(names[:10], ", "), len(names))
	}
	return "Promises on the cluster: " + quoteJoin(names, ", ") + "."
}

// closestNames are up to limit candidates within a typo's distance of name,
// nearest first.
func closestNames(name string, candidates []string, limit int) []string {
	type scored struct {
		name     string
		distance int
	}
	var near []scored
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if d <= max(2, len(name)/3) {
			near = append(near, scored{c, d})
		}
	}
	sort.Slice(near, func(i, j int) bool {
		if near[i].distance != near[j].distance {
			return near[i].distance < near[j].distance
		}
		return near[i].name < near[j].name
	})
	out := make([]string, 0, limit)
	for i := 0; i < len(near) && i < limit; i++ {
		out = append(out, near[i].name)
	}
	return out
}

func quoteJoin(names []string, sep string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, sep)
}

// apiChangeHint is for a request that uses a change its Promise's API gets
// in the same plan: the cluster still has the old API.
const apiChangeHint = "\n\nIf this same plan changes the Promise's API and this request uses the change, set " +
	"validate_spec = false on the request, or apply the Promise first."

// reportRejection turns the dry-run's refusal into diagnostics on the
// attributes at fault; a refusal that says nothing about the request (RBAC,
// an unreachable server) leaves the check to apply.
func (r *resourceRequestResource) reportRejection(ctx context.Context, plan *resourceRequestModel, gvk schema.GroupVersionKind, err error, diags *diag.Diagnostics) {
	who := fmt.Sprintf("resource request %s (%s %s of Promise %q)", describeRequest(plan), gvk.Kind, gvk.GroupVersion(), plan.Promise.ValueString())
	switch {
	case kube.IsKindNotServed(err):
		diags.AddAttributeWarning(path.Root("promise"), notCheckedSummary, fmt.Sprintf(
			"The API of Promise %q (%s %s) is not served yet, so %s is checked at apply instead of in this plan.",
			plan.Promise.ValueString(), gvk.Kind, gvk.GroupVersion(), describeRequest(plan)))
	case isMissingNamespace(err, plan.Namespace.ValueString()):
		// The plan cannot know whether something else in this apply creates
		// the namespace first: the apply decides.
		diags.AddAttributeWarning(path.Root("namespace"), notCheckedSummary, fmt.Sprintf(
			"Namespace %q does not exist yet, so %s is checked at apply instead of in this plan. If this apply creates "+
				"the namespace before the request (the request refers to it, or depends_on it), nothing is wrong. "+
				"Otherwise the apply fails: set namespace to one that exists.", plan.Namespace.ValueString(), who))
	case kube.IsConflict(err):
		diags.AddAttributeError(path.Root("spec"), "Field conflict", err.Error())
	case kube.IsWebhookDenial(err):
		diags.AddError("Resource request refused", err.Error())
	case apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || len(typedPatchRefusals(err.Error())) > 0:
		addFieldErrors(who, err, diags)
	default:
		tflog.Debug(ctx, "plan-time dry-run failed", map[string]any{"error": err.Error()})
		r.data.warnOnce(diags, "Resource requests not checked at plan time",
			"The API server did not answer the plan-time check of resource requests, so it checks them at apply instead: "+err.Error())
	}
}

func isMissingNamespace(err error, namespace string) bool {
	if !apierrors.IsNotFound(err) {
		return false
	}
	d := statusDetails(err)
	return d != nil && d.Kind == "namespaces" && d.Name == namespace
}

func statusDetails(err error) *metav1.StatusDetails {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Details
	}
	return nil
}

// Server-side apply refuses a field the schema does not declare, or a value
// of the wrong type, before validation, with a 500 and no causes:
// "failed to create typed patch object (ns/name; group/version, Kind=K):
// .spec.x: field not declared in schema". Strict decoding names fields as
// `unknown field "spec.x"`.
var (
	typedPatchPattern   = regexp.MustCompile(`failed to create typed patch object \([^)]*\): `)
	typedPatchField     = regexp.MustCompile(`(?m)(?:^|: |\n)\s*(\.[^\s:]+): ([^\n]+)`)
	unknownFieldPattern = regexp.MustCompile(`unknown field "([^"]+)"`)
)

// typedPatchRefusals are the fields and reasons in such a message.
func typedPatchRefusals(message string) []fieldRefusal {
	var out []fieldRefusal
	if loc := typedPatchPattern.FindStringIndex(message); loc != nil {
		for _, m := range typedPatchField.FindAllStringSubmatch(message[loc[0]:], -1) {
			reason := m[2]
			if reason == "field not declared in schema" {
				reason = "field not declared in the Promise's API"
			}
			out = append(out, fieldRefusal{strings.TrimPrefix(m[1], "."), reason})
		}
	}
	for _, m := range unknownFieldPattern.FindAllStringSubmatch(message, -1) {
		out = append(out, fieldRefusal{m[1], "field not declared in the Promise's API"})
	}
	return out
}

type fieldRefusal struct{ field, message string }

// addFieldErrors puts each refused field on its attribute.
func addFieldErrors(who string, err error, diags *diag.Diagnostics) {
	var refusals []fieldRefusal
	for _, c := range kube.Causes(err) {
		if c.Field == "<nil>" && strings.Contains(c.Message, "some validation rules were not checked") {
			continue // the server's note that the CEL rules wait for the other errors
		}
		refusals = append(refusals, fieldRefusal{strings.TrimPrefix(c.Field, "."), strings.TrimSpace(c.Message)})
	}
	if len(refusals) == 0 {
		refusals = typedPatchRefusals(err.Error())
	}
	if len(refusals) == 0 {
		diags.AddAttributeError(path.Root("spec"), "Invalid resource request",
			fmt.Sprintf("The API server refused %s: %v%s", who, err, apiChangeHint))
		return
	}
	for _, f := range refusals {
		diags.AddAttributeError(requestAttributePath(f.field), "Invalid resource request",
			fmt.Sprintf("The API server refused %s: %s: %s.%s", who, f.field, strings.TrimSuffix(f.message, "."), apiChangeHint))
	}
}

// requestAttributePath maps an object field path (spec.a.b[0], metadata.
// labels) to the attribute it came from.
func requestAttributePath(field string) path.Path {
	steps := splitFieldPath(field)
	if len(steps) == 0 {
		return path.Root("spec")
	}
	switch steps[0] {
	case "spec":
		return attributePath(path.Root("spec"), steps[1:])
	case "metadata":
		if len(steps) > 1 {
			if name, ok := steps[1].(string); ok {
				switch name {
				case "labels", "annotations", "name", "namespace":
					return attributePath(path.Root(name), steps[2:])
				}
			}
		}
	}
	return path.Root("spec")
}

// splitFieldPath splits spec.a.b[0].c["x.y"] into its keys and indexes.
func splitFieldPath(field string) []any {
	var steps []any
	var name strings.Builder
	flush := func() {
		if name.Len() > 0 {
			steps = append(steps, name.String())
			name.Reset()
		}
	}
	for i := 0; i < len(field); i++ {
		switch field[i] {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(field[i:], ']')
			if end < 0 {
				return steps
			}
			index := strings.Trim(field[i+1:i+end], `"`)
			if n, err := strconv.Atoi(index); err == nil {
				steps = append(steps, n)
			} else {
				steps = append(steps, index)
			}
			i += end
		default:
			name.WriteByte(field[i])
		}
	}
	flush()
	return steps
}
