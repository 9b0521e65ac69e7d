package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// ValidateConfig checks the URL's form and the credentials against the
// auth method, at plan time and without a cluster.
func (r *gitStateStoreResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	validateStoreCredentials(ctx, req.Config, kratix.GitStateStoreKind, gitCredentials, &resp.Diagnostics)
	var url, method types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("url"), &url)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("auth_method"), &method)...)
	if resp.Diagnostics.HasError() || url.IsNull() || url.IsUnknown() || method.IsUnknown() {
		return
	}
	if problem := kratix.CheckGitURL(method.ValueString(), url.ValueString()); problem != "" {
		resp.Diagnostics.AddAttributeError(path.Root("url"), "URL does not match auth_method", problem)
	}
}
