package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// defaultReadTimeout bounds a refresh. Within it, transient API errors
// (an API server restarting, a 503, discovery not listing a CRD yet) are
// retried rather than reported, and never taken for a deleted object.
const defaultReadTimeout = time.Minute

const readTimeoutDescription = "How long a refresh keeps retrying an unreachable or restarting API server, " +
	"and waits for the object's API to be served again, before it fails (default 1m). A refresh removes the " +
	"object from the state only when the API server confirms that it no longer exists."

func timeoutsAttrTypes() map[string]attr.Type {
	return map[string]attr.Type{"create": types.StringType, "read": types.StringType, "update": types.StringType, "delete": types.StringType}
}

// withReadTimeout bounds a Read by its timeouts.read (default 1m).
func withReadTimeout(ctx context.Context, t timeouts.Value, diags *diag.Diagnostics) (context.Context, context.CancelFunc) {
	d, ds := t.Read(ctx, defaultReadTimeout)
	diags.Append(ds...)
	return context.WithTimeout(ctx, d)
}
