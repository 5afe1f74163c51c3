package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// testAccProtoV6ProviderFactories are the provider factories of acceptance
// tests: the real provider, talking to whatever AWS the provider
// configuration and the AWS_* environment point at.
var testAccProtoV6ProviderFactories = map[string]func() (tfprotov6.ProviderServer, error){
	"manualapproval": providerserver.NewProtocol6WithError(New("test")()),
}

// testProviderFactories returns provider factories whose gates are handled
// by m and whose bundle hash is fixed, for tests without AWS.
func testProviderFactories(m GateManager) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"manualapproval": providerserver.NewProtocol6WithError(newWithFakes("test", m, testBundleSHA256)()),
	}
}

// testBundleSHA256 stands in for the embedded bundle, which unit test builds
// do not have.
func testBundleSHA256(arch string) (string, error) {
	return fmt.Sprintf("%064x", len(arch)), nil
}

// testUnreachableEndpoint is a loopback URL nothing listens on.
const testUnreachableEndpoint = "http://127.0.0.1:9"

// testProviderConfig is a provider configuration that never calls AWS:
// credentials are not validated and every endpoint is unreachable.
func testProviderConfig() string {
	return testProviderConfigWith("")
}

// testProviderConfigWith is testProviderConfig with more provider arguments.
func testProviderConfigWith(extra string) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval" }
  }
}

provider "manualapproval" {
  region                      = "us-east-1"
  skip_credentials_validation = true
  account_id                  = "123456789012"
  endpoints {
    apigatewayv2 = %[1]q
    dynamodb     = %[1]q
    iam          = %[1]q
    lambda       = %[1]q
    logs         = %[1]q
    sns          = %[1]q
    ssm          = %[1]q
    sts          = %[1]q
  }
%[2]s
}
`, testUnreachableEndpoint, extra)
}

func TestMain(m *testing.M) {
	// terraform-plugin-testing runs the terraform on PATH, offline, with the
	// provider under the manualapproval namespace.
	if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
		if p, err := exec.LookPath("terraform"); err == nil {
			_ = os.Setenv("TF_ACC_TERRAFORM_PATH", p)
		}
	}
	if os.Getenv("TF_ACC_PROVIDER_NAMESPACE") == "" {
		_ = os.Setenv("TF_ACC_PROVIDER_NAMESPACE", "manualapproval")
	}
	// Acceptance tests (TF_ACC set) run against the local AWS, started here
	// once for the package and stopped by its pid.
	if os.Getenv("TF_ACC") != "" {
		l, err := acctest.Start()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		testAccLocal = l
		code := m.Run()
		l.Stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// testAccLocal is the local AWS of acceptance tests; nil without TF_ACC.
var testAccLocal *acctest.Local

func TestProviderSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := New("test")()

	var resp fwprovider.SchemaResponse
	p.Schema(ctx, fwprovider.SchemaRequest{}, &resp)
	if resp.Diagnostics.HasError() {
		t.Fatalf("Schema: %v", resp.Diagnostics)
	}
	if diags := resp.Schema.ValidateImplementation(ctx); diags.HasError() {
		t.Fatalf("ValidateImplementation: %v", diags)
	}
	for name, a := range resp.Schema.Attributes {
		if a.GetMarkdownDescription() == "" {
			t.Errorf("attribute %s has no MarkdownDescription", name)
		}
	}
	for name, b := range resp.Schema.Blocks {
		if b.GetMarkdownDescription() == "" {
			t.Errorf("block %s has no MarkdownDescription", name)
		}
	}

	var meta fwprovider.MetadataResponse
	p.Metadata(ctx, fwprovider.MetadataRequest{}, &meta)
	if meta.TypeName != "manualapproval" || meta.Version != "test" {
		t.Errorf("Metadata = %q %q, want manualapproval test", meta.TypeName, meta.Version)
	}
}

func TestProviderServer(t *testing.T) {
	t.Parallel()
	// GetProviderSchema runs the framework's own checks of every schema.
	server, err := testAccProtoV6ProviderFactories["manualapproval"]()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := server.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		t.Errorf("diagnostic: %s: %s", d.Summary, d.Detail)
	}
	if _, ok := resp.ResourceSchemas["manualapproval_gate"]; !ok {
		t.Errorf("resource manualapproval_gate missing; got %v", resp.ResourceSchemas)
	}
}

func TestPartitionOfRegion(t *testing.T) {
	t.Parallel()
	for region, want := range map[string]string{
		"eu-west-1":      "aws",
		"us-east-1":      "aws",
		"cn-north-1":     "aws-cn",
		"us-gov-west-1":  "aws-us-gov",
		"us-iso-east-1":  "aws-iso",
		"us-isob-east-1": "aws-iso-b",
	} {
		if got := partitionOfRegion(region); got != want {
			t.Errorf("partitionOfRegion(%q) = %q, want %q", region, got, want)
		}
	}
}

// TestEndpointOverrides checks that the endpoints block wins over the SDK's
// AWS_ENDPOINT_URL variables, and that services without an override keep
// them. The variables are read by the SDK's own loader, as in Configure.
func TestEndpointOverrides(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://global.example:1")
	t.Setenv("AWS_ENDPOINT_URL_LAMBDA", "http://lambda-env.example:2")
	t.Setenv("AWS_ENDPOINT_URL_SNS", "http://sns-env.example:5")

	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"),
		config.WithServiceOptions(endpointOverrides(map[string]string{
			"IAM":    "http://iam.example:3",
			"Lambda": "http://lambda.example:4",
		})))
	if err != nil {
		t.Fatal(err)
	}
	// The variables were read: without the overrides, Lambda would use its own.
	if got := aws.ToString(cfg.BaseEndpoint); got != "http://global.example:1" {
		t.Fatalf("AWS_ENDPOINT_URL was not read: BaseEndpoint = %q", got)
	}

	got := map[string]string{
		"iam":          aws.ToString(iam.NewFromConfig(cfg).Options().BaseEndpoint),
		"lambda":       aws.ToString(lambda.NewFromConfig(cfg).Options().BaseEndpoint),
		"sns":          aws.ToString(sns.NewFromConfig(cfg).Options().BaseEndpoint),
		"apigatewayv2": aws.ToString(apigatewayv2.NewFromConfig(cfg).Options().BaseEndpoint),
	}
	want := map[string]string{
		"iam":          "http://iam.example:3",
		"lambda":       "http://lambda.example:4",
		"sns":          "http://sns-env.example:5",
		"apigatewayv2": "http://global.example:1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}

	// Without the overrides, the service variable wins: it is not inert.
	plain, err := config.LoadDefaultConfig(t.Context(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(lambda.NewFromConfig(plain).Options().BaseEndpoint); got != "http://lambda-env.example:2" {
		t.Errorf("without overrides, lambda endpoint = %q, want AWS_ENDPOINT_URL_LAMBDA", got)
	}
}

// TestEndpointServices checks that every endpoints attribute names a service
// id setBaseEndpoint knows.
func TestEndpointServices(t *testing.T) {
	t.Parallel()
	cfg := aws.Config{Region: "us-east-1"}
	eps := map[string]string{}
	for _, s := range endpointServices {
		eps[s.ServiceID] = "http://" + s.Attr + ".example"
	}
	cfg.ServiceOptions = append(cfg.ServiceOptions, endpointOverrides(eps))
	if got := aws.ToString(sts.NewFromConfig(cfg).Options().BaseEndpoint); got != "http://sts.example" {
		t.Errorf("sts endpoint = %q", got)
	}
	if got := aws.ToString(apigatewayv2.NewFromConfig(cfg).Options().BaseEndpoint); got != "http://apigatewayv2.example" {
		t.Errorf("apigatewayv2 endpoint = %q", got)
	}
}

// TestNewRetryer: hundreds of retries in a row never run out of a retry
// quota (the standard retryer's token bucket refuses after about 35).
func TestNewRetryer(t *testing.T) {
	t.Parallel()
	r := newRetryer()
	errThrottled := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	for i := range 500 {
		if !r.IsErrorRetryable(errThrottled) {
			t.Fatal("throttling is not retryable")
		}
		if _, err := r.GetRetryToken(t.Context(), errors.New("500 Internal Server Error")); err != nil {
			t.Fatalf("retry %d refused: %v", i, err)
		}
	}
}

// isolateAWSEnv points the SDK at no shared files, no instance metadata and
// no credentials, so a test sees only what it sets.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE":                        dir + "/config",
		"AWS_SHARED_CREDENTIALS_FILE":            dir + "/credentials",
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_REGION":                             "",
		"AWS_DEFAULT_REGION":                     "",
		"AWS_PROFILE":                            "",
		"AWS_ACCESS_KEY_ID":                      "",
		"AWS_SECRET_ACCESS_KEY":                  "",
		"AWS_SESSION_TOKEN":                      "",
		"AWS_ENDPOINT_URL":                       "",
		"AWS_ENDPOINT_URL_STS":                   "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_MAX_ATTEMPTS":                       "",
	} {
		t.Setenv(k, v)
	}
}

// recordingFactory records the gate environment the provider configured.
type recordingFactory struct {
	mu  sync.Mutex
	env []gate.Env
}

func (f *recordingFactory) factories(m GateManager) map[string]func() (tfprotov6.ProviderServer, error) {
	p := &manualapprovalProvider{version: "test", bundleSHA256: testBundleSHA256}
	p.newManager = func(_ aws.Config, env gate.Env) GateManager {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.env = append(f.env, env)
		return m
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"manualapproval": providerserver.NewProtocol6WithError(p),
	}
}

// testAccProviderOnlyConfig is a configuration with the given provider body
// and one gate, so that terraform configures the provider.
func testAccProviderOnlyConfig(providerBody string) string {
	return fmt.Sprintf(`
terraform {
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval" }
  }
}

provider "manualapproval" {
%s
}

resource "manualapproval_gate" "test" {
  name                = "tf-acc-test-provider"
  allow_self_approval = true
}
`, providerBody)
}

func TestProviderConfigure_missingRegion(t *testing.T) {
	isolateAWSEnv(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config:      testAccProviderOnlyConfig(`skip_credentials_validation = true`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`Missing AWS Region(.|\n)*AWS_REGION(.|\n)*AWS_DEFAULT_REGION`),
		}},
	})
}

func TestProviderConfigure_missingCredentials(t *testing.T) {
	isolateAWSEnv(t)
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testAccProviderOnlyConfig(fmt.Sprintf(`
  region = "eu-west-1"
  endpoints {
    sts = %q
  }`, testUnreachableEndpoint)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`No Valid AWS Credentials Found(.|\n)*AWS_ACCESS_KEY_ID`),
		}},
	})
}

func TestProviderConfigure_invalidCredentials(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	}))
	defer sts.Close()

	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testProviderFactories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: testAccProviderOnlyConfig(fmt.Sprintf(`
  region      = "eu-west-1"
  max_retries = 0
  endpoints {
    sts = %q
  }`, sts.URL)),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`Unable to Validate AWS Credentials(.|\n)*InvalidClientTokenId`),
		}},
	})
}

// TestProviderConfigure_callerIdentity checks that the account id and the
// partition come from STS GetCallerIdentity, and the API Gateway endpoint
// from the environment.
func TestProviderConfigure_callerIdentity(t *testing.T) {
	isolateAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = fmt.Fprint(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
			`<Arn>arn:aws-cn:iam::123456789012:user/alice</Arn><UserId>AIDEXAMPLE</UserId><Account>123456789012</Account>`+
			`</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer sts.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", sts.URL)

	rec := &recordingFactory{}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: rec.factories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config:             testAccProviderOnlyConfig(`region = "cn-north-1"`),
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
		}},
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.env) == 0 {
		t.Fatal("the provider was never configured")
	}
	want := gate.Env{Partition: "aws-cn", Region: "cn-north-1", AccountID: "123456789012", APIGatewayEndpoint: "http://127.0.0.1:4566"}
	if diff := cmp.Diff(want, rec.env[len(rec.env)-1]); diff != "" {
		t.Errorf("gate.Env (-want +got):\n%s", diff)
	}
}

// TestProviderConfigure_unknown plans a gate with a provider configuration
// that depends on a value known only after apply: the plan succeeds, with
// tags_all unknown.
func TestProviderConfigure_unknown(t *testing.T) {
	isolateAWSEnv(t)
	rec := &recordingFactory{}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: rec.factories(newFakeManager()),
		Steps: []resource.TestStep{{
			Config: `
terraform {
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval" }
  }
}

resource "terraform_data" "region" {
  input = "eu-west-1"
}

provider "manualapproval" {
  region = terraform_data.region.output
  default_tags {
    tags = {
      region = terraform_data.region.output
    }
  }
}

resource "manualapproval_gate" "test" {
  name                = "tf-acc-test-unknown"
  allow_self_approval = true
}
`,
			PlanOnly:           true,
			ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue("manualapproval_gate.test", tfjsonpath.New("tags_all")),
				},
			},
		}},
	})
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.env) != 0 {
		t.Errorf("the gate manager was built from an unknown configuration: %+v", rec.env)
	}
}
