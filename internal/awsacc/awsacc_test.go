// Package awsacc holds the acceptance tests that run against a real AWS
// account (`make testacc-aws`). They run only with MANUALAPPROVAL_TEST_AWS=1
// and AWS credentials in the environment (the SDK's default chain: profile,
// SSO, environment, role); otherwise every test skips. Everything they make
// carries the name prefix tf-acc-aws-, is removed by t.Cleanup even when a
// test fails, and a sweeper removes whatever an interrupted run left behind
// (TestMain, before and after the tests).
//
// See docs/guides/testing-on-aws.md for the IAM policy the runner needs.
package awsacc

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/provider"
)

// EnvEnable is the variable that turns the real-account tests on.
const EnvEnable = "MANUALAPPROVAL_TEST_AWS"

// NamePrefix starts the name of everything these tests create; the sweeper
// removes gates whose name has it.
const NamePrefix = "tf-acc-aws-"

var providerFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"manualapproval": providerserver.NewProtocol6WithError(provider.New("testacc-aws")()),
}

func enabled() bool { return os.Getenv(EnvEnable) == "1" }

// preCheck skips a test unless the real-account run was asked for.
func preCheck(t *testing.T) {
	t.Helper()
	if !enabled() {
		t.Skipf("acceptance test on a real AWS account: set %s=1 and AWS credentials, and run `make testacc-aws`", EnvEnable)
	}
	if os.Getenv("TF_ACC") == "" {
		t.Skip("set TF_ACC=1 (make testacc-aws does)")
	}
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		t.Fatalf("AWS_ENDPOINT_URL is set (%s): the real-account tests must reach AWS itself", os.Getenv("AWS_ENDPOINT_URL"))
	}
}

func TestMain(m *testing.M) {
	if !enabled() || os.Getenv("TF_ACC") == "" {
		os.Exit(m.Run())
	}
	ctx := context.Background()
	if err := sweep(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sweeping before the tests:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := sweep(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sweeping after the tests:", err)
		code = 1
	}
	os.Exit(code)
}

// TestPreCheck_skipsWithoutVariable: without MANUALAPPROVAL_TEST_AWS=1 the
// real-account tests skip (so `make test` and a plain `go test ./...` never
// reach AWS), and with it but without TF_ACC they skip too.
func TestPreCheck_skipsWithoutVariable(t *testing.T) {
	for _, tc := range []struct{ enable, tfacc string }{{"", "1"}, {"0", "1"}, {"true", "1"}, {"1", ""}} {
		var skipped, ran bool
		t.Run(fmt.Sprintf("%s=%q TF_ACC=%q", EnvEnable, tc.enable, tc.tfacc), func(t *testing.T) {
			t.Setenv(EnvEnable, tc.enable)
			t.Setenv("TF_ACC", tc.tfacc)
			defer func() { skipped = t.Skipped() }()
			preCheck(t)
			ran = true
		})
		if !skipped || ran {
			t.Errorf("%s=%q TF_ACC=%q: skipped=%v ran=%v, want skipped", EnvEnable, tc.enable, tc.tfacc, skipped, ran)
		}
	}
}
