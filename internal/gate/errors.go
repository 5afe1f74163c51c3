package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/apigatewayv2"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrNotFound is returned (wrapped) by Import when no part of a gate exists.
var ErrNotFound = errors.New("not found")

// Eventual consistency bounds.
const (
	// iamPropagationTimeout bounds the retries of CreateFunction while a new
	// role is not yet assumable by Lambda.
	iamPropagationTimeout = 2 * time.Minute
	// functionUpdateTimeout bounds the wait for a function to be Active or
	// for an update in progress to finish.
	functionUpdateTimeout = 5 * time.Minute
	// retryFirstDelay is the first pause of a bounded retry; it doubles up to retryMaxDelay.
	retryFirstDelay = 250 * time.Millisecond
	retryMaxDelay   = 5 * time.Second
)

// waitBudget is how long a wait may take: until ctx's deadline when it has
// one (the provider sets it from the resource's `timeouts`, so the user's
// timeout bounds every wait), else def.
func waitBudget(ctx context.Context, def time.Duration) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), time.Millisecond)
	}
	return def
}

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func hasCode(err error, codes ...string) bool {
	c := errorCode(err)
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// iamPropagationMessages are the InvalidParameterValueException messages
// Lambda gives while a new role, or its inline policy, has not reached every
// part of AWS: the role cannot be assumed yet, its permissions are not seen
// yet, or Lambda cannot make the KMS grant for the environment variables
// because the role is not yet a valid grantee. terraform-provider-aws retries
// CreateFunction and UpdateFunctionConfiguration on the same three texts
// (hashicorp/terraform-provider-aws, internal/service/lambda/function.go,
// retryFunctionOp).
var iamPropagationMessages = []string{
	"The role defined for the function cannot be assumed by Lambda",
	"The provided execution role does not have permissions",
	"Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant",
}

// isIAMPropagation reports Lambda's errors on CreateFunction and
// UpdateFunctionConfiguration while a role made just before has not
// propagated (iamPropagationMessages).
func isIAMPropagation(err error) bool {
	if !hasCode(err, "InvalidParameterValueException") {
		return false
	}
	for _, m := range iamPropagationMessages {
		if strings.Contains(err.Error(), m) {
			return true
		}
	}
	return false
}

// isUpdateInProgress reports Lambda's conflict while a previous update of
// the function has not finished.
func isUpdateInProgress(err error) bool {
	return hasCode(err, "ResourceConflictException") &&
		(strings.Contains(err.Error(), "in progress") || strings.Contains(err.Error(), "cannot be performed at this time"))
}

// retryOn calls f until it succeeds, fails with an error retryable does not
// accept, or timeout passes. It waits with capped doubling between tries and
// honours ctx.
func retryOn(ctx context.Context, timeout time.Duration, retryable func(error) bool, f func() error) error {
	timeout = min(timeout, waitBudget(ctx, timeout)) // never past the operation's timeout
	deadline := time.Now().Add(timeout)
	delay := retryFirstDelay
	for {
		err := f()
		if err == nil || !retryable(err) {
			return err
		}
		if time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("still failing after %s: %w", timeout, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
		delay = min(delay*2, retryMaxDelay)
	}
}

// attempts watches the attempts the SDK's retryer makes for one call. AWS
// can apply a call and still fail to answer it (a 5xx after the commit, a
// connection lost on the way back); the retryer then repeats a create that
// already took effect, and the repeat fails with "already exists", or, where
// names need not be unique, makes a second copy. When an attempt ended
// without a definite answer, such a result is the call's own doing: the
// part is the gate's and must be adopted (and rolled back), not reported
// as someone else's.
type attempts struct{ unsure atomic.Bool }

// mayHaveApplied reports whether an attempt of the call ended without a
// definite answer, so that the call may have taken effect.
func (a *attempts) mayHaveApplied() bool { return a.unsure.Load() }

// add is a per-call API option: it watches each attempt, inside the retry loop.
func (a *attempts) add(s *middleware.Stack) error {
	return s.Finalize.Insert(middleware.FinalizeMiddlewareFunc("ManualApprovalAttempts",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(ctx, in)
			if err != nil && outcomeUnknown(err) {
				a.unsure.Store(true)
			}
			return out, md, err
		}), "Retry", middleware.After)
}

// outcomeUnknown reports whether a failed attempt may have been applied:
// a 5xx answer, a 2xx answer that could not be read, or no answer at all. A
// 4xx answer (throttling included) means the call was refused.
func outcomeUnknown(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode() >= 500 || re.HTTPStatusCode() < 300
	}
	var se *smithy.SerializationError
	return !errors.As(err, &se)
}

func (a *attempts) iam(o *iam.Options)       { o.APIOptions = append(o.APIOptions, a.add) }
func (a *attempts) lambda(o *lambda.Options) { o.APIOptions = append(o.APIOptions, a.add) }
func (a *attempts) apigw(o *apigatewayv2.Options) {
	o.APIOptions = append(o.APIOptions, a.add)
}
func (a *attempts) dynamodb(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, a.add) }
func (a *attempts) ssm(o *ssm.Options)           { o.APIOptions = append(o.APIOptions, a.add) }
func (a *attempts) logs(o *cloudwatchlogs.Options) {
	o.APIOptions = append(o.APIOptions, a.add)
}
