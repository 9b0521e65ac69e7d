package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var _ function.Function = (*decodeManifestsFunction)(nil)

// decodeManifestsFunction is provider::kratix::decode_manifests: a
// multi-document Kratix YAML file, grouped by what the provider's
// resources take, keyed for for_each.
type decodeManifestsFunction struct{}

// NewDecodeManifestsFunction returns the decode_manifests function.
func NewDecodeManifestsFunction() function.Function { return &decodeManifestsFunction{} }

func (f *decodeManifestsFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "decode_manifests"
}

func (f *decodeManifestsFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Split a multi-document Kratix YAML file into Promises, Destinations, state stores and other objects",
		MarkdownDescription: "Decodes a YAML (or JSON) stream of Kubernetes objects, such as a Promise's `promise.yaml` with " +
			"its example requests, or a directory's worth of Kratix files joined together, and groups the documents by " +
			"what the provider's resources take. The result is an object with five attributes, each a map that " +
			"`for_each` can use: `promises`, `destinations`, `git_state_stores` and `bucket_state_stores` hold the " +
			"`platform.kratix.io` objects of those kinds keyed by name; `others` holds every other object (resource " +
			"requests among them) keyed by `<kind>/<name>`, or `<kind>/<namespace>/<name>` when the document sets a " +
			"namespace. Each value is the decoded document, as `yamldecode` would return it. Empty documents are " +
			"skipped. A document without `kind` or `metadata.name`, or the same key twice, is an error naming the " +
			"document by its position (the first is 1).",
		Parameters: []function.Parameter{
			function.StringParameter{Name: "manifests", MarkdownDescription: "The YAML or JSON text, e.g. `file(\"promise.yaml\")`."},
		},
		Return: function.DynamicReturn{},
	}
}

func (f *decodeManifestsFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var text string
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &text))
	if resp.Error != nil {
		return
	}
	m, err := kratix.DecodeManifests(text)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, "Cannot decode the manifests: "+err.Error())
		return
	}
	result := map[string]any{
		"promises": objects(m.Promises), "destinations": objects(m.Destinations),
		"git_state_stores": objects(m.GitStateStores), "bucket_state_stores": objects(m.BucketStateStores),
		"others": objects(m.Others),
	}
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, types.DynamicValue(fromGo(ctx, result, nil))))
}

func objects(byKey map[string]map[string]any) map[string]any {
	out := make(map[string]any, len(byKey))
	for k, v := range byKey {
		out[k] = v
	}
	return out
}
