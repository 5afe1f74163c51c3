// Command terraform-provider-manualapproval serves the manualapproval
// Terraform provider over the plugin protocol version 6.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	tfaddr "github.com/hashicorp/terraform-registry-address"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/provider"
)

// version is set by the release build (goreleaser ldflags).
var version = "dev"

func main() {
	var debug bool

	flag.BoolVar(&debug, "debug", false, "set to true to run the provider with support for debuggers like delve")
	flag.Parse()

	opts := providerserver.ServeOpts{
		// manualapproval/manualapproval on the default provider registry.
		Address: tfaddr.NewProvider(tfaddr.DefaultProviderRegistryHost, "manualapproval", "manualapproval").String(),
		Debug:   debug,
	}

	err := providerserver.Serve(context.Background(), provider.New(version), opts)
	if err != nil {
		log.Fatal(err.Error())
	}
}
