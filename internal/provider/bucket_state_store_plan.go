package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// ValidateConfig checks the credentials against the auth method, and that
// accessKey has a secret_ref (Kratix's webhook requires it).
func (r *bucketStateStoreResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateStoreCredentials(ctx, req.Config, kratix.BucketStateStoreKind, bucketCredentials, &resp.Diagnostics)
	var method types.String
	var secretRef types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("auth_method"), &method)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("secret_ref"), &secretRef)...)
	if resp.Diagnostics.HasError() || method.IsUnknown() {
		return
	}
	accessKey := method.IsNull() || method.ValueString() == kratix.BucketAuthAccessKey
	if accessKey && secretRef.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("secret_ref"), "secret_ref is required with accessKey",
			"With auth_method = \"accessKey\" Kratix reads the access key from a Secret, and its webhook requires "+
				"secret_ref with both name and namespace. Set secret_ref (and the *_wo credentials if the provider should "+
				"write the Secret), or use auth_method = \"IAM\".")
	}
}
