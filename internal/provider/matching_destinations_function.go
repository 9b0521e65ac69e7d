package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
)

var _ function.Function = (*matchingDestinationsFunction)(nil)

// matchingDestinationsFunction is provider::kratix::matching_destinations:
// which Destinations Kratix's scheduler would consider for work with given
// destination selectors.
type matchingDestinationsFunction struct{}

// NewMatchingDestinationsFunction returns the matching_destinations function.
func NewMatchingDestinationsFunction() function.Function { return &matchingDestinationsFunction{} }

func (f *matchingDestinationsFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "matching_destinations"
}

func (f *matchingDestinationsFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "List the Destinations that destination selectors would schedule to",
		MarkdownDescription: "Returns, sorted, the names of the Destinations that Kratix's scheduler would consider for work with " +
			"these destination selectors: every selector label must be on the Destination, and work with no selectors goes " +
			"to any Destination except those with `strict_match_labels` that have labels. Kratix sends a resource " +
			"request's work to one of them and a Promise's dependencies to all of them; an empty list means the work " +
			"would stay unscheduled. Use it in a `check` block or an output so a plan shows where a Promise's work goes.",
		Parameters: []function.Parameter{
			function.DynamicParameter{Name: "selectors", AllowNullValue: true, MarkdownDescription: "The selectors: a " +
				"`kratix_promise`'s `destination_selectors` (a list of `{ match_labels = {...} }`), a decoded Promise's " +
				"`spec.destinationSelectors` (a list of `{ matchLabels = {...} }`, squashed with the first entry winning, as " +
				"Kratix does), or a map of labels. `null` or empty means no selectors; on OpenTofu write `[]`, because OpenTofu " +
				"does not call the function with a literal `null` and the result is then `null`."},
			function.DynamicParameter{Name: "destinations", MarkdownDescription: "The Destinations: a list or map of objects " +
				"with `name`, `labels` and optionally `strict_match_labels` (as the `kratix_destinations` data source's " +
				"`destinations`), or decoded Destination documents (`metadata.name`, `metadata.labels`, " +
				"`spec.strictMatchLabels`, as `decode_manifests` returns them)."},
		},
		Return: function.ListReturn{ElementType: types.StringType},
	}
}

func (f *matchingDestinationsFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var selectorsArg, destinationsArg types.Dynamic
	resp.Error = function.ConcatFuncErrors(req.Arguments.Get(ctx, &selectorsArg, &destinationsArg))
	if resp.Error != nil {
		return
	}
	selectors, err := selectorsFrom(selectorsArg)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, err.Error())
		return
	}
	destinations, err := destinationsFrom(destinationsArg)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(1, err.Error())
		return
	}
	names := kratix.MatchingDestinations(selectors, destinations)
	if names == nil {
		names = []string{}
	}
	resp.Error = function.ConcatFuncErrors(resp.Result.Set(ctx, names))
}

// selectorsFrom reads the accepted selector shapes into one label set.
func selectorsFrom(v types.Dynamic) (map[string]string, error) {
	if v.IsNull() || v.IsUnderlyingValueNull() {
		return nil, nil
	}
	raw, err := toGo(v)
	if err != nil {
		return nil, err
	}
	switch g := raw.(type) {
	case map[string]any:
		return kratix.StringMap(g, "selectors")
	case []any:
		entries := make([]map[string]string, 0, len(g))
		for i, item := range g {
			entry, _ := item.(map[string]any)
			labels, ok := firstPresent(entry, "match_labels", "matchLabels")
			if !ok {
				return nil, fmt.Errorf("selectors[%d] has neither match_labels nor matchLabels", i)
			}
			m, err := kratix.StringMap(labels, fmt.Sprintf("selectors[%d]", i))
			if err != nil {
				return nil, err
			}
			entries = append(entries, m)
		}
		return kratix.SquashSelectors(entries), nil
	}
	return nil, fmt.Errorf("selectors must be a list of { match_labels = {...} } or a map of labels, not %T", raw)
}

// destinationsFrom reads a list or map of Destination objects.
func destinationsFrom(v types.Dynamic) ([]kratix.DestinationLabels, error) {
	raw, err := toGo(v)
	if err != nil {
		return nil, err
	}
	var items []any
	switch g := raw.(type) {
	case []any:
		items = g
	case map[string]any:
		for _, k := range sortedKeys(g) {
			items = append(items, g[k])
		}
	case nil:
	default:
		return nil, fmt.Errorf("destinations must be a list or map of Destination objects, not %T", raw)
	}
	out := make([]kratix.DestinationLabels, 0, len(items))
	for i, item := range items {
		d, err := destinationFrom(item)
		if err != nil {
			return nil, fmt.Errorf("destinations[%d]: %w", i, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func destinationFrom(item any) (kratix.DestinationLabels, error) {
	obj, _ := item.(map[string]any)
	metadata, _ := obj["metadata"].(map[string]any)
	spec, _ := obj["spec"].(map[string]any)
	name, _ := obj["name"].(string)
	if name == "" {
		name, _ = metadata["name"].(string)
	}
	if name == "" {
		return kratix.DestinationLabels{}, fmt.Errorf("it has neither name nor metadata.name")
	}
	rawLabels, ok := obj["labels"]
	if !ok {
		rawLabels = metadata["labels"]
	}
	labels, err := kratix.StringMap(rawLabels, "labels of "+name)
	if err != nil {
		return kratix.DestinationLabels{}, err
	}
	strict, ok := obj["strict_match_labels"].(bool)
	if !ok {
		strict, _ = spec["strictMatchLabels"].(bool)
	}
	return kratix.DestinationLabels{Name: name, Labels: labels, Strict: strict}, nil
}

func firstPresent(m map[string]any, keys ...string) (any, bool) {
	for _, k := range keys {
		if v, ok := m[k]; ok {
			return v, true
		}
	}
	return nil, false
}
