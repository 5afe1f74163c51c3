package gate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
)

// Route-level throttling of the callback API. API Gateway applies a route's
// own limits instead of the stage's defaults ("Throttling requests to your
// HTTP API", API Gateway Developer Guide), so each route is a bucket of its
// own: a flood of junk link requests uses up the link routes' buckets, not
// the Slack route's, and Slack (which does not retry an interaction) still
// gets through. The stage defaults (apiBurstLimit, apiRateLimit) cover
// anything else.
const (
	linkBurstLimit  = 20
	linkRateLimit   = 10
	slackBurstLimit = 20
	slackRateLimit  = 10
)

// slackRouteKey is the route of Slack's interactivity requests.
const slackRouteKey = "POST /slack/interactions"

// routeThrottling is the stage's RouteSettings: one bucket per route.
func routeThrottling() map[string]apitypes.RouteSettings {
	out := map[string]apitypes.RouteSettings{}
	for _, key := range routeKeys {
		burst, rate := int32(linkBurstLimit), float64(linkRateLimit)
		if key == slackRouteKey {
			burst, rate = slackBurstLimit, slackRateLimit
		}
		out[key] = apitypes.RouteSettings{ThrottlingBurstLimit: aws.Int32(burst), ThrottlingRateLimit: aws.Float64(rate)}
	}
	return out
}

func stageDefaultThrottling() *apitypes.RouteSettings {
	return &apitypes.RouteSettings{ThrottlingBurstLimit: aws.Int32(apiBurstLimit), ThrottlingRateLimit: aws.Float64(apiRateLimit)}
}

// defaultStage returns the API's $default stage, or nil.
func defaultStage(stages []apitypes.Stage) *apitypes.Stage {
	for i := range stages {
		if aws.ToString(stages[i].StageName) == apiStageName {
			return &stages[i]
		}
	}
	return nil
}

// stageDiffers reports whether the $default stage lacks auto-deploy or
// throttles otherwise than the gate wants. Route settings of other routes
// are not the gate's and are left alone.
func stageDiffers(s *apitypes.Stage) bool {
	if !aws.ToBool(s.AutoDeploy) || !sameThrottling(s.DefaultRouteSettings, stageDefaultThrottling()) {
		return true
	}
	for key, want := range routeThrottling() {
		have, ok := s.RouteSettings[key]
		if !ok || !sameThrottling(&have, &want) {
			return true
		}
	}
	return false
}

func sameThrottling(have, want *apitypes.RouteSettings) bool {
	return have != nil &&
		aws.ToInt32(have.ThrottlingBurstLimit) == aws.ToInt32(want.ThrottlingBurstLimit) &&
		aws.ToFloat64(have.ThrottlingRateLimit) == aws.ToFloat64(want.ThrottlingRateLimit)
}

// ensureStage creates the auto-deployed $default stage, or updates it in
// place when it exists but differs: CreateStage on an existing stage name
// fails with ConflictException (API Gateway v2 API Reference, CreateStage),
// so a stage whose auto-deploy was turned off, or whose throttling was
// changed, is repaired with UpdateStage.
func (r *run) ensureStage(ctx context.Context, have *apitypes.Stage) error {
	c := r.m.c.APIGW
	id := r.apiID()
	if have == nil {
		var tries attempts
		_, err := c.CreateStage(ctx, &apigatewayv2.CreateStageInput{
			ApiId: aws.String(id), StageName: aws.String(apiStageName), AutoDeploy: aws.Bool(true),
			DefaultRouteSettings: stageDefaultThrottling(),
			RouteSettings:        routeThrottling(),
			Tags:                 r.tagsWithGate(),
		}, tries.apigw)
		if hasCode(err, "ConflictException") && tries.mayHaveApplied() {
			return nil // an attempt whose answer was lost made it
		}
		return wrapf(err, "creating API Gateway v2 stage (%s/%s)", id, apiStageName)
	}
	if !stageDiffers(have) {
		return nil
	}
	_, err := c.UpdateStage(ctx, &apigatewayv2.UpdateStageInput{
		ApiId: aws.String(id), StageName: aws.String(apiStageName), AutoDeploy: aws.Bool(true),
		DefaultRouteSettings: stageDefaultThrottling(),
		RouteSettings:        routeThrottling(),
	})
	return wrapf(err, "updating API Gateway v2 stage (%s/%s)", id, apiStageName)
}
