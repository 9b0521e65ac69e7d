package main

import (
	"context"
	"fmt"
	"math/big"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	kratixprovider "github.com/kratix-community/terraform-provider-kratix/internal/provider"
)

// echoRequest, benchschema_request, has kratix_resource_request's schema,
// config validators and identity (taken from the provider itself, so they
// cannot drift apart), fills its computed attributes with what Kratix
// reports for a configured corpus request, and calls no API and runs no
// Kratix logic.
type echoRequest struct {
	real realRequest
}

// realRequest is what the schema floor takes from kratix_resource_request.
type realRequest interface {
	resource.ResourceWithConfigValidators
	resource.ResourceWithIdentity
}

func newEchoRequest() resource.Resource {
	ctx := context.Background()
	p := kratixprovider.New("bench")()
	var providerMeta provider.MetadataResponse
	p.Metadata(ctx, provider.MetadataRequest{}, &providerMeta)
	for _, newResource := range p.Resources(ctx) {
		r := newResource()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: providerMeta.TypeName}, &meta)
		if meta.TypeName != "kratix_resource_request" {
			continue
		}
		delegate, ok := r.(realRequest)
		if !ok {
			panic("kratix_resource_request has no config validators or no identity: update the schema floor")
		}
		return echoRequest{real: delegate}
	}
	panic("the provider has no kratix_resource_request")
}

func (echoRequest) Metadata(_ context.Context, _ resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = "benchschema_request"
}

func (e echoRequest) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	e.real.Schema(ctx, req, resp)
}

func (e echoRequest) ConfigValidators(ctx context.Context) []resource.ConfigValidator {
	return e.real.ConfigValidators(ctx)
}

func (e echoRequest) IdentitySchema(ctx context.Context, req resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	e.real.IdentitySchema(ctx, req, resp)
}

func (echoRequest) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.State.Raw = req.Plan.Raw
	var name, namespace string
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("name"), &name)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("namespace"), &namespace)...)
	for attribute, value := range configuredRequest(name, namespace) {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attribute), value)...)
	}
	resp.Diagnostics.Append(settleUnknowns(&resp.State.Raw)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.State, resp.Identity)...)
}

// Read keeps the state, and sets the identity from it as the provider does
// (a Terraform without resource identity sends none to keep).
func (echoRequest) Read(ctx context.Context, _ resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.Append(setIdentity(ctx, resp.State, resp.Identity)...)
}

func setIdentity(ctx context.Context, state tfsdk.State, identity *tfsdk.ResourceIdentity) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, attribute := range []string{"promise", "api_version", "kind", "namespace", "name"} {
		v := types.StringNull()
		if attribute != "api_version" && attribute != "kind" {
			diags.Append(state.GetAttribute(ctx, path.Root(attribute), &v)...)
		}
		diags.Append(identity.SetAttribute(ctx, path.Root(attribute), v)...)
	}
	return diags
}

func (echoRequest) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
	resp.Diagnostics.Append(settleUnknowns(&resp.State.Raw)...)
}

func (echoRequest) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

// configuredRequest is what kratix_resource_request holds for a corpus redis
// request once Kratix (the emulator) has configured it.
func configuredRequest(name, namespace string) map[string]any {
	status := map[string]attr.Value{
		"lastSuccessfulConfigureWorkflowTime": types.StringValue("2026-12-07T08:27:50Z"),
		"message":                             types.StringValue("Resource requested"),
		"observedGeneration":                  types.NumberValue(big.NewFloat(1)),
		"promiseVersion":                      types.StringValue("v0.1.0"),
		"resourceBindingVersion":              types.StringValue("latest"),
		"workflows":                           types.NumberValue(big.NewFloat(1)),
		"workflowsFailed":                     types.NumberValue(big.NewFloat(0)),
		"workflowsSucceeded":                  types.NumberValue(big.NewFloat(1)),
	}
	statusTypes := map[string]attr.Type{}
	for k, v := range status {
		statusTypes[k] = v.Type(context.Background())
	}
	return map[string]any{
		"id":                  fmt.Sprintf("redis/%s/%s", namespace, name),
		"api_version":         "marketplace.kratix.io/v1alpha1",
		"kind":                "redis",
		"promise_version":     "v0.1.0",
		"uid":                 "ce6948aa-ef1c-427c-b8ee-56d774bc14bf",
		"observed_generation": int64(1),
		"message":             "Resource requested",
		"status":              types.DynamicValue(types.ObjectValueMust(statusTypes, status)),
		"conditions":          map[string]string{"ConfigureWorkflowCompleted": "True", "Reconciled": "Unknown", "WorksSucceeded": "Unknown"},
		"workflows":           map[string]string{"instance-configure": "Succeeded"},
	}
}

// settleUnknowns makes what is still unknown after an apply known: an
// empty list, or null.
func settleUnknowns(raw *tftypes.Value) diag.Diagnostics {
	settled, err := tftypes.Transform(*raw, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		if v.Type().Is(tftypes.List{}) {
			return tftypes.NewValue(v.Type(), []tftypes.Value{}), nil
		}
		return tftypes.NewValue(v.Type(), nil), nil
	})
	if err != nil {
		return diag.Diagnostics{diag.NewErrorDiagnostic("settling unknown values", err.Error())}
	}
	*raw = settled
	return nil
}
