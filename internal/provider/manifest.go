package provider

import (
	"context"
	"errors"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

// The `manifest` argument takes a whole YAML document, as a string
// (file("x.yaml")) or decoded (yamldecode(file("x.yaml"))): a Dynamic
// attribute accepts both, so neither form needs a second argument. The
// string form is the one that can say a file holds several documents;
// the decoded form lets users edit the document in HCL first (merge()).

// covered is one typed argument that `manifest` fills, and where in the
// manifest its value comes from (for diagnostics).
type covered struct {
	attribute string
	from      string
}

// manifestDocument reads the manifest. known is false while any part of it
// is unknown (it depends on another resource); err says what is wrong
// with it otherwise.
func manifestDocument(v types.Dynamic) (doc map[string]any, known bool, err error) {
	if v.IsUnknown() || v.UnderlyingValue() == nil || v.UnderlyingValue().IsUnknown() {
		return nil, false, nil
	}
	if s, ok := v.UnderlyingValue().(types.String); ok {
		doc, err = kratix.DecodeManifest(s.ValueString())
		return doc, true, err
	}
	g, err := toGoWithNulls(v)
	if errors.Is(err, errUnknown) {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	doc, ok := g.(map[string]any)
	if !ok {
		return nil, true, errors.New("the manifest is neither YAML text nor an object: " +
			"set it to file(\"x.yaml\") or yamldecode(file(\"x.yaml\"))")
	}
	return doc, true, nil
}

// conflictsWithManifest reports every covered argument set alongside
// `manifest`, on the argument's path.
func conflictsWithManifest(config map[string]attr.Value, args []covered, resourceType string, diags *diag.Diagnostics) {
	for _, c := range args {
		if v := config[c.attribute]; v != nil && !v.IsNull() {
			diags.AddAttributeError(path.Root(c.attribute), "Conflicting arguments: "+c.attribute+" and manifest",
				"`"+c.attribute+"` cannot be set together with `manifest`: the manifest's "+c.from+" sets it. "+
					"Remove `"+c.attribute+"` from this "+resourceType+" and change the manifest instead, or remove `manifest` and set every argument.")
		}
	}
}

// checkManifestString runs a typed argument's validator on the value the
// manifest gives it, reporting on `manifest` and naming the field.
func checkManifestString(ctx context.Context, from string, value types.String, v validator.String, diags *diag.Diagnostics) {
	resp := &validator.StringResponse{}
	v.ValidateString(ctx, validator.StringRequest{Path: path.Root("manifest"), ConfigValue: value}, resp)
	reemitOnManifest(from, resp.Diagnostics, diags)
}

func checkManifestMap(ctx context.Context, from string, value types.Map, v validator.Map, diags *diag.Diagnostics) {
	resp := &validator.MapResponse{}
	v.ValidateMap(ctx, validator.MapRequest{Path: path.Root("manifest"), ConfigValue: value}, resp)
	reemitOnManifest(from, resp.Diagnostics, diags)
}

func reemitOnManifest(from string, found diag.Diagnostics, diags *diag.Diagnostics) {
	for _, d := range found.Errors() {
		diags.AddAttributeError(path.Root("manifest"), d.Summary()+" in manifest "+from, d.Detail()+" Change "+from+" in the manifest.")
	}
}

// dynamicFromGo is a JSON-shaped value as the Terraform value yamldecode
// would give, so a manifest and its import read back alike.
func dynamicFromGo(ctx context.Context, v any) types.Dynamic {
	if v == nil {
		return types.DynamicNull()
	}
	value := fromGo(ctx, v, nil)
	if d, ok := value.(types.Dynamic); ok {
		return d
	}
	return types.DynamicValue(value)
}

func optionalStringValue(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func optionalMapValue(m map[string]string) types.Map {
	if len(m) == 0 {
		return types.MapNull(types.StringType)
	}
	return stringMapValue(m)
}

func manifestError(resourceType string, err error, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("manifest"), "Invalid manifest", "The manifest of this "+resourceType+" cannot be used: "+err.Error()+".")
}

// replaceWhenChanged plans a replacement when one of these attributes
// changes: a plan modifier cannot, as it runs before `manifest` sets them.
func replaceWhenChanged(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse, names ...string) {
	for _, name := range names {
		var planned, prior types.String
		resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root(name), &planned)...)
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root(name), &prior)...)
		if planned.Equal(prior) || alreadyReplacing(resp.RequiresReplace, path.Root(name)) {
			continue
		}
		resp.RequiresReplace = append(resp.RequiresReplace, path.Root(name))
	}
}

func alreadyReplacing(paths path.Paths, p path.Path) bool {
	for _, existing := range paths {
		if existing.Equal(p) {
			return true
		}
	}
	return false
}
