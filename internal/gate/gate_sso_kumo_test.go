package gate_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/gate"
)

// TestGate_sso adds single sign-on to a gate, damages its route, and
// removes it again: the /auth/callback route and the client secret's
// parameter exist exactly while sso is set, and Read reports them missing
// or left over.
func TestGate_sso(t *testing.T) {
	m, cfg := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	st, err := m.Create(ctx, spec)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), name) })
	api := apigatewayv2.NewFromConfig(cfg)
	routes := func() []string {
		t.Helper()
		out, err := api.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(st.APIID)})
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range out.Items {
			keys = append(keys, aws.ToString(r.RouteKey))
		}
		return keys
	}
	secret := "/manualapproval/" + name + "/sso-client-secret"
	param := func() (string, bool) {
		t.Helper()
		out, err := ssm.NewFromConfig(cfg).GetParameters(ctx, &ssm.GetParametersInput{Names: []string{secret}, WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) == 0 {
			return "", false
		}
		return aws.ToString(out.Parameters[0].Value), true
	}
	if slices.Contains(routes(), "GET /auth/callback") {
		t.Fatal("a gate without sso has the /auth/callback route")
	}

	withSSO := spec
	withSSO.SSO = &gate.SSOSpec{IssuerURL: "https://idp.example.com", ClientID: "gate", ClientSecret: "client-secret-value",
		Scopes: []string{"openid", "email", "profile"}, IdentityClaim: "email"}
	if st, err = m.Update(ctx, withSSO, nil); err != nil {
		t.Fatalf("update with sso: %v", err)
	}
	if !slices.Contains(routes(), "GET /auth/callback") {
		t.Fatalf("routes %v lack GET /auth/callback", routes())
	}
	if v, ok := param(); !ok || v != "client-secret-value" {
		t.Fatalf("client secret parameter: %q, %v", v, ok)
	}
	got, err := m.Read(ctx, withSSO)
	if err != nil || len(got.Drift) != 0 {
		t.Fatalf("read with sso: drift %v, err %v", got.Drift, err)
	}
	// Read against the old spec sees what sso left.
	got, err = m.Read(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"GET /auth/callback": not configured`, "sso-client-secret: not configured"} {
		if !slices.ContainsFunc(got.Drift, func(d string) bool { return strings.Contains(d, want) }) {
			t.Errorf("drift %v does not report %q", got.Drift, want)
		}
	}

	if st, err = m.Update(ctx, spec, nil); err != nil {
		t.Fatalf("update without sso: %v", err)
	}
	if slices.Contains(routes(), "GET /auth/callback") {
		t.Fatal("the /auth/callback route stays after sso is removed")
	}
	if _, ok := param(); ok {
		t.Fatal("the client secret stays after sso is removed")
	}
	if got, err = m.Read(ctx, spec); err != nil || len(got.Drift) != 0 {
		t.Fatalf("read without sso: drift %v, err %v", got.Drift, err)
	}
}
