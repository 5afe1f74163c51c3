package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// fakeSTS is an STS endpoint that records each call's form and User-Agent,
// grants any AssumeRole and AssumeRoleWithWebIdentity, and says the caller
// is in account.
type fakeSTS struct {
	account string
	mu      sync.Mutex
	calls   []url.Values
	agents  []string
}

func (f *fakeSTS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, r.PostForm)
	f.agents = append(f.agents, r.Header.Get("User-Agent"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	creds := `<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>` +
		`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>`
	switch action := r.PostForm.Get("Action"); action {
	case "AssumeRole", "AssumeRoleWithWebIdentity":
		_, _ = fmt.Fprintf(w, `<%[1]sResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><%[1]sResult>%[2]s`+
			`<AssumedRoleUser><Arn>arn:aws:sts::%[3]s:assumed-role/r/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>`+
			`</%[1]sResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></%[1]sResponse>`, action, creds, f.account)
	case "GetCallerIdentity":
		_, _ = fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws:sts::%[1]s:assumed-role/r/s</Arn><UserId>AROA:s</UserId><Account>%[1]s</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`, f.account)
	default:
		http.Error(w, "unexpected action "+action, http.StatusBadRequest)
	}
}

// call returns the first recorded call of an action.
func (f *fakeSTS) call(action string) (url.Values, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.Get("Action") == action {
			return c, true
		}
	}
	return nil, false
}

// startFakeSTS starts a fake STS and isolates the AWS environment, with
// static credentials.
func startFakeSTS(t *testing.T, account string) (*fakeSTS, string) {
	t.Helper()
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	f := &fakeSTS{account: account}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// testProviderParityConfig is a provider on the fake STS with more
// arguments, and one gate.
func testProviderParityConfig(stsURL, extra string) string {
	return testAccProviderOnlyConfig(fmt.Sprintf(`
  region      = "eu-west-1"
  max_retries = 0
  endpoints {
    sts = %q
  }
%s`, stsURL, extra))
}

// TestProviderConfigure_assumeRole: every assume_role argument reaches STS
// AssumeRole, and the provider's name and version are in the User-Agent.
func TestProviderConfigure_assumeRole(t *testing.T) {
	sts, stsURL := startFakeSTS(t, "123456789012")
	rec := &recordingFactory{}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: rec.factories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testProviderParityConfig(stsURL, `
  assume_role {
    role_arn            = "arn:aws:iam::123456789012:role/deployer"
    session_name        = "ci-run-42"
    external_id         = "ext-123"
    duration            = "1h"
    policy              = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "lambda:*", Resource = "*" }] })
    policy_arns         = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    tags                = { team = "platform", env = "prod" }
    transitive_tag_keys = ["team"]
    source_identity     = "alice"
  }`),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
	got, ok := sts.call("AssumeRole")
	if !ok {
		t.Fatal("STS AssumeRole was not called")
	}
	want := map[string]string{
		"RoleArn":                    "arn:aws:iam::123456789012:role/deployer",
		"RoleSessionName":            "ci-run-42",
		"ExternalId":                 "ext-123",
		"DurationSeconds":            "3600",
		"Policy":                     `{"Statement":[{"Action":"lambda:*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`,
		"PolicyArns.member.1.arn":    "arn:aws:iam::aws:policy/ReadOnlyAccess",
		"Tags.member.1.Key":          "env",
		"Tags.member.1.Value":        "prod",
		"Tags.member.2.Key":          "team",
		"Tags.member.2.Value":        "platform",
		"TransitiveTagKeys.member.1": "team",
		"SourceIdentity":             "alice",
	}
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("AssumeRole %s = %q, want %q", k, got.Get(k), v)
		}
	}
	sts.mu.Lock()
	agents := strings.Join(sts.agents, "\n")
	sts.mu.Unlock()
	if !strings.Contains(agents, "terraform-provider-manualapproval/test") {
		t.Errorf("User-Agent does not name the provider and its version: %s", agents)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.env) == 0 || rec.env[len(rec.env)-1].AccountID != "123456789012" {
		t.Errorf("gate.Env = %+v, want the account of the assumed role", rec.env)
	}
}

// TestProviderConfigure_assumeRoleWithWebIdentity: the token from a file
// and the session options reach STS AssumeRoleWithWebIdentity.
func TestProviderConfigure_assumeRoleWithWebIdentity(t *testing.T) {
	sts, stsURL := startFakeSTS(t, "210987654321")
	// No static credentials: the web identity token is all there is.
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("eyJ.oidc.token"), 0o600); err != nil {
		t.Fatal(err)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testProviderParityConfig(stsURL, fmt.Sprintf(`
  assume_role_with_web_identity {
    role_arn                = "arn:aws:iam::210987654321:role/ci"
    session_name            = "gha"
    web_identity_token_file = %q
    duration                = "30m"
    policy_arns             = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
  }`, tokenFile)),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})
	got, ok := sts.call("AssumeRoleWithWebIdentity")
	if !ok {
		t.Fatal("STS AssumeRoleWithWebIdentity was not called")
	}
	for k, v := range map[string]string{
		"RoleArn": "arn:aws:iam::210987654321:role/ci", "RoleSessionName": "gha", "WebIdentityToken": "eyJ.oidc.token",
		"DurationSeconds": "1800", "PolicyArns.member.1.arn": "arn:aws:iam::aws:policy/ReadOnlyAccess",
	} {
		if got.Get(k) != v {
			t.Errorf("AssumeRoleWithWebIdentity %s = %q, want %q", k, got.Get(k), v)
		}
	}
}

// TestProviderConfigure_webIdentityErrors: the block without a role or a
// token says what is missing.
func TestProviderConfigure_webIdentityErrors(t *testing.T) {
	_, stsURL := startFakeSTS(t, "123456789012")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{
			{
				Config:      testProviderParityConfig(stsURL, "assume_role_with_web_identity {\n role_arn = \"arn:aws:iam::123456789012:role/ci\"\n}"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Missing Web Identity Token(.|\n)*web_identity_token_file`),
			},
			{
				Config:      testProviderParityConfig(stsURL, "assume_role_with_web_identity {\n web_identity_token = \"x\"\n}"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Missing Role ARN`),
			},
			{
				Config: testProviderParityConfig(stsURL, "assume_role_with_web_identity {\n role_arn = \"arn:aws:iam::123456789012:role/ci\"\n"+
					" web_identity_token = \"x\"\n web_identity_token_file = \"/tmp/t\"\n}"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`web_identity_token_file"?\s+cannot\s+be\s+specified\s+when`),
			},
		},
	})
}

// TestProviderConfigure_accountIDs: the provider refuses credentials of an
// account outside allowed_account_ids or in forbidden_account_ids, and the
// lists without the account id.
func TestProviderConfigure_accountIDs(t *testing.T) {
	_, stsURL := startFakeSTS(t, "123456789012")
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{
			{
				Config:      testProviderParityConfig(stsURL, `allowed_account_ids = ["111111111111", "222222222222"]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`AWS Account Not Allowed(.|\n)*123456789012,\s+which\s+is\s+not\s+in\s+allowed_account_ids\s+\(111111111111,\s+222222222222\)`),
			},
			{
				Config:      testProviderParityConfig(stsURL, `forbidden_account_ids = ["123456789012"]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`AWS Account Forbidden(.|\n)*123456789012`),
			},
			{
				Config:      testProviderParityConfig(stsURL, "allowed_account_ids = [\"123456789012\"]\nskip_credentials_validation = true"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Unable to Check the AWS Account(.|\n)*skip_credentials_validation`),
			},
			{
				Config:      testProviderParityConfig(stsURL, "allowed_account_ids = [\"123456789012\"]\nforbidden_account_ids = [\"210987654321\"]"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`"forbidden_account_ids"\s+cannot\s+be\s+specified\s+when\s+"allowed_account_ids"`),
			},
			{
				Config:      testProviderParityConfig(stsURL, `allowed_account_ids = ["12345"]`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`must\s+be\s+a\s+12-digit\s+AWS\s+account\s+id`),
			},
			{
				// The account is allowed: the plan proceeds.
				Config:             testProviderParityConfig(stsURL, `allowed_account_ids = ["123456789012"]`),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// TestRetryOptions: max_retries defaults to 25 like hashicorp/aws, the
// SDK's AWS_MAX_ATTEMPTS and AWS_RETRY_MODE apply when the arguments are not
// set, and the arguments win.
func TestRetryOptions(t *testing.T) {
	errThrottled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	tests := map[string]struct {
		env          map[string]string
		model        providerModel
		wantAttempts int
		wantAdaptive bool
	}{
		"defaults":            {wantAttempts: 26},
		"env attempts":        {env: map[string]string{"AWS_MAX_ATTEMPTS": "4"}, wantAttempts: 4},
		"max_retries wins":    {env: map[string]string{"AWS_MAX_ATTEMPTS": "4"}, model: providerModel{MaxRetries: types.Int64Value(0)}, wantAttempts: 1},
		"env adaptive":        {env: map[string]string{"AWS_RETRY_MODE": "adaptive"}, wantAttempts: 26, wantAdaptive: true},
		"retry_mode wins":     {env: map[string]string{"AWS_RETRY_MODE": "adaptive"}, model: providerModel{RetryMode: types.StringValue("standard")}, wantAttempts: 26},
		"retry_mode adaptive": {model: providerModel{RetryMode: types.StringValue("adaptive"), MaxRetries: types.Int64Value(5)}, wantAttempts: 6, wantAdaptive: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv("AWS_MAX_ATTEMPTS", "")
			t.Setenv("AWS_RETRY_MODE", "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.model.MaxRetries.IsUnknown() {
				tt.model.MaxRetries = types.Int64Null()
			}
			newRetryer, attempts := retryOptions(tt.model)
			r := newRetryer()
			if attempts != tt.wantAttempts || r.MaxAttempts() != tt.wantAttempts {
				t.Errorf("attempts = %d (retryer %d), want %d", attempts, r.MaxAttempts(), tt.wantAttempts)
			}
			_, adaptive := r.(*retry.AdaptiveMode)
			if adaptive != tt.wantAdaptive {
				t.Errorf("retryer %T, adaptive = %v, want %v", r, adaptive, tt.wantAdaptive)
			}
			// No client-side retry quota in either mode.
			for i := range 200 {
				if _, err := r.GetRetryToken(context.Background(), errors.New("500 Internal Server Error")); err != nil {
					t.Fatalf("retry %d refused: %v", i, err)
				}
			}
			if !r.IsErrorRetryable(errThrottled) {
				t.Error("throttling is not retryable")
			}
		})
	}
}

// TestIgnoreTagsOf: the block reaches the gate's environment.
func TestIgnoreTagsOf(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	obj := types.ObjectValueMust(map[string]attr.Type{
		"keys":         types.SetType{ElemType: types.StringType},
		"key_prefixes": types.SetType{ElemType: types.StringType},
	}, map[string]attr.Value{
		"keys":         setOf([]string{"CostCenter", "Owner"}),
		"key_prefixes": setOf([]string{"org:"}),
	})
	var diags diag.Diagnostics
	got := ignoreTagsOf(ctx, obj, &diags)
	if diags.HasError() {
		t.Fatal(diags)
	}
	want := gate.IgnoreTags{Keys: []string{"CostCenter", "Owner"}, KeyPrefixes: []string{"org:"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ignoreTagsOf (-want +got):\n%s", diff)
	}
	if got := ignoreTagsOf(ctx, types.ObjectNull(nil), &diags); len(got.Keys)+len(got.KeyPrefixes) != 0 {
		t.Errorf("null block = %+v, want none", got)
	}
}

// TestProviderConfigure_caBundle: the SDK's AWS_CA_BUNDLE is honoured (a
// bundle that cannot be read fails the configuration, naming it).
func TestProviderConfigure_caBundle(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "missing-ca.pem"))
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config:      testAccProviderOnlyConfig("region = \"eu-west-1\"\nskip_credentials_validation = true"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`Unable to Load AWS Configuration(.|\n)*missing-ca\.pem`),
		}},
	})
}
