package gate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"
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

// isIAMPropagation reports AWS's "role not assumable yet" error on
// CreateFunction/UpdateFunctionConfiguration right after the role was made.
func isIAMPropagation(err error) bool {
	return hasCode(err, "InvalidParameterValueException") &&
		strings.Contains(err.Error(), "cannot be assumed by Lambda")
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
