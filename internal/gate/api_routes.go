package gate

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// APISpec is the machine-decision API (the api block): routes under
// <callback_url>/api/v1 for callers with an OpenID Connect token of the
// issuer. The callback function verifies the tokens itself: the routes have
// no API Gateway authorizer.
type APISpec struct {
	IssuerURL     string
	Audiences     []string
	IdentityClaim string // "" = "sub"
	GroupsClaim   string // "" = none
}

// apiRouteKeys are the routes of the machine-decision API.
var apiRouteKeys = []string{
	"GET /api/v1/requests",
	"GET /api/v1/requests/{id}",
	"POST /api/v1/requests/{id}/decision",
}

// wantedRouteKeys are the routes the gate's API must have: the links' and
// Slack's, the sign-in's with sso, the machine API's with api.
func (r *run) wantedRouteKeys() []string {
	keys := slices.Clone(routeKeys)
	if r.spec.SSO != nil {
		keys = append(keys, ssoRouteKey)
	}
	if r.spec.API != nil {
		keys = append(keys, apiRouteKeys...)
	}
	return keys
}

// optionalRoutes exist only with their feature (sso, api).
var optionalRoutes = append([]string{ssoRouteKey}, apiRouteKeys...)

// unwantedRoutes are the optional routes present although their feature is
// not configured (it was removed, or someone added them): they are drift,
// and the update deletes them.
func (r *run) unwantedRoutes(routes []apitypes.Route) []apitypes.Route {
	wanted := r.wantedRouteKeys()
	var out []apitypes.Route
	for _, rt := range routes {
		if key := aws.ToString(rt.RouteKey); slices.Contains(optionalRoutes, key) && !slices.Contains(wanted, key) {
			out = append(out, rt)
		}
	}
	return out
}

// deleteRouteSteps delete the unwanted routes.
func (r *run) deleteRouteSteps(apiID string, routes []apitypes.Route) []func(context.Context) error {
	var steps []func(context.Context) error
	for _, rt := range r.unwantedRoutes(routes) {
		steps = append(steps, func(ctx context.Context) error {
			_, err := r.m.c.APIGW.DeleteRoute(ctx, &apigatewayv2.DeleteRouteInput{ApiId: aws.String(apiID), RouteId: rt.RouteId})
			if hasCode(err, "NotFoundException") {
				return nil
			}
			return wrapf(err, "deleting API Gateway v2 route (%s %q)", apiID, aws.ToString(rt.RouteKey))
		})
	}
	return steps
}

// handlerConfig is the callback's view of a (nil: none).
func (a *APISpec) handlerConfig() *approval.APIConfig {
	if a == nil {
		return nil
	}
	return &approval.APIConfig{IssuerURL: a.IssuerURL, Audiences: slices.Clone(a.Audiences), IdentityClaim: a.IdentityClaim, GroupsClaim: a.GroupsClaim}
}

// apiSpecFromConfig is the inverse of handlerConfig, for import.
func apiSpecFromConfig(a *approval.APIConfig) *APISpec {
	if a == nil {
		return nil
	}
	return &APISpec{IssuerURL: a.IssuerURL, Audiences: slices.Clone(a.Audiences), IdentityClaim: a.Claim(), GroupsClaim: a.GroupsClaim}
}
