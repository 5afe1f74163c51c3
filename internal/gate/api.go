package gate

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	apitypes "github.com/aws/aws-sdk-go-v2/service/apigatewayv2/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// routeKeys are the callback API's routes: the confirm page and decision of
// a signed link, and Slack's interactivity requests (plus apiRouteKeys with
// an api block, see api_routes.go).
var routeKeys = []string{"GET /r/{id}", "POST /r/{id}", "POST /slack/interactions"}

// ssoRouteKey is where the identity provider sends people back after they
// signed in: a route only while the gate has sso.
const ssoRouteKey = "GET /auth/callback"

// Throttling of the callback API: people click a few times a minute; a
// flood of requests is not a person.
const (
	apiBurstLimit = 50
	apiRateLimit  = 25
)

func (r *run) apiID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.st.APIID
}

// findAPI returns the gate's HTTP API, or nil.
func (r *run) findAPI(ctx context.Context) (*apitypes.Api, error) {
	apis, err := r.findAPIs(ctx)
	if err != nil || len(apis) == 0 {
		return nil, err
	}
	return &apis[0], nil
}

// findAPIs returns every HTTP API with the gate's API name (API names need
// not be unique).
func (r *run) findAPIs(ctx context.Context) ([]apitypes.Api, error) {
	var apis []apitypes.Api
	p := &apigatewayv2.GetApisInput{}
	for {
		out, err := r.m.c.APIGW.GetApis(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("listing API Gateway v2 APIs: %w", err)
		}
		for _, api := range out.Items {
			if aws.ToString(api.Name) == r.n.api() && api.ProtocolType == apitypes.ProtocolTypeHttp {
				apis = append(apis, api)
			}
		}
		if out.NextToken == nil {
			return apis, nil
		}
		p.NextToken = out.NextToken
	}
}

func outAPIID(out *apigatewayv2.CreateApiOutput) *string {
	if out == nil {
		return nil
	}
	return out.ApiId
}

// dropLostAPIs deletes the APIs of the gate's name other than keep ("" for
// none): copies made by create attempts whose answers were lost.
func (r *run) dropLostAPIs(ctx context.Context, keep string) error {
	apis, err := r.findAPIs(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, api := range apis {
		if id := aws.ToString(api.ApiId); id != keep {
			errs = append(errs, r.deleteAPIByID(ctx, id))
		}
	}
	return errors.Join(errs...)
}

func (r *run) apiARN(id string) string {
	return fmt.Sprintf("arn:%s:apigateway:%s::/apis/%s", r.m.env.partition(), r.m.env.Region, id)
}

func (r *run) setAPI(id, endpoint string) {
	r.set(func(st *Status) {
		st.APIID = id
		st.CallbackURL = r.callbackURL(id, endpoint)
	})
}

// ensureAPI creates or finds the HTTP API (phase 1: the functions need its URL).
func (r *run) ensureAPI(ctx context.Context) error {
	c := r.m.c.APIGW
	var api *apitypes.Api
	// Look first, on create too: API names need not be unique, so AWS would
	// make a second API of the name rather than refuse, and a lost answer
	// could not be told from another gate's API.
	var err error
	if api, err = r.findAPI(ctx); err != nil {
		return err
	}
	if api != nil && r.fresh {
		return fmt.Errorf("creating API Gateway v2 API (%s): an API with this name already exists; another gate may use the name %q", r.n.api(), r.spec.Name)
	}
	if api == nil {
		var tries attempts
		out, err := c.CreateApi(ctx, &apigatewayv2.CreateApiInput{
			Name:         aws.String(r.n.api()),
			ProtocolType: apitypes.ProtocolTypeHttp,
			Description:  aws.String("Approval gate " + r.spec.Name + ": signed links and Slack interactivity"),
			Tags:         r.tagsWithGate(),
		}, tries.apigw)
		if tries.mayHaveApplied() {
			// An attempt whose answer was lost may have made an API: there
			// was none of this name before, so every one but ours is such.
			if derr := r.dropLostAPIs(ctx, aws.ToString(outAPIID(out))); derr != nil {
				return errors.Join(wrapf(err, "creating API Gateway v2 API (%s)", r.n.api()), derr)
			}
		}
		if err != nil {
			return fmt.Errorf("creating API Gateway v2 API (%s): %w", r.n.api(), err)
		}
		id := aws.ToString(out.ApiId)
		r.undo.add("API Gateway v2 API "+id, func(ctx context.Context) error { return r.deleteAPIByID(ctx, id) })
		r.setAPI(id, aws.ToString(out.ApiEndpoint))
		return nil
	}
	id := aws.ToString(api.ApiId)
	r.setAPI(id, aws.ToString(api.ApiEndpoint))
	return r.retagPart(ctx, partAPI, r.apiARN(id), api.Tags, r.tagsWithGate())
}

// ensureAPIWiring connects the API to the callback function: integration,
// routes, the auto-deployed $default stage and the invoke permission.
func (r *run) ensureAPIWiring(ctx context.Context) error {
	c := r.m.c.APIGW
	id := r.apiID()
	r.mu.Lock()
	fnARN := r.st.CallbackFunctionARN
	r.mu.Unlock()

	var w apiParts
	if !r.fresh {
		var err error
		if w, err = r.getAPIParts(ctx, id); err != nil {
			return err
		}
	}
	integrations, routes, stages, policy := w.integrations, w.routes, w.stages, w.policy

	// Integration.
	integrationID := ""
	for _, in := range integrations {
		if in.IntegrationType == apitypes.IntegrationTypeAwsProxy {
			integrationID = aws.ToString(in.IntegrationId)
			if aws.ToString(in.IntegrationUri) != fnARN || aws.ToString(in.PayloadFormatVersion) != "2.0" {
				if _, err := c.UpdateIntegration(ctx, &apigatewayv2.UpdateIntegrationInput{
					ApiId: aws.String(id), IntegrationId: in.IntegrationId,
					IntegrationUri: aws.String(fnARN), PayloadFormatVersion: aws.String("2.0"),
				}); err != nil {
					return fmt.Errorf("updating API Gateway v2 integration (%s/%s): %w", id, integrationID, err)
				}
			}
			break
		}
	}
	if integrationID == "" {
		var tries attempts
		out, err := c.CreateIntegration(ctx, &apigatewayv2.CreateIntegrationInput{
			ApiId:                aws.String(id),
			IntegrationType:      apitypes.IntegrationTypeAwsProxy,
			IntegrationUri:       aws.String(fnARN),
			PayloadFormatVersion: aws.String("2.0"),
			TimeoutInMillis:      aws.Int32((functionTimeout[kindCallback] + 1) * 1000),
		}, tries.apigw)
		if err != nil {
			return fmt.Errorf("creating API Gateway v2 integration (%s): %w", id, err)
		}
		integrationID = aws.ToString(out.IntegrationId)
		if tries.mayHaveApplied() {
			// The API had no proxy integration: any but ours was made by an
			// attempt whose answer was lost.
			if err := r.dropLostIntegrations(ctx, id, integrationID); err != nil {
				return err
			}
		}
	}
	target := "integrations/" + integrationID

	// Routes, the stage and the permission are independent of each other.
	steps := r.deleteRouteSteps(id, routes)
	for _, key := range r.wantedRouteKeys() {
		var have *apitypes.Route
		for i := range routes {
			if aws.ToString(routes[i].RouteKey) == key {
				have = &routes[i]
				break
			}
		}
		switch {
		case have == nil:
			steps = append(steps, func(ctx context.Context) error {
				var tries attempts
				_, err := c.CreateRoute(ctx, &apigatewayv2.CreateRouteInput{ApiId: aws.String(id), RouteKey: aws.String(key), Target: aws.String(target)}, tries.apigw)
				if hasCode(err, "ConflictException") && tries.mayHaveApplied() {
					return nil // an attempt whose answer was lost made it
				}
				return wrapf(err, "creating API Gateway v2 route (%s %q)", id, key)
			})
		case aws.ToString(have.Target) != target:
			steps = append(steps, func(ctx context.Context) error {
				_, err := c.UpdateRoute(ctx, &apigatewayv2.UpdateRouteInput{ApiId: aws.String(id), RouteId: have.RouteId, Target: aws.String(target)})
				return wrapf(err, "updating API Gateway v2 route (%s %q)", id, key)
			})
		}
	}
	if src := r.a.executeAPI(id); !hasPermission(policy, src) {
		steps = append(steps, func(ctx context.Context) error { return r.putPermission(ctx, policy != "", src) })
	}
	if err := parallel(ctx, steps...); err != nil {
		return err
	}
	// The stage last: its route settings name the routes, which must exist.
	return r.ensureStage(ctx, defaultStage(stages))
}

func (r *run) dropLostIntegrations(ctx context.Context, apiID, keep string) error {
	c := r.m.c.APIGW
	out, err := c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(apiID)})
	if err != nil {
		return fmt.Errorf("reading API Gateway v2 integrations (%s): %w", apiID, err)
	}
	for _, in := range out.Items {
		if in.IntegrationType == apitypes.IntegrationTypeAwsProxy && aws.ToString(in.IntegrationId) != keep {
			if _, err := c.DeleteIntegration(ctx, &apigatewayv2.DeleteIntegrationInput{ApiId: aws.String(apiID), IntegrationId: in.IntegrationId}); err != nil && !hasCode(err, "NotFoundException") {
				return fmt.Errorf("deleting API Gateway v2 integration (%s/%s): %w", apiID, aws.ToString(in.IntegrationId), err)
			}
		}
	}
	return nil
}

// functionPolicy returns the callback function's resource policy, or "".
func (r *run) functionPolicy(ctx context.Context) (string, error) {
	name := r.n.function(kindCallback)
	out, err := r.m.c.Lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(name)})
	if hasCode(err, "ResourceNotFoundException") {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading Lambda Function (%s) policy: %w", name, err)
	}
	return aws.ToString(out.Policy), nil
}

// readFunctionPolicy is functionPolicy read once per run, for the reads
// that check permissions (the writes read it again: it changes under them).
func (r *run) readFunctionPolicy(ctx context.Context) (string, error) {
	r.policyOnce.Do(func() { r.policy, r.policyErr = r.functionPolicy(ctx) })
	return r.policy, r.policyErr
}

// putPermission lets the API (and only this API) invoke the callback.
func (r *run) putPermission(ctx context.Context, replace bool, sourceARN string) error {
	c := r.m.c.Lambda
	name := r.n.function(kindCallback)
	if replace {
		if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(name), StatementId: aws.String(permissionID)}); err != nil && !hasCode(err, "ResourceNotFoundException") {
			return fmt.Errorf("removing Lambda Permission (%s/%s): %w", name, permissionID, err)
		}
	}
	var tries attempts
	_, err := c.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String(name),
		StatementId:  aws.String(permissionID),
		Action:       aws.String("lambda:InvokeFunction"),
		Principal:    aws.String("apigateway.amazonaws.com"),
		SourceArn:    aws.String(sourceARN),
	}, tries.lambda)
	if hasCode(err, "ResourceConflictException") && tries.mayHaveApplied() {
		return nil // an attempt whose answer was lost added it
	}
	return wrapf(err, "adding Lambda Permission (%s/%s)", name, permissionID)
}

// readAPI refreshes the API, its wiring and the invoke permission (5 calls).
func (r *run) readAPI(ctx context.Context) error {
	api, err := r.findAPI(ctx)
	if err != nil {
		return err
	}
	if api == nil {
		r.drifted(partAPI, apiDriftPrefix+"%s"+driftMissing, r.n.api())
		return nil
	}
	r.exists()
	id := aws.ToString(api.ApiId)
	r.setAPI(id, aws.ToString(api.ApiEndpoint))
	r.checkTags(partAPI, api.Tags)
	w, err := r.getAPIParts(ctx, id)
	if err != nil {
		return err
	}
	integrations, routes, stages, policy := w.integrations, w.routes, w.stages, w.policy
	integrationID := ""
	for _, in := range integrations {
		if in.IntegrationType == apitypes.IntegrationTypeAwsProxy {
			integrationID = aws.ToString(in.IntegrationId)
			want := r.a.function(kindCallback)
			r.deferCheck(func() {
				r.mu.Lock()
				fn := r.st.CallbackFunctionARN
				r.mu.Unlock()
				if fn != "" {
					want = fn
				}
				if aws.ToString(in.IntegrationUri) != want {
					r.drifted(partAPIWiring, "API Gateway v2 integration %s/%s: targets %s", id, integrationID, aws.ToString(in.IntegrationUri))
				}
			})
			break
		}
	}
	if integrationID == "" {
		r.drifted(partAPIWiring, "API Gateway v2 integration of %s: missing", id)
	}
	for _, rt := range r.unwantedRoutes(routes) {
		r.drifted(partAPIWiring, "API Gateway v2 route %s %q: not configured", id, aws.ToString(rt.RouteKey))
	}
	for _, key := range r.wantedRouteKeys() {
		found := false
		for _, rt := range routes {
			if aws.ToString(rt.RouteKey) == key {
				found = true
				if aws.ToString(rt.Target) != "integrations/"+integrationID {
					r.drifted(partAPIWiring, "API Gateway v2 route %s %q: target differs", id, key)
				}
			}
		}
		if !found {
			r.drifted(partAPIWiring, "API Gateway v2 route %s %q: missing", id, key)
		}
	}
	switch st := defaultStage(stages); {
	case st == nil:
		r.drifted(partAPIWiring, "API Gateway v2 stage %s/%s: missing", id, apiStageName)
	case stageDiffers(st):
		r.drifted(partAPIWiring, "API Gateway v2 stage %s/%s: auto-deploy or throttling differs", id, apiStageName)
	}
	if !hasPermission(policy, r.a.executeAPI(id)) {
		r.drifted(partAPIWiring, "Lambda permission %s/%s: missing", r.n.function(kindCallback), permissionID)
	}
	return nil
}

func (r *run) deleteAPI(ctx context.Context) error {
	api, err := r.findAPI(ctx)
	if err != nil || api == nil {
		return err
	}
	return r.deleteAPIByID(ctx, aws.ToString(api.ApiId))
}

func (r *run) deleteAPIByID(ctx context.Context, id string) error {
	_, err := r.m.c.APIGW.DeleteApi(ctx, &apigatewayv2.DeleteApiInput{ApiId: aws.String(id)})
	if err != nil && !hasCode(err, "NotFoundException") {
		return fmt.Errorf("deleting API Gateway v2 API (%s): %w", id, err)
	}
	return nil
}

// wrapf wraps err with a message, or returns nil.
func wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// apiParts is what hangs off the API: read together, in parallel.
type apiParts struct {
	integrations []apitypes.Integration
	routes       []apitypes.Route
	stages       []apitypes.Stage
	policy       string // the callback function's resource policy
}

func (r *run) getAPIParts(ctx context.Context, id string) (apiParts, error) {
	c := r.m.c.APIGW
	var w apiParts
	err := parallel(ctx,
		func(ctx context.Context) error {
			out, err := c.GetIntegrations(ctx, &apigatewayv2.GetIntegrationsInput{ApiId: aws.String(id)})
			if err == nil {
				w.integrations = out.Items
			}
			return wrapf(err, "reading API Gateway v2 integrations (%s)", id)
		},
		func(ctx context.Context) error {
			out, err := c.GetRoutes(ctx, &apigatewayv2.GetRoutesInput{ApiId: aws.String(id)})
			if err == nil {
				w.routes = out.Items
			}
			return wrapf(err, "reading API Gateway v2 routes (%s)", id)
		},
		func(ctx context.Context) error {
			out, err := c.GetStages(ctx, &apigatewayv2.GetStagesInput{ApiId: aws.String(id)})
			if err == nil {
				w.stages = out.Items
			}
			return wrapf(err, "reading API Gateway v2 stages (%s)", id)
		},
		func(ctx context.Context) error {
			var err error
			w.policy, err = r.readFunctionPolicy(ctx)
			return err
		},
	)
	return w, err
}
