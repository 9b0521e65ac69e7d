package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// NewServer is the provider's protocol 6 server, as
// providerserver.NewProtocol6 makes it, inside nullArgumentsServer.
func NewServer(p provider.Provider) func() tfprotov6.ProviderServer {
	framework := providerserver.NewProtocol6(p)
	return func() tfprotov6.ProviderServer {
		s, ok := framework().(frameworkServer)
		if !ok {
			// Only a framework without list resources or actions gets here,
			// and the provider's tests with it.
			panic("terraform-plugin-framework's server lacks list resources or actions")
		}
		return nullArgumentsServer{s}
	}
}

// frameworkServer is what the framework's server implements: the protocol,
// and the list resource and action RPCs that tf6server finds by type
// assertion, so the wrapper must keep them.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
}

// nullArgumentsServer makes a provider function's null argument reach the
// framework as null. OpenTofu (1.12.6 at least) sends a null argument of a
// parameter that allows null as an empty DynamicValue, with neither
// msgpack nor JSON data, which terraform-plugin-framework refuses ("Unable
// to unmarshal DynamicValue ... had no JSON or msgpack data set") before
// the function runs; Terraform sends it as a msgpack null. An empty
// argument is only ever that null, so it becomes msgpack's nil, which
// decodes as null of any type.
type nullArgumentsServer struct {
	frameworkServer
}

var msgpackNil = []byte{0xc0}

func (s nullArgumentsServer) CallFunction(ctx context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	if req != nil {
		for i, arg := range req.Arguments {
			if arg == nil || (arg.MsgPack == nil && arg.JSON == nil) {
				req.Arguments[i] = &tfprotov6.DynamicValue{MsgPack: msgpackNil}
			}
		}
	}
	return s.frameworkServer.CallFunction(ctx, req)
}
