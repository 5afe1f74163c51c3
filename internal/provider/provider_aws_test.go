package provider

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

// hangingEndpoint is a local listener that accepts connections and never
// answers: a proxy or a firewall that swallows requests.
func hangingEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// TestProviderConfigure_hangingEndpoint: every AWS call has a deadline. An
// endpoint that accepts connections and never answers fails the plan within
// 30 seconds, and the error names the endpoint. The test waits for the
// error; it sleeps nowhere.
func TestProviderConfigure_hangingEndpoint(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	ep := hangingEndpoint(t)
	start := time.Now()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testAccProviderOnlyConfig(fmt.Sprintf(`
  region = "eu-west-1"
  endpoints {
    sts = %q
  }`, ep)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Unable to Validate AWS Credentials.*GetCallerIdentity:\s+no\s+answer\s+from\s+` + regexp.QuoteMeta(ep)),
		}},
	})
	// The bound: a person waiting for a plan gives up after 30 s.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the plan failed after %s, want within 30s", d.Round(time.Second))
	}
}

// TestProviderConfigure_skipCredentialsValidation: with
// skip_credentials_validation the provider still finds the account id (from
// account_id, else from STS), and when it cannot, planning a gate fails
// with an error that says how to give it, instead of an apply that fails.
func TestProviderConfigure_skipCredentialsValidation(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	stsOK := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::210987654321:user/alice</Arn><UserId>AIDEXAMPLE</UserId><Account>210987654321</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer stsOK.Close()
	cases := []struct {
		name, body, wantAccount string
		wantErr                 *regexp.Regexp
	}{
		{name: "from STS", body: fmt.Sprintf(`endpoints { sts = %q }`, stsOK.URL), wantAccount: "210987654321"},
		{name: "from account_id", body: fmt.Sprintf(`account_id = "111122223333"
  endpoints { sts = %q }`, testUnreachableEndpoint), wantAccount: "111122223333"},
		{name: "unknown", body: fmt.Sprintf(`endpoints { sts = %q }`, testUnreachableEndpoint),
			wantErr: regexp.MustCompile(`(?s)Unknown AWS Account ID.*account_id`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recordingFactory{}
			step := resource.TestStep{
				Config: testAccProviderOnlyConfig(`
  region                      = "eu-west-1"
  skip_credentials_validation = true
  ` + c.body),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ExpectError:        c.wantErr,
			}
			resource.UnitTest(t, resource.TestCase{ProtoV6ProviderFactories: rec.factories(newFakeManager()), Steps: []resource.TestStep{step}})
			if c.wantErr != nil {
				return
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.env) == 0 || rec.env[len(rec.env)-1].AccountID != c.wantAccount {
				t.Errorf("account id = %+v, want %s", rec.env, c.wantAccount)
			}
		})
	}
}

// TestProviderConfigure_accountIDMismatch: account_id must agree with the
// credentials when they are validated.
func TestProviderConfigure_accountIDMismatch(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:iam::210987654321:user/alice</Arn><UserId>AIDEXAMPLE</UserId><Account>210987654321</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer sts.Close()
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testAccProviderOnlyConfig(fmt.Sprintf(`
  region     = "eu-west-1"
  account_id = "111122223333"
  endpoints { sts = %q }`, sts.URL)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Account ID Does Not Match the Credentials.*210987654321`),
		}},
	})
}

// TestEndpointsSFN: the provider makes no Step Functions call, so
// endpoints.sfn configures nothing: it is deprecated (a warning, not an
// error, for configurations that set it) and no client gets it.
func TestEndpointsSFN(t *testing.T) {
	t.Parallel()
	var resp fwprovider.SchemaResponse
	New("test")().Schema(t.Context(), fwprovider.SchemaRequest{}, &resp)
	eps, ok := resp.Schema.Blocks["endpoints"].(schema.SingleNestedBlock)
	if !ok {
		t.Fatal("no endpoints block")
	}
	if a := eps.Attributes["sfn"]; a == nil || a.GetDeprecationMessage() == "" {
		t.Error("endpoints.sfn is not deprecated")
	}
	for _, s := range endpointServices {
		if s.Attr == "sfn" {
			t.Error("endpoints.sfn still configures a client")
		}
	}
	var diags diag.Diagnostics
	obj := types.ObjectValueMust(map[string]attr.Type{"sfn": types.StringType, "sts": types.StringType},
		map[string]attr.Value{"sfn": types.StringValue("http://sfn.example"), "sts": types.StringValue("http://sts.example")})
	if got := endpointsOf(obj, &diags); len(got) != 1 || got["STS"] != "http://sts.example" {
		t.Errorf("endpoints = %v, want only STS", got)
	}
}
