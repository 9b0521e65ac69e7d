// Command schemafloor is the benchmark's schema floor: a
// terraform-plugin-framework provider whose one resource, benchschema_request,
// has kratix_resource_request's schema, config validators and identity
// (request.go), holds what Kratix reports for a configured request, and
// talks to no API. What it costs over the plugin floor (bench/echoprovider)
// is the framework's per-attribute work for a schema of this size; what
// kratix_resource_request costs over it is the provider's own work (the API
// round trips and the Kratix logic). It is a binary of its own so that the
// plugin floor stays free of the provider's code. Built by `make bench` only.
package main

import "github.com/kratix-community/terraform-provider-kratix/bench/floorprovider"

func main() {
	floorprovider.Serve("benchschema", newEchoRequest)
}
