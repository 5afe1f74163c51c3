package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The default timeouts of the gate's operations, as in hashicorp/aws's
// `timeouts` block. They bound every wait of the operation: for a function
// to become Active, for the table and its index to be built (AWS backfills
// a new index on an existing table: minutes on a large one), for IAM to
// propagate.
const (
	defaultCreateTimeout = 30 * time.Minute
	defaultUpdateTimeout = 30 * time.Minute
	defaultDeleteTimeout = 20 * time.Minute
)

// timeoutsBlock is the `timeouts { create, update, delete }` block.
func timeoutsBlock(ctx context.Context) schema.Block {
	b := timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true, Delete: true})
	nb, ok := b.(schema.SingleNestedBlock)
	if ok {
		nb.MarkdownDescription = fmt.Sprintf("How long each operation may take, as a duration such as `\"45m\"` or `\"1h\"`: "+
			"`create` (default %s), `update` (default %s), `delete` (default %s). Every wait of the operation (functions becoming "+
			"active, the table's index being built, IAM propagation) ends with it.",
			fmtDuration(defaultCreateTimeout), fmtDuration(defaultUpdateTimeout), fmtDuration(defaultDeleteTimeout))
		return nb
	}
	return b
}

func fmtDuration(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

// nullTimeouts is the value of a gate without a timeouts block (import,
// a model built from AWS).
func nullTimeouts() timeouts.Value {
	return timeouts.Value{Object: types.ObjectNull(map[string]attr.Type{
		"create": types.StringType, "update": types.StringType, "delete": types.StringType,
	})}
}

// withTimeout bounds ctx by the operation's timeout from the block (or its
// default).
func withTimeout(ctx context.Context, tv timeouts.Value, op string) (context.Context, context.CancelFunc, time.Duration, diag.Diagnostics) {
	var (
		d     time.Duration
		diags diag.Diagnostics
	)
	switch op {
	case "create":
		d, diags = tv.Create(ctx, defaultCreateTimeout)
	case "update":
		d, diags = tv.Update(ctx, defaultUpdateTimeout)
	default:
		d, diags = tv.Delete(ctx, defaultDeleteTimeout)
	}
	c, cancel := context.WithTimeout(ctx, d)
	return c, cancel, d, diags
}

// timeoutHint explains an operation that ran out of its time.
func timeoutHint(ctx context.Context, err error, op string, d time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("The %s did not finish within its timeout (%s). AWS may still be working (a large table's index "+
			"is built in the background): apply again, or raise it with `timeouts { %s = \"1h\" }`.\n\n", op, d, op)
	}
	return ""
}
