package provider

import (
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

// configuredData unpacks what Configure handed over. Nil is normal before
// the provider is configured (e.g. during validate).
func configuredData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	data, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data",
			fmt.Sprintf("Expected *providerData, got %T. Please report this issue to the provider developers.", raw))
		return nil
	}
	return data
}

// requireKnownConfig stops a read that would need the cluster while the
// provider's own settings are still unknown (they depend on resources not yet
// created). It says so instead of connecting with half a configuration.
func requireKnownConfig(data *providerData, diags *diag.Diagnostics) bool {
	if data == nil {
		diags.AddError("Provider not configured",
			"The kratix provider was not configured before use. Please report this issue to the provider developers.")
		return false
	}
	if !data.ConfigKnown {
		diags.AddError("Provider configuration not known yet",
			"The kratix provider's settings depend on values that are only known after apply, so it cannot read "+
				"from the platform during this plan. Apply the resources the provider configuration depends on first "+
				"(for example with -target), or configure the provider from values known at plan time.")
		return false
	}
	return true
}

// warnOnce adds a warning the first time summary is reported by this
// provider process: a condition of the whole plan (no connection, say)
// is said once, not once per resource.
func (d *providerData) warnOnce(diags *diag.Diagnostics, summary, detail string) {
	if _, said := d.warned.LoadOrStore(summary, true); !said {
		diags.AddWarning(summary, detail)
	}
}

// writtenAt dates the provider's last write to obj by the API server's
// clock (its managedFields entry), which a wait compares with the times
// Kratix writes: the local clock may drift. Without such an entry, the
// server's current time.
func (d *providerData) writtenAt(obj *unstructured.Unstructured) time.Time {
	if obj != nil {
		if at, ok := kube.WrittenAt(obj, d.FieldManager); ok {
			return at
		}
	}
	return d.Client.ServerNow()
}
