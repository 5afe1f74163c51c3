package lambda

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// countingDB counts the DynamoDB calls of the handler under test.
type countingDB struct {
	DynamoDB
	n atomic.Int64
}

func (c *countingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.n.Add(1)
	return c.DynamoDB.PutItem(ctx, in, o...)
}

func (c *countingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.n.Add(1)
	return c.DynamoDB.GetItem(ctx, in, o...)
}

func (c *countingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.n.Add(1)
	return c.DynamoDB.UpdateItem(ctx, in, o...)
}

// TestCallback_floodCostsNoAWSCalls: a flood of junk requests (unknown
// paths, wrong methods, forged, expired or truncated links, forged or stale
// Slack requests, oversized bodies) is refused before any AWS call: no
// DynamoDB read, no Step Functions call, and the gate's secrets read once
// for the process, not once a request. Such a flood costs the API's
// throttling budget (the stage limits it, apart from the Slack route), never
// DynamoDB or Step Functions capacity.
func TestCallback_floodCostsNoAWSCalls(t *testing.T) {
	t.Parallel()
	h := newCallback(t, nil)
	db := &countingDB{DynamoDB: h.db}
	h.cb.DB = db
	id := reqID(1)
	r := pendingRequest(id)
	h.db.put(r)
	good := h.linkQuery(r, "approve")
	big := strings.Repeat("x", 2<<20)
	junk := []func() events.APIGatewayV2HTTPRequest{
		func() events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/", "", "", nil) },
		func() events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/wp-login.php", "", "", nil) },
		func() events.APIGatewayV2HTTPRequest { return httpEvent("DELETE", "/r/"+id, good, "", nil) },
		func() events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/r/"+id, "", "", nil) },
		func() events.APIGatewayV2HTTPRequest {
			return httpEvent("GET", "/r/"+id, "d=approve&exp=1&sig=AAAA", "", nil)
		},
		func() events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/r/"+id, good[:len(good)-3], "", nil) },
		func() events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/r/"+reqID(2), good, "", nil) },
		func() events.APIGatewayV2HTTPRequest {
			return httpEvent("POST", "/r/"+id, strings.Replace(good, "approve", "reject", 1), "", nil)
		},
		func() events.APIGatewayV2HTTPRequest { return httpEvent("POST", "/r/"+id, good, big, nil) },
		func() events.APIGatewayV2HTTPRequest { return httpEvent("GET", "/slack/interactions", "", "", nil) },
		func() events.APIGatewayV2HTTPRequest {
			return httpEvent("POST", "/slack/interactions", "", "payload=%7B%7D", nil)
		},
		func() events.APIGatewayV2HTTPRequest { return httpEvent("POST", "/slack/interactions", "", big, nil) },
		func() events.APIGatewayV2HTTPRequest {
			ev := h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now, nil)
			ev.Body += "&forged=1"
			return ev
		},
		func() events.APIGatewayV2HTTPRequest {
			return h.slackEvent(blockActionsPayload("UBOB", "bob", "approve", id), h.now.Add(-SlackSkewForTest-time.Minute), nil)
		},
	}
	for range 20 {
		for i, req := range junk {
			if resp := h.do(req()); resp.StatusCode < 400 {
				t.Fatalf("junk request %d accepted: %d", i, resp.StatusCode)
			}
		}
	}
	if n := db.n.Load(); n != 0 {
		t.Errorf("junk requests made %d DynamoDB calls, want 0", n)
	}
	if n := len(h.sfn.Calls()); n != 0 {
		t.Errorf("junk requests made %d Step Functions calls, want 0", n)
	}
	h.ssm.mu.Lock()
	defer h.ssm.mu.Unlock()
	if h.ssm.calls > 1 {
		t.Errorf("junk requests made %d SSM calls, want at most 1 (secrets are read once per process)", h.ssm.calls)
	}
}
