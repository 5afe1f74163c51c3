package lambda

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda/messages"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Function errors: what Step Functions sees as the error name of a failed
// notifier invocation, so a Task state can Retry and Catch it.
//
// aws-lambda-go reports a returned error's Go type name as the errorType
// ("errorString", "wrapError") unless the error IS a
// messages.InvokeResponse_Error value, which it sends as it is
// (lambdaErrorResponse in aws-lambda-go/lambda/errors.go, since v1.20.0:
// aws/aws-lambda-go pull request 312). Its check is a plain type assertion,
// not errors.As: the handler must return the value itself, unwrapped, which
// is what functionError builds.

// notifyFailed marks an error as ErrorNotifyFailed (retryable).
func notifyFailed(err error) error { return &typedError{typ: approval.ErrorNotifyFailed, err: err} }

// invalidRequest marks an error as ErrorInvalidRequest (not retryable).
func invalidRequest(err error) error { return &typedError{typ: approval.ErrorInvalidRequest, err: err} }

// typedError is an error with the function error name it reports.
type typedError struct {
	typ string
	err error
}

func (e *typedError) Error() string { return e.err.Error() }
func (e *typedError) Unwrap() error { return e.err }

// ErrorType returns the function error name err reports: the name a
// notifyFailed or invalidRequest error carries, else ErrorNotifyFailed (an
// unclassified failure is treated as one that may pass).
func ErrorType(err error) string {
	var te *typedError
	if errors.As(err, &te) {
		return te.typ
	}
	return approval.ErrorNotifyFailed
}

// functionError is err as aws-lambda-go must receive it to report
// ErrorType(err) as the invocation's errorType.
func functionError(err error) error {
	if err == nil {
		return nil
	}
	return messages.InvokeResponse_Error{Type: ErrorType(err), Message: err.Error()}
}
