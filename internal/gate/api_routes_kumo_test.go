package gate_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

var apiRoutes = []string{"GET /api/v1/requests", "GET /api/v1/requests/{id}", "POST /api/v1/requests/{id}/decision"}

// TestGate_apiRoutes: the api block adds the API's routes, its
// configuration and the index query to the callback; a missing route is
// drift that Update repairs; without the block, API routes are drift that
// Update deletes.
func TestGate_apiRoutes(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	spec.Approvers = []string{"api:repo:my-org/app:environment:prod"}
	spec.API = &gate.APISpec{IssuerURL: "https://token.actions.githubusercontent.com", Audiences: []string{"https://github.com/my-org"}, IdentityClaim: "sub"}
	st, err := m.Create(ctx, spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	apigw := apigatewayv2.NewFromConfig(cfg)
	routes := func() map[string]string {
		t.Helper()
		out, err := apigw.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(st.APIID)})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, r := range out.Items {
			m[aws.ToString(r.RouteKey)] = aws.ToString(r.RouteId)
		}
		return m
	}
	for _, k := range apiRoutes {
		if _, ok := routes()[k]; !ok {
			t.Errorf("route %q missing after create", k)
		}
	}
	env := func() map[string]string {
		t.Helper()
		fn, err := lambda.NewFromConfig(cfg).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name + "-callback")})
		if err != nil {
			t.Fatal(err)
		}
		return fn.Environment.Variables
	}
	if e := env(); e[approval.EnvAPIIssuerURL] != spec.API.IssuerURL || e[approval.EnvAPIAudiences] != `["https://github.com/my-org"]` {
		t.Errorf("callback environment: %v", e)
	}
	policy := func() string {
		t.Helper()
		out, err := iam.NewFromConfig(cfg).GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(name + "-callback"), PolicyName: aws.String("manualapproval-gate")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.PolicyDocument)
	}
	if p := policy(); !strings.Contains(p, `"dynamodb:Query"`) || !strings.Contains(p, "table/"+name+"-requests/index/status-due") {
		t.Errorf("callback policy lacks the index query: %s", p)
	}
	// Import reads the api block back.
	if got, _, err := m.Import(ctx, name); err != nil || got.API == nil || got.API.IssuerURL != spec.API.IssuerURL || !slices.Equal(got.API.Audiences, spec.API.Audiences) || got.API.IdentityClaim != "sub" {
		t.Errorf("import: %v %+v", err, got.API)
	}

	// A missing API route is drift; Update repairs it.
	if _, err := apigw.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: aws.String(st.APIID), RouteId: aws.String(routes()["POST /api/v1/requests/{id}/decision"])}); err != nil {
		t.Fatal(err)
	}
	rd, err := m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rd.Drift, func(d string) bool { return strings.Contains(d, `"POST /api/v1/requests/{id}/decision": missing`) }) {
		t.Errorf("drift %v does not name the missing API route", rd.Drift)
	}
	if _, err := m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("update: %v", err)
	}
	if rd, err := m.Read(ctx, spec); err != nil || len(rd.Drift) != 0 {
		t.Fatalf("after repair: %v %v", err, rd.Drift)
	}

	// Without the api block: the routes, the configuration and the query go.
	off := spec
	off.API = nil
	if rd, err := m.Read(ctx, off); err != nil || !slices.ContainsFunc(rd.Drift, func(d string) bool { return strings.Contains(d, "not configured") }) {
		t.Errorf("API routes of a gate without api: %v %v", err, rd.Drift)
	}
	if _, err := m.Update(ctx, off, nil); err != nil {
		t.Fatalf("update without api: %v", err)
	}
	for _, k := range apiRoutes {
		if _, ok := routes()[k]; ok {
			t.Errorf("route %q remains without the api block", k)
		}
	}
	if e := env(); e[approval.EnvAPIIssuerURL] != "" {
		t.Errorf("callback environment keeps the API: %v", e)
	}
	if p := policy(); strings.Contains(p, "dynamodb:Query") && strings.Contains(p, "ListPendingRequests") {
		t.Errorf("callback policy keeps the index query: %s", p)
	}
	if rd, err := m.Read(ctx, off); err != nil || len(rd.Drift) != 0 {
		t.Fatalf("after removing api: %v %v", err, rd.Drift)
	}
}
