package provider

import (
	"bytes"
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type recordingServer struct {
	frameworkServer
	got []*tfprotov6.DynamicValue
}

func (r *recordingServer) CallFunction(_ context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	r.got = req.Arguments
	return &tfprotov6.CallFunctionResponse{}, nil
}

// An empty argument, as OpenTofu sends a null, reaches the framework as a
// msgpack null; the others are untouched.
func TestNullArgumentsServer(t *testing.T) {
	rec := &recordingServer{}
	given := &tfprotov6.DynamicValue{MsgPack: []byte{0xa1, 'a'}}
	_, err := nullArgumentsServer{rec}.CallFunction(t.Context(), &tfprotov6.CallFunctionRequest{
		Name: "f", Arguments: []*tfprotov6.DynamicValue{{}, given, nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.got) != 3 || rec.got[1] != given {
		t.Fatalf("arguments %v", rec.got)
	}
	for _, i := range []int{0, 2} {
		if !bytes.Equal(rec.got[i].MsgPack, msgpackNil) {
			t.Fatalf("argument %d: %v", i, rec.got[i])
		}
		v, err := rec.got[i].Unmarshal(tftypes.DynamicPseudoType)
		if err != nil || !v.IsNull() {
			t.Fatalf("argument %d decodes as %v, %v; want null", i, v, err)
		}
	}
}

// The wrapped server still serves list resources and actions, which
// tf6server finds by type assertion.
func TestNewServerKeepsListResourcesAndActions(t *testing.T) {
	s := NewServer(New("test")())()
	if _, ok := s.(tfprotov6.ListResourceServer); !ok {
		t.Error("no ListResourceServer")
	}
	if _, ok := s.(tfprotov6.ActionServer); !ok {
		t.Error("no ActionServer")
	}
}
