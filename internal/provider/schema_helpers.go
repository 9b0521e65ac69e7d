package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

func managedMapSchema(description string) schema.MapAttribute {
	return schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: description}
}

// stableComputedString is a computed string that keeps its prior value
// across plans (an object's UID does not change while it exists).
func stableComputedString(description string) schema.StringAttribute {
	return schema.StringAttribute{
		Computed: true, MarkdownDescription: description,
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
	}
}

func isNotFound(err error) bool { return err != nil && kube.IsNotFound(err) }

// k8sNameValidator checks a name with apimachinery's own rules, so plan
// rejects exactly what the API server would.
type k8sNameValidator struct {
	description string
	check       func(string) []string
}

func dnsSubdomain() validator.String {
	return k8sNameValidator{"a lowercase RFC 1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)", validation.IsDNS1123Subdomain}
}

func dnsLabel() validator.String {
	return k8sNameValidator{"a lowercase RFC 1123 label (lowercase letters, digits and '-', at most 63 characters)", validation.IsDNS1123Label}
}

func (v k8sNameValidator) Description(context.Context) string { return "must be " + v.description }
func (v k8sNameValidator) MarkdownDescription(context.Context) string {
	return "must be " + v.description
}

func (v k8sNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if errs := v.check(req.ConfigValue.ValueString()); len(errs) > 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid name",
			"\""+req.ConfigValue.ValueString()+"\" must be "+v.description+": "+errs[0])
	}
}
