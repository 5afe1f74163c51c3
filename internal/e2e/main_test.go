// Package e2e proves the product works as one on the local AWS: a gate
// applied with Terraform, its handlers running as local processes, a state
// machine that really waits for a person, and a local Slack.
package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/provider"
)

var local *acctest.Local

func TestMain(m *testing.M) {
	if os.Getenv("TF_ACC") == "" {
		os.Exit(m.Run()) // every test here skips
	}
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			_ = os.Setenv("TF_ACC_TERRAFORM_PATH", p)
		}
	}
	_ = os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "manualapproval")
	l, err := acctest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	local = l
	code := m.Run()
	l.Stop()
	os.Exit(code)
}

var providerFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"manualapproval": providerserver.NewProtocol6WithError(provider.New("e2e")()),
}

func preCheck(t *testing.T) {
	t.Helper()
	if local == nil {
		t.Skip("end-to-end test on the local AWS: run with TF_ACC=1 (make test does)")
	}
}
