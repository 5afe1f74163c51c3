package lambda

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// RequestItem is r's table item exactly as the handlers write it (toItem):
// the benchmark writes many pending requests straight into a gate's table
// with it, shaped as the notifier's.
func RequestItem(r approval.Request) map[string]types.AttributeValue { return toItem(r) }
