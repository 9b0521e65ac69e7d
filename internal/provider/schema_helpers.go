package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

func managedMapSchema(description string) schema.MapAttribute {
	return schema.MapAttribute{Optional: true, ElementType: types.StringType, MarkdownDescription: description,
		Validators: []validator.Map{metadataKeysValidator{}}}
}

// computedMap is a map argument another argument can fill (`manifest`).
func computedMap(a schema.MapAttribute) schema.MapAttribute {
	a.Computed = true
	return a
}

// labelsSchema is managedMapSchema for labels, whose values are checked too.
func labelsSchema(description string) schema.MapAttribute {
	a := managedMapSchema(description)
	a.Validators = []validator.Map{metadataKeysValidator{labelValues: true}}
	return a
}

// metadataKeysValidator checks label and annotation keys (and label values)
// with apimachinery's own rules, so the plan rejects what the API server
// would.
type metadataKeysValidator struct{ labelValues bool }

func (v metadataKeysValidator) Description(context.Context) string {
	if v.labelValues {
		return "keys must be qualified names (an optional DNS subdomain prefix and '/', then at most 63 characters) and values valid label values"
	}
	return "keys must be qualified names (an optional DNS subdomain prefix and '/', then at most 63 characters)"
}

func (v metadataKeysValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v metadataKeysValidator) ValidateMap(_ context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for key, value := range req.ConfigValue.Elements() {
		at := req.Path.AtMapKey(key)
		if errs := validation.IsQualifiedName(key); len(errs) > 0 {
			resp.Diagnostics.AddAttributeError(at, "Invalid key", fmt.Sprintf("The key %q is not valid: %s.", key, strings.Join(errs, "; ")))
		}
		s, ok := value.(types.String)
		if !v.labelValues || !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		if errs := validation.IsValidLabelValue(s.ValueString()); len(errs) > 0 {
			resp.Diagnostics.AddAttributeError(at, "Invalid label value", fmt.Sprintf("The value %q of label %q is not valid: %s.", s.ValueString(), key, strings.Join(errs, "; ")))
		}
	}
}

// labelValue checks a string stored as a label value (a Promise's version).
func labelValue() validator.String {
	return k8sNameValidator{"a valid label value (at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with a letter or digit)", validation.IsValidLabelValue}
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
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("The value %q must be %s: %s.",
			req.ConfigValue.ValueString(), v.description, errs[0]))
	}
}
