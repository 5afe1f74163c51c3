package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// Deadlines of the provider's AWS calls. Without them, an endpoint that
// accepts connections and never answers (a proxy, a firewall that drops
// packets, a hung local AWS) holds plan and apply for ever.
const (
	// callTimeout bounds one AWS call, its retries included: well inside
	// the 30 seconds a person waits for a plan before thinking it hung.
	callTimeout = 20 * time.Second
	// uploadCallTimeout bounds the calls that upload a function's code
	// (megabytes over a possibly slow link).
	uploadCallTimeout = 3 * time.Minute
	// answerTimeout bounds the wait for an answer once a request is sent,
	// per attempt; connectTimeout the TCP connect and the TLS handshake.
	answerTimeout  = 15 * time.Second
	connectTimeout = 5 * time.Second
)

// unusedSFNEndpoint is the endpoints attribute kept, deprecated, for
// configurations written when the provider offered it.
var unusedSFNEndpoint = struct{ Attr string }{"sfn"}

// newHTTPClient is the SDK's client with connect, handshake and answer
// deadlines per attempt.
func newHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = connectTimeout }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = connectTimeout
			t.ResponseHeaderTimeout = answerTimeout
		})
}

// addCallDeadline gives every call of every client a deadline, retries
// included, and when it passes says so, naming the endpoint that did not
// answer.
func addCallDeadline(s *middleware.Stack) error {
	if err := s.Initialize.Add(middleware.InitializeMiddlewareFunc("ManualApprovalCallDeadline",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			op := awsmiddleware.GetOperationName(ctx)
			timeout := callTimeout
			if op == "CreateFunction" || op == "UpdateFunctionCode" {
				timeout = uploadCallTimeout
			}
			ep := &calledEndpoint{}
			cctx, cancel := context.WithTimeout(context.WithValue(ctx, calledEndpointKey{}, ep), timeout)
			defer cancel()
			out, md, err := next.HandleInitialize(cctx, in)
			if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("%s %s: no answer from %s within %s; check that the endpoint is reachable and answers "+
					"(the provider's endpoints, AWS_ENDPOINT_URL*, a proxy): %w", awsmiddleware.GetServiceID(ctx), op, ep.get(), timeout, err)
			}
			return out, md, err
		}), middleware.After); err != nil {
		return err
	}
	return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("ManualApprovalCalledEndpoint",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
				if ep, ok := ctx.Value(calledEndpointKey{}).(*calledEndpoint); ok {
					ep.set(req.URL.Scheme + "://" + req.URL.Host)
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

// calledEndpoint is the endpoint a call was sent to, for its error.
type calledEndpoint struct {
	mu  sync.Mutex
	url string
}

type calledEndpointKey struct{}

func (e *calledEndpoint) set(u string) { e.mu.Lock(); e.url = u; e.mu.Unlock() }

func (e *calledEndpoint) get() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.url == "" {
		return "the endpoint"
	}
	return e.url
}

// accountWithoutValidation finds the account id when the credentials are
// not validated: account_id if set, else STS GetCallerIdentity, whose
// failure is then no error. It returns "" when neither says, and the
// partition (from the caller's ARN when STS answered).
func accountWithoutValidation(ctx context.Context, cfg aws.Config, accountID, partition string) (string, string) {
	if accountID != "" {
		return accountID, partition
	}
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = 1 }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		tflog.Warn(ctx, "skip_credentials_validation: STS GetCallerIdentity failed, so the account id is unknown", map[string]any{"error": err.Error()})
		return "", partition
	}
	if a, err := arn.Parse(aws.ToString(out.Arn)); err == nil && a.Partition != "" {
		partition = a.Partition
	}
	return aws.ToString(out.Account), partition
}

// refuseUnknownAccount fails the plan of a gate when the provider does not
// know the account id: the gate's IAM policies name its own resources by
// ARN, so an apply would fail after the plan promised it would work.
func refuseUnknownAccount(data *providerData, diags *diag.Diagnostics) bool {
	if data == nil || data.ConfigUnknown || data.Manager == nil || data.AccountID != "" {
		return false
	}
	diags.AddError("Unknown AWS Account ID",
		"The provider does not know the AWS account id, which the gate's IAM policies need to name the gate's own resources: "+
			"skip_credentials_validation is true and STS GetCallerIdentity did not answer. Set account_id in the provider "+
			"configuration, or make the STS endpoint reachable (endpoints.sts, AWS_ENDPOINT_URL_STS), or remove "+
			"skip_credentials_validation.")
	return true
}
