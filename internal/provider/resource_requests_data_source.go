package provider

import (
	"context"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kratix-community/terraform-provider-kratix/internal/kratix"
	"github.com/kratix-community/terraform-provider-kratix/internal/kube"
)

var (
	_ datasource.DataSource              = (*requestsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*requestsDataSource)(nil)
)

// NewResourceRequestsDataSource lists the requests of a Promise.
func NewResourceRequestsDataSource() datasource.DataSource {
	return &requestsDataSource{}
}

type requestsDataSource struct {
	data *providerData
}

type requestsDataSourceModel struct {
	Promise   types.String `tfsdk:"promise"`
	Namespace types.String `tfsdk:"namespace"`
	Requests  types.List   `tfsdk:"requests"`
}

var requestSummaryAttrTypes = map[string]attr.Type{
	"name":       types.StringType,
	"namespace":  types.StringType,
	"message":    types.StringType,
	"configured": types.BoolType,
	"conditions": types.MapType{ElemType: types.StringType},
}

func (d *requestsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_resource_requests"
}

func (d *requestsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the resource requests of a Promise, in all namespaces or one, with each request's " +
			"message and a summary of its conditions. One list call, whatever the number of requests.",
		Attributes: map[string]schema.Attribute{
			"promise":   schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Promise.", Validators: []validator.String{dnsSubdomain()}},
			"namespace": schema.StringAttribute{Optional: true, MarkdownDescription: "Only list requests in this namespace. When unset, the requests in all namespaces."},
			"requests": schema.ListAttribute{Computed: true, ElementType: types.ObjectType{AttrTypes: requestSummaryAttrTypes},
				MarkdownDescription: "The requests, sorted by namespace and name: `name`, `namespace`, `message`, `configured` " +
					"(the configure workflow of the current generation succeeded) and `conditions` (a map of condition type to status, " +
					"e.g. `{ ConfigureWorkflowCompleted = \"True\" }`)."},
		},
	}
}

func (d *requestsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *requestsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m requestsDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !requireKnownConfig(d.data, &resp.Diagnostics) {
		return
	}
	// Before Kratix publishes the API (a moment after installing its CRD)
	// requests can exist already: they are listed under the API spec.api
	// names, and there are none while that is not served yet.
	name := m.Promise.ValueString()
	api, err := requestAPI(ctx, d.data, name, apiLookup{mode: apiNow})
	if err != nil {
		resp.Diagnostics.AddError("Cannot read Promise "+name, err.Error())
		return
	}
	if api.kind == "" {
		resp.Diagnostics.AddError("Promise has no API", "Promise "+name+" has not published an API (status.kind is empty) and its spec.api names no group, kind and storage version, so it has no resource requests.")
		return
	}
	list, err := d.data.Client.List(ctx, api.gvk(), m.Namespace.ValueString(), metav1.ListOptions{})
	if !api.published && kube.IsKindNotServed(err) {
		list, err = &unstructured.UnstructuredList{}, nil
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot list requests of Promise "+name, err.Error())
		return
	}
	m.Requests = requestSummaries(list.Items)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func requestSummaries(items []unstructured.Unstructured) types.List {
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	elems := make([]attr.Value, 0, len(items))
	for i := range items {
		obj := &items[i]
		watch := kratix.RequestWatch{Generation: obj.GetGeneration(), Created: true}
		msg, _, _ := unstructured.NestedString(obj.Object, "status", "message")
		elems = append(elems, types.ObjectValueMust(requestSummaryAttrTypes, map[string]attr.Value{
			"name":       types.StringValue(obj.GetName()),
			"namespace":  types.StringValue(obj.GetNamespace()),
			"message":    types.StringValue(msg),
			"configured": types.BoolValue(watch.Observe(obj).State == kratix.Done),
			"conditions": conditionStatusMap(obj),
		}))
	}
	return types.ListValueMust(types.ObjectType{AttrTypes: requestSummaryAttrTypes}, elems)
}
