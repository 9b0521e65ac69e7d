package provider

import (
	"context"
	"fmt"
	"reflect"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// applyAndWait applies the Destination, records it in state at once (so a
// failed wait leaves it tracked and tainted), then waits for Ready=True.
func (r *destinationResource) applyAndWait(ctx context.Context, plan, prior *destinationModel, adopted bool, state *tfsdk.State, diags *diag.Diagnostics) {
	if !requireKnownConfig(r.data, diags) {
		return
	}
	obj, err := buildDestination(plan)
	if err != nil {
		diags.AddError("Invalid Destination configuration", err.Error())
		return
	}
	name := plan.Name.ValueString()
	applied, err := applyOwned(ctx, r.data, obj, prior == nil, forceWanted(plan.ForceConflicts, adopted))
	if err != nil {
		addApplyError(diags, "Destination "+name, "kratix_destination", name, err)
		return
	}
	tflog.Debug(ctx, "applied destination", map[string]any{"name": name, "generation": applied.GetGeneration()})
	r.recordApplied(ctx, plan, applied, state, diags)
	if !plan.Wait.ValueBool() || diags.HasError() {
		return
	}
	watch := &kratix.DestinationWatch{ReadyWatch: kratix.ReadyWatch{
		Generation: applied.GetGeneration(), AppliedAt: r.data.writtenAt(applied),
		Before: kratix.DestinationReadiness(applied), SpecChanged: destinationSpecChanged(obj, prior),
	}}
	var reconciled <-chan bool
	if prior != nil && watch.SpecChanged {
		following, stopFollowing := context.WithCancel(ctx)
		defer stopFollowing() // the Events are not needed once the wait ends
		reconciled = destinationReconciled(following, r.data.Client, applied)
	}
	res := waitReady(ctx, r.data.Client, kratix.DestinationGVK, name, watch, reconciled)
	if res.Object != nil {
		r.recordApplied(ctx, plan, res.Object, state, diags)
	}
	reportFollow(res, destinationReadyReport(name), diags)
}

// destinationReadyReport words how waiting for a Destination to become
// ready ended. An interrupted wait is reported as a timeout.
func destinationReadyReport(name string) followReport {
	timedOut := func(res kratix.FollowResult) (string, string) {
		return "Timed out waiting for Destination " + name + " to become ready", fmt.Sprintf("Last seen: %s.\n\n%s"+
			"The Destination stays in the Terraform state. Raise the timeouts block, set wait = false to skip waiting, or "+
			"check it: kubectl describe destination %s", res.Last.Summary, adviceParagraph(res.Object, kratix.DestinationAdvice), name)
	}
	return followReport{
		what: "Destination " + name,
		failed: func(res kratix.FollowResult) (string, string) {
			return "Destination " + name + " is not ready", fmt.Sprintf("Kratix reports %s.\n\n%s\n\n"+
				"The Destination stays in the Terraform state, marked tainted; fix the cause and apply again.",
				res.Last.Summary, kratix.DestinationAdvice(res.Object))
		},
		timedOut:    timedOut,
		interrupted: timedOut,
	}
}

// recordApplied stores the object's computed fields next to the planned
// configuration, which stays exactly as planned.
func (r *destinationResource) recordApplied(ctx context.Context, plan *destinationModel, obj *unstructured.Unstructured, state *tfsdk.State, diags *diag.Diagnostics) {
	configured := *plan
	r.fillFromObject(&configured, obj)
	configured.Labels, configured.Path, configured.StateStore = plan.Labels, plan.Path, plan.StateStore
	configured.StrictMatchLabels, configured.FilepathMode, configured.FilepathFilename = plan.StrictMatchLabels, plan.FilepathMode, plan.FilepathFilename
	configured.Cleanup, configured.InitWorkloads = plan.Cleanup, plan.InitWorkloads
	diags.Append(state.Set(ctx, &configured)...)
}

// buildDestination turns the planned configuration into the object to
// apply. Defaulted fields are sent explicitly, so what the API server
// defaults always equals what the plan shows.
func buildDestination(m *destinationModel) (*unstructured.Unstructured, error) {
	obj := &unstructured.Unstructured{Object: map[string]any{}}
	obj.SetGroupVersionKind(kratix.DestinationGVK)
	obj.SetName(m.Name.ValueString())
	labels, err := stringMap(m.Labels)
	if err != nil {
		return nil, fmt.Errorf("labels: %w", err)
	}
	if len(labels) > 0 {
		obj.SetLabels(labels)
	}
	ref, err := stateStoreRefFrom(m.StateStore)
	if err != nil {
		return nil, err
	}
	filepath := map[string]any{"mode": m.FilepathMode.ValueString()}
	if m.FilepathMode.ValueString() == kratix.FilepathAggregatedYAML && m.FilepathFilename.ValueString() != "" {
		filepath["filename"] = m.FilepathFilename.ValueString()
	}
	obj.Object["spec"] = map[string]any{
		"path":              m.Path.ValueString(),
		"stateStoreRef":     map[string]any{"kind": ref.Kind, "name": ref.Name},
		"strictMatchLabels": m.StrictMatchLabels.ValueBool(),
		"filepath":          filepath,
		"cleanup":           m.Cleanup.ValueString(),
		"initWorkloads":     map[string]any{"enabled": m.InitWorkloads.ValueBool()},
	}
	return obj, nil
}

// destinationSpecChanged reports whether the object to apply has another
// spec than the prior state (always on create).
func destinationSpecChanged(obj *unstructured.Unstructured, prior *destinationModel) bool {
	if prior == nil {
		return true
	}
	before, err := buildDestination(prior)
	return err != nil || !reflect.DeepEqual(before.Object["spec"], obj.Object["spec"])
}

func stateStoreRefFrom(o types.Object) (kratix.StateStoreRef, error) {
	if o.IsNull() || o.IsUnknown() {
		return kratix.StateStoreRef{}, fmt.Errorf("state_store is not known")
	}
	attrs := o.Attributes()
	kind, _ := attrs["kind"].(types.String)
	name, _ := attrs["name"].(types.String)
	if kind.IsUnknown() || name.IsUnknown() {
		return kratix.StateStoreRef{}, fmt.Errorf("state_store is not known")
	}
	return kratix.StateStoreRef{Kind: kind.ValueString(), Name: name.ValueString()}, nil
}

func stateStoreRefValue(ref kratix.StateStoreRef) types.Object {
	return types.ObjectValueMust(stateStoreRefAttrTypes, map[string]attr.Value{
		"kind": types.StringValue(ref.Kind), "name": types.StringValue(ref.Name),
	})
}

// fillFromObject copies the cluster's view into the model. Labels are
// projected onto the keys the configuration manages; fields the API server
// defaults read back as their defaults, which are also the schema's.
func (r *destinationResource) fillFromObject(m *destinationModel, obj *unstructured.Unstructured) {
	importing := m.UID.IsNull() || m.UID.IsUnknown()
	m.ID, m.Name = types.StringValue(obj.GetName()), types.StringValue(obj.GetName())
	m.UID = types.StringValue(string(obj.GetUID()))
	m.Labels = projectedStringMap(obj, obj.GetLabels(), m.Labels, "labels", importing)
	m.Path = types.StringValue(nestedStringOr(obj, "", "spec", "path"))
	m.StateStore = stateStoreRefValue(kratix.DestinationStateStore(obj))
	m.StrictMatchLabels = types.BoolValue(nestedBoolOr(obj, false, "spec", "strictMatchLabels"))
	mode := nestedStringOr(obj, kratix.DefaultFilepathMode, "spec", "filepath", "mode")
	m.FilepathMode = types.StringValue(mode)
	m.FilepathFilename = types.StringNull()
	if mode == kratix.FilepathAggregatedYAML {
		m.FilepathFilename = types.StringValue(nestedStringOr(obj, kratix.DefaultAggregatedFilename, "spec", "filepath", "filename"))
	}
	m.Cleanup = types.StringValue(nestedStringOr(obj, kratix.DefaultCleanup, "spec", "cleanup"))
	m.InitWorkloads = types.BoolValue(nestedBoolOr(obj, true, "spec", "initWorkloads", "enabled"))
	m.Ready = types.BoolValue(kratix.DestinationReadiness(obj).Ready)
	m.Conditions = conditionsValue(obj)
}

// nestedStringOr reads a string field, or def when it is absent or empty.
func nestedStringOr(obj *unstructured.Unstructured, def string, fields ...string) string {
	if v, found, _ := unstructured.NestedString(obj.Object, fields...); found && v != "" {
		return v
	}
	return def
}

// nestedBoolOr reads a bool field, or def when it is absent.
func nestedBoolOr(obj *unstructured.Unstructured, def bool, fields ...string) bool {
	if v, found, err := unstructured.NestedBool(obj.Object, fields...); found && err == nil {
		return v
	}
	return def
}

// destinationReconciled follows the Events Kratix records about the
// Destination until one reports a reconcile of the applied version, and
// sends its verdict (ready or not). Kratix records no observedGeneration on
// a Destination and writes its Ready condition only when it changes, so
// after an update that leaves it Ready only such an Event tells the
// condition of the new spec from the old one. Kratix releases that serve
// PromiseRevisions (2026 on) record one on every reconcile; with an earlier
// Kratix, or without permission to list Events, it returns nil or closes
// the channel, and the wait falls back to a quiet period (readySettle).
func destinationReconciled(ctx context.Context, client *kube.Client, applied *unstructured.Unstructured) <-chan bool {
	if _, err := client.Mapping(ctx, kratix.PromiseRevisionGVK); err != nil {
		return nil
	}
	verdicts := make(chan bool, 1)
	go func() {
		defer close(verdicts)
		opts := metav1.ListOptions{FieldSelector: "involvedObject.uid=" + string(applied.GetUID())}
		for {
			// Events about cluster-scoped objects are kept in "default".
			events, err := client.List(ctx, kratix.EventGVK, metav1.NamespaceDefault, opts)
			if err != nil {
				tflog.Debug(ctx, "cannot list the destination's events; waiting for a quiet period instead", map[string]any{"error": err.Error()})
				return
			}
			for i := range events.Items {
				if ready, ok := kratix.DestinationReconcileVerdict(&events.Items[i], applied.GetResourceVersion()); ok {
					verdicts <- ready
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(reconcileEventPoll):
			}
		}
	}()
	return verdicts
}

// reconcileEventPoll is how often destinationReconciled lists the Events.
const reconcileEventPoll = time.Second
