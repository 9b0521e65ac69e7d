package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// createRefusalsAsWarnings reports what the cluster would refuse about an
// object that does not exist yet as warnings, not errors. Terraform runs a
// normal plan of the whole configuration as the refresh before a destroy
// (hashicorp/terraform#33908), and the protocol does not say which plan is
// which: an error here would block the destroy of everything else, for
// example after a request's create failed because its spec is invalid. The
// apply refuses the same object with an error, so nothing invalid is
// written. Changes to existing objects keep their plan-time errors: a
// destroy plans none.
func createRefusalsAsWarnings(found diag.Diagnostics) diag.Diagnostics {
	out := make(diag.Diagnostics, 0, len(found))
	for _, d := range found {
		if d.Severity() != diag.SeverityError {
			out = append(out, d)
			continue
		}
		summary := d.Summary() + " (the apply will refuse it)"
		detail := d.Detail() + "\n\nThis is a warning at plan because the object does not exist yet; the apply fails with this error unless it is fixed."
		if withPath, ok := d.(diag.DiagnosticWithPath); ok {
			out.AddAttributeWarning(withPath.Path(), summary, detail)
		} else {
			out.AddWarning(summary, detail)
		}
	}
	return out
}
