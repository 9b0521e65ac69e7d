package provider

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// releasePoll bounds each watch of the release while the wait also looks
// at its Promise: Kratix writes nothing on the release when it installs a
// new version over an Installed=True, so only the Promise shows it.
const releasePoll = 2 * time.Second

// applyAndWait writes the release, records it in state at once, then
// (unless wait = false) waits until Kratix reports it installed at its
// version, and then until its Promise is usable, with kratix_promise's
// own wait. configVersion is the configured version (null when unset).
func (r *promiseReleaseResource) applyAndWait(ctx context.Context, plan, prior *promiseReleaseModel, configVersion types.String,
	adopted bool, state *tfsdk.State, diags *diag.Diagnostics) {
	if !requireKnownConfig(r.data, diags) {
		return
	}
	name := plan.Name.ValueString()
	header, ok := r.authorizationHeader(ctx, plan, diags)
	if !ok {
		return
	}
	if !r.checkPromiseOwnership(ctx, plan, header, diags) {
		return
	}
	// Kratix fetches again only when spec.version differs from the
	// installed Promise's: with no version configured, a new url clears
	// the recorded one so that Kratix takes the version the new url serves.
	clearVersion := prior != nil && configVersion.IsNull() && !plan.URL.Equal(prior.URL)
	before, err := r.releasePromises(ctx, name)
	if err != nil {
		diags.AddError("Cannot read the Promise of PromiseRelease "+name, err.Error())
		return
	}
	obj := buildRelease(plan, configVersion, clearVersion)
	force := forceWanted(plan.ForceConflicts, adopted) || clearVersion
	applied, err := applyOwned(ctx, r.data, obj, prior == nil, force)
	if err != nil && !force && conflictsOnlyOn(err, ".spec.version") {
		// Kratix writes spec.version itself when the release has none; a
		// version now configured takes it back, and nothing else.
		tflog.Info(ctx, "taking spec.version over from Kratix, which recorded it while version was unset", map[string]any{"name": name})
		applied, err = applyOwned(ctx, r.data, obj, false, true)
	}
	if err != nil {
		addReleaseApplyError(diags, plan, err)
		return
	}
	startedAt := r.data.writtenAt(applied)
	r.recordApplied(ctx, plan, applied, before, state, diags)
	if diags.HasError() || !plan.Wait.ValueBool() {
		return
	}
	watch := &kratix.ReleaseWatch{AppliedAt: startedAt, Created: prior == nil, StaleGrace: releaseStaleGrace}
	res, promiseName := r.followInstalled(ctx, name, watch, newPickupGuard(r.data.Client, applied, ""))
	promises, _ := r.releasePromises(ctx, name)
	if res.Object != nil {
		r.recordApplied(ctx, plan, res.Object, promises, state, diags)
	}
	if reportFollow(res, releaseInstallReport(plan, prior == nil), diags) {
		return
	}
	promise, err := r.data.Client.Get(ctx, promiseGVK(), "", promiseName)
	if err != nil {
		diags.AddError("Cannot read Promise "+promiseName+" of PromiseRelease "+name, err.Error())
		return
	}
	// kratix_promise's wait, as for a Promise applied by hand: Kratix ran
	// the Promise's workflow again only if the release changed its spec.
	specChanged := len(before) == 0 || before[0].GetUID() != promise.GetUID() || before[0].GetGeneration() != promise.GetGeneration()
	promiseWatch := &kratix.PromiseWatch{
		AppliedAt:             startedAt,
		SpecChanged:           specChanged,
		HasConfigurePipelines: len(kratix.PipelineNames(promise, "promise", "configure")) > 0,
		RequestsGeneration:    kratix.RequestsGenerationOf(promise, len(before) > 0 && specChanged),
	}
	usable := (&promiseResource{data: r.data}).followUsable(ctx, promiseName, promiseWatch, newPickupGuard(r.data.Client, promise, promiseName))
	report := usableReport(promiseName, prior == nil)
	report.advice = releaseNextApplyAdvice(prior == nil)
	reportFollow(usable, report, diags)
	if latest, err := r.data.Client.Get(ctx, kratix.PromiseReleaseGVK, "", name); err == nil {
		r.recordApplied(ctx, plan, latest, []unstructured.Unstructured{*promise}, state, diags)
	}
}

// buildRelease is the PromiseRelease the configuration describes.
func buildRelease(plan *promiseReleaseModel, configVersion types.String, clearVersion bool) *unstructured.Unstructured {
	sourceRef := map[string]any{"type": kratix.ReleaseSourceHTTP, "url": plan.URL.ValueString()}
	if ref, ok := secretRef(plan); ok {
		sourceRef["secretRef"] = map[string]any{"name": ref.name, "namespace": ref.namespace}
	}
	spec := map[string]any{"sourceRef": sourceRef}
	switch {
	case !configVersion.IsNull():
		spec["version"] = configVersion.ValueString()
	case clearVersion:
		spec["version"] = ""
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	obj.SetGroupVersionKind(kratix.PromiseReleaseGVK)
	obj.SetName(plan.Name.ValueString())
	return obj
}

type namespacedName struct{ name, namespace string }

func secretRef(m *promiseReleaseModel) (namespacedName, bool) {
	if m.AuthorizationSecretRef.IsNull() || m.AuthorizationSecretRef.IsUnknown() {
		return namespacedName{}, false
	}
	attrs := m.AuthorizationSecretRef.Attributes()
	name, _ := attrs["name"].(types.String)
	namespace, _ := attrs["namespace"].(types.String)
	return namespacedName{name: name.ValueString(), namespace: namespace.ValueString()}, true
}

// authorizationHeader reads the header Kratix will send from the release's
// Secret. A missing Secret fails at once (Kratix would retry without a
// word); without permission to read it, the check is left to Kratix. ok is
// false when the apply must stop.
func (r *promiseReleaseResource) authorizationHeader(ctx context.Context, plan *promiseReleaseModel, diags *diag.Diagnostics) (string, bool) {
	ref, set := secretRef(plan)
	if !set {
		return "", true
	}
	secret, err := r.data.Client.Get(ctx, secretGVK, ref.namespace, ref.name)
	switch {
	case isNotFound(err):
		diags.AddAttributeError(path.Root("authorization_secret_ref"), "Secret "+ref.namespace+"/"+ref.name+" not found",
			fmt.Sprintf("PromiseRelease %q names Secret %s/%s for the Authorization header of the GET of %s, but it does not "+
				"exist. Kratix cannot fetch the Promise without it. Create the Secret (key %s, the whole header value, for "+
				"example \"Bearer <token>\") or reference the resource that creates it. Nothing was written.",
				plan.Name.ValueString(), ref.namespace, ref.name, plan.URL.ValueString(), kratix.ReleaseAuthorizationKey))
		return "", false
	case err != nil:
		tflog.Debug(ctx, "cannot read the release's Secret; leaving it to Kratix", map[string]any{"error": err.Error()})
		return "", true
	}
	value, found := stringData(secret.Object)[kratix.ReleaseAuthorizationKey]
	if !found {
		diags.AddAttributeWarning(path.Root("authorization_secret_ref"), "Secret has no key "+kratix.ReleaseAuthorizationKey,
			fmt.Sprintf("Secret %s/%s has no key %s, so Kratix sends no Authorization header when it fetches %s.",
				ref.namespace, ref.name, kratix.ReleaseAuthorizationKey, plan.URL.ValueString()))
		return "", true
	}
	return decodeSecretValue(value), true
}

// checkPromiseOwnership fetches the URL from where Terraform runs to learn
// the Promise's name, and refuses when a Promise of that name exists that
// this release did not install: Kratix would overwrite its spec and take
// it over. force_conflicts lets it. When the URL cannot be fetched from
// here, the check is left out (Kratix's network may reach what this one
// does not).
func (r *promiseReleaseResource) checkPromiseOwnership(ctx context.Context, plan *promiseReleaseModel, header string, diags *diag.Diagnostics) bool {
	fetched, err := kratix.FetchReleasedPromise(ctx, plan.URL.ValueString(), header)
	if err != nil {
		tflog.Info(ctx, "cannot fetch the release's URL from here; the ownership check of its Promise is left out", map[string]any{"error": err.Error()})
		return true
	}
	existing, err := r.data.Client.Get(ctx, promiseGVK(), "", fetched.Name)
	if isNotFound(err) {
		return true
	}
	if err != nil {
		diags.AddError("Cannot check Promise "+fetched.Name, err.Error())
		return false
	}
	name := plan.Name.ValueString()
	owner := existing.GetLabels()[kratix.LabelPromiseReleaseName]
	switch {
	case owner == name:
		return true
	case owner != "":
		diags.AddAttributeError(path.Root("url"), "Promise "+fetched.Name+" belongs to PromiseRelease "+owner, fmt.Sprintf(
			"%s serves Promise %q, which PromiseRelease %q installed. Kratix lets one release own a Promise, so this "+
				"release could not install it. Nothing was written. Manage that release instead (terraform import), or "+
				"delete it first.", plan.URL.ValueString(), fetched.Name, owner))
		return false
	case plan.ForceConflicts.ValueBool():
		tflog.Info(ctx, "letting Kratix take over an existing Promise (force_conflicts)", map[string]any{"promise": fetched.Name})
		return true
	}
	diags.AddAttributeError(path.Root("url"), "Promise "+fetched.Name+" already exists", fmt.Sprintf(
		"%s serves Promise %q, and a Promise of that name already exists that no PromiseRelease installed (a "+
			"kratix_promise, kubectl or another tool manages it). Kratix would overwrite its spec with the fetched one "+
			"and make this release its owner, so deleting the release would delete it with all its requests. Nothing "+
			"was written.\n\nTo hand the Promise over to this release, set force_conflicts = true (and remove it from "+
			"any other configuration that manages it); otherwise delete that Promise first or point url elsewhere.",
		plan.URL.ValueString(), fetched.Name))
	return false
}

// addReleaseApplyError reports a refused write. Kratix's admission webhook
// fetches the URL when a release is created and refuses one it cannot
// fetch: that error gets the URL and what to check.
func addReleaseApplyError(diags *diag.Diagnostics, plan *promiseReleaseModel, err error) {
	name := plan.Name.ValueString()
	msg := err.Error()
	if strings.Contains(msg, "failed to fetch promise") || strings.Contains(msg, "failed to fetch data from secretRef") {
		diags.AddAttributeError(path.Root("url"), "Kratix cannot fetch the Promise of PromiseRelease "+name, fmt.Sprintf(
			"Kratix's admission webhook fetched %s and refused the release: %v\n\nNothing was written. Check that the URL "+
				"is right and reachable from Kratix's controller manager, that it answers HTTP 200 with a single Promise "+
				"document, and, for a private source, that authorization_secret_ref names a Secret with the key %s.",
			plan.URL.ValueString(), err, kratix.ReleaseAuthorizationKey))
		return
	}
	addApplyError(diags, "PromiseRelease "+name, "kratix_promise_release", name, err)
}

// followInstalled follows the release until Kratix has installed it at its
// version, or reports why it cannot. It watches the release and looks at
// its Promise on each change, and at least every releasePoll.
func (r *promiseReleaseResource) followInstalled(ctx context.Context, name string, watch *kratix.ReleaseWatch, pickup *pickupGuard) (kratix.FollowResult, string) {
	var res kratix.FollowResult
	var promise string
	pickup.follow(ctx, &res, func(ctx context.Context) {
		for {
			poll, cancel := context.WithTimeout(ctx, releasePoll)
			_, err := r.data.Client.WaitFor(poll, kratix.PromiseReleaseGVK, "", name, func(obj *unstructured.Unstructured) (bool, error) {
				pickup.observe(obj)
				// A failed list (a transient API error) decides nothing:
				// the next change or poll looks again.
				promises, listErr := r.releasePromises(poll, name)
				if listErr != nil {
					tflog.Debug(ctx, "cannot list the release's Promise; looking again", map[string]any{"error": listErr.Error()})
					return false, nil //nolint:nilerr // transient: the wait goes on
				}
				o := watch.Observe(obj, promises, r.data.Client.ServerNow())
				res.Last, res.Object, promise = o.Outcome, obj, o.Promise
				return o.State != kratix.Waiting, nil
			})
			pollEnded := poll.Err() != nil
			cancel()
			if err == nil || ctx.Err() != nil || !pollEnded {
				res.Err = err
				return
			}
		}
	})
	return res, promise
}

// releaseInstallReport words how following a release's install ended.
func releaseInstallReport(plan *promiseReleaseModel, created bool) followReport {
	name, url := plan.Name.ValueString(), plan.URL.ValueString()
	return followReport{
		what:   "PromiseRelease " + name,
		advice: releaseNextApplyAdvice(created),
		failed: func(res kratix.FollowResult) (string, string) {
			return "Kratix cannot install PromiseRelease " + name, fmt.Sprintf("The release was written, but %s.\n\n"+
				"Kratix keeps retrying on its own: once the source is fixed it installs the Promise without another apply. "+
				"Check: kubectl describe promiserelease %s", res.Last.Summary, name)
		},
		timedOut: func(res kratix.FollowResult) (string, string) {
			return "Timed out waiting for PromiseRelease " + name + " to be installed", fmt.Sprintf("Last seen: %s.\n\n"+
				"Kratix fetches %s from its controller manager. Raise the timeouts block if Kratix is just slow, set "+
				"wait = false to skip waiting, or check: kubectl describe promiserelease %s", res.Last.Summary, url, name)
		},
		interrupted: func(res kratix.FollowResult) (string, string) {
			return "Interrupted while waiting for PromiseRelease " + name, fmt.Sprintf("The release was written, but the "+
				"wait for Kratix to install it was interrupted. Last seen: %s.", res.Last.Summary)
		},
	}
}

func releaseNextApplyAdvice(created bool) string {
	if created {
		return "What happens next: Terraform marks the release tainted, so the next terraform apply deletes it (and the " +
			"Promise it installed, if any; with force_destroy = false that stops while requests of the Promise exist) and " +
			"creates it again."
	}
	return "The release keeps the new configuration in the Terraform state."
}

// releasePromises are the Promises Kratix installed for the release (the
// label it puts on them), not being deleted.
func (r *promiseReleaseResource) releasePromises(ctx context.Context, name string) ([]unstructured.Unstructured, error) {
	list, err := r.data.Client.List(ctx, promiseGVK(), "", metav1.ListOptions{LabelSelector: kratix.LabelPromiseReleaseName + "=" + name})
	if kube.IsKindNotServed(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return list.Items, nil
}

func (r *promiseReleaseResource) recordApplied(ctx context.Context, plan *promiseReleaseModel, obj *unstructured.Unstructured,
	promises []unstructured.Unstructured, state *tfsdk.State, diags *diag.Diagnostics) {
	configured := *plan
	fillReleaseFromObject(&configured, obj, promises)
	// The configuration is the truth for what the user set.
	configured.URL, configured.AuthorizationSecretRef = plan.URL, plan.AuthorizationSecretRef
	if !plan.Version.IsUnknown() {
		configured.Version = plan.Version
	}
	diags.Append(state.Set(ctx, &configured)...)
}

// fillReleaseFromObject copies the cluster's view into the model. On import
// (no url yet) it also reads the arguments.
func fillReleaseFromObject(m *promiseReleaseModel, obj *unstructured.Unstructured, promises []unstructured.Unstructured) {
	m.ID, m.Name = types.StringValue(obj.GetName()), types.StringValue(obj.GetName())
	m.UID = types.StringValue(string(obj.GetUID()))
	m.URL = types.StringValue(strValue(obj, "spec", "sourceRef", "url"))
	if v := strValue(obj, "spec", "version"); v != "" {
		m.Version = types.StringValue(v)
	} else if m.Version.IsUnknown() {
		m.Version = types.StringNull()
	}
	if ref, ok, _ := unstructured.NestedStringMap(obj.Object, "spec", "sourceRef", "secretRef"); ok {
		m.AuthorizationSecretRef = types.ObjectValueMust(secretRefAttrTypes, map[string]attr.Value{
			"name": types.StringValue(ref["name"]), "namespace": types.StringValue(ref["namespace"]),
		})
	} else {
		m.AuthorizationSecretRef = types.ObjectNull(secretRefAttrTypes)
	}
	switch {
	case len(promises) == 1:
		m.Promise = types.StringValue(promises[0].GetName())
	case m.Promise.IsUnknown():
		m.Promise = types.StringNull()
	}
	cond, ok := kratix.FindCondition(obj, kratix.CondInstalled)
	m.Installed = types.BoolValue(ok && cond.IsTrue())
	m.Status = types.StringValue(strValue(obj, "status", "status"))
	m.Conditions = conditionsValue(obj)
}

func strValue(obj *unstructured.Unstructured, fields ...string) string {
	s, _, _ := unstructured.NestedString(obj.Object, fields...)
	return s
}

// deleteAndWait deletes the release after checking that its Promise has no
// requests (unless force_destroy), then follows Kratix deleting the
// Promise (kratix_promise's follow of a deletion) and the release.
func (r *promiseReleaseResource) deleteAndWait(ctx context.Context, m *promiseReleaseModel, diags *diag.Diagnostics) {
	name := m.Name.ValueString()
	promises, err := r.releasePromises(ctx, name)
	if err != nil {
		diags.AddError("Cannot read the Promise of PromiseRelease "+name, err.Error())
		return
	}
	promiseOps := &promiseResource{data: r.data}
	if !m.ForceDestroy.ValueBool() {
		for _, p := range promises {
			if promiseOps.requestsBlockDelete(ctx, p.GetName(), "the kratix_promise_release that installed it", diags) {
				return
			}
		}
	}
	deleteSent := r.data.Client.ServerNow().Add(-time.Second)
	if err := r.data.Client.Delete(ctx, kratix.PromiseReleaseGVK, "", name, deleteOptions()); err != nil {
		if !isNotFound(err) {
			diags.AddError("Cannot delete PromiseRelease "+name, err.Error())
		}
		return
	}
	for _, p := range promises {
		r.data.promiseAPIs.forget(p.GetName())
		res := followDeletion(ctx, r.data.Client, r.data.FieldManager, promiseGVK(), "", p.GetName(), deleteSent, promiseJobLabels(p.GetName()))
		if reportFollow(res, promiseDeletionReport(p.GetName()), diags) {
			return
		}
	}
	res := followDeletion(ctx, r.data.Client, r.data.FieldManager, kratix.PromiseReleaseGVK, "", name, deleteSent, nil)
	reportFollow(res, followReport{what: "PromiseRelease " + name, errored: func(res kratix.FollowResult) (string, string) {
		return "Timed out deleting PromiseRelease " + name, fmt.Sprintf("Last seen: %s. Kratix removes its finalizer %s "+
			"once the release's Promise is gone. Raise timeouts.delete or check: kubectl describe promiserelease %s\n\n%s",
			res.Last.Summary, kratix.FinalizerPromiseCleanup, name, followErr(res))
	}}, diags)
}

// decodeSecretValue is a Secret data value as text ("" when it is not
// base64, which the API server never stores).
func decodeSecretValue(v string) string {
	decoded, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return ""
	}
	return string(decoded)
}

// stringData is a Secret's data map (base64 values).
func stringData(secret map[string]any) map[string]string {
	data, _, _ := unstructured.NestedStringMap(secret, "data")
	return data
}

// conflictsOnlyOn reports a server-side apply conflict on that one field
// (as the API server spells it, e.g. ".spec.version") and no other.
func conflictsOnlyOn(err error, field string) bool {
	var status apierrors.APIStatus
	if !apierrors.IsConflict(err) || !errors.As(err, &status) || status.Status().Details == nil {
		return false
	}
	found := false
	for _, c := range status.Status().Details.Causes {
		if c.Type != metav1.CauseTypeFieldManagerConflict {
			continue
		}
		if c.Field != field {
			return false
		}
		found = true
	}
	return found
}
