package lambda

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// Slack gives an interactivity request three seconds and never retries it.
// A decision can take longer (a slow or throttled Step Functions: one
// delivery has sfnCallTimeout), so the callback acknowledges the click at
// once and finishes it after the answer: it verifies Slack's signature,
// then invokes itself asynchronously (lambda:InvokeFunction on its own
// function only, InvocationType Event) with a slackJob, and answers 200.
// The job has its own deadline (slackJobBudget) and updates the message or
// tells the clicker through the Web API, as before.
//
// A job is authenticated: lambda:InvokeFunction on the callback must not be
// enough to forge a Slack click. It carries an HMAC-SHA256, under the
// gate's link-signing key (which only the callback reads), of the time the
// click was received and Slack's body; a job whose MAC fails, or which is
// older than slackJobMaxAge (an async event can wait in Lambda's queue for
// hours), is dropped.

const (
	jobSlack = "slack-interaction"
	// slackJobBudget bounds the work of one job: a delivery and the Slack
	// calls after it (the function's timeout is 15 s).
	slackJobBudget = sfnCallTimeout + 3*time.Second
	// slackJobMaxAge is how old a job may be when it runs.
	slackJobMaxAge = 5 * time.Minute
	// enqueueTimeout bounds the hand-over, so a failed one still leaves time
	// to decide within Slack's three seconds.
	enqueueTimeout = 700 * time.Millisecond
)

// slackJob is a verified Slack interaction handed to the async invocation.
type slackJob struct {
	Kind       string `json:"manualapproval"`
	Body       string `json:"body"`        // Slack's form body, as received
	ReceivedAt int64  `json:"received_at"` // unix milliseconds
	MAC        string `json:"mac"`
}

func slackJobMAC(key []byte, receivedAt int64, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("manualapproval slack job\n" + strconv.FormatInt(receivedAt, 10) + "\n" + body))
	return hex.EncodeToString(m.Sum(nil))
}

// invokeAsync queues payload for function (InvocationType Event: Lambda
// answers once the event is queued), waiting at most timeout.
func (c *Callback) invokeAsync(ctx context.Context, function string, timeout time.Duration, payload []byte) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := c.Lambda.Invoke(ctx, &awslambda.InvokeInput{
		FunctionName: aws.String(function), InvocationType: lambdatypes.InvocationTypeEvent, Payload: payload,
	})
	return err
}

// enqueueSlack hands the verified interaction body to an asynchronous
// invocation of this function. It reports whether the hand-over succeeded.
func (c *Callback) enqueueSlack(ctx context.Context, sec *Secrets, body []byte) bool {
	if c.Lambda == nil || c.FunctionName == "" {
		return false
	}
	at := c.Now().UnixMilli()
	job, err := json.Marshal(slackJob{Kind: jobSlack, Body: string(body), ReceivedAt: at, MAC: slackJobMAC(sec.SigningKey, at, string(body))})
	if err != nil {
		return false
	}
	if err := c.invokeAsync(ctx, c.FunctionName, enqueueTimeout, job); err != nil {
		c.Log.Warn("slack hand-over failed; deciding within the request", "error", err.Error())
		return false
	}
	return true
}

// runSlackJob finishes a Slack interaction after its acknowledgement.
func (c *Callback) runSlackJob(ctx context.Context, raw []byte) {
	ctx, cancel := context.WithTimeout(ctx, slackJobBudget)
	defer cancel()
	var job slackJob
	if err := json.Unmarshal(raw, &job); err != nil {
		c.Log.Warn("slack job refused", "reason", "malformed")
		return
	}
	sec, err := c.loadSecrets(ctx)
	if err != nil {
		c.Log.Error("secrets", "error", err.Error())
		return
	}
	if !hmac.Equal([]byte(job.MAC), []byte(slackJobMAC(sec.SigningKey, job.ReceivedAt, job.Body))) {
		c.Log.Warn("slack job refused", "reason", "bad mac")
		return
	}
	age := c.Now().Sub(time.UnixMilli(job.ReceivedAt))
	if age > slackJobMaxAge || age < -time.Minute {
		c.Log.Warn("slack job refused", "reason", "too old", "age_ms", age.Milliseconds())
		return
	}
	act, err := approval.ParseInteraction([]byte(job.Body))
	if err != nil {
		c.Log.Warn("slack job refused", "reason", "not a decision")
		return
	}
	start := c.Now()
	c.slackDecide(ctx, sec, act)
	c.Log.Info("slack job", "request_id", act.RequestID, "queued_ms", start.Sub(time.UnixMilli(job.ReceivedAt)).Milliseconds(),
		"duration_ms", c.Now().Sub(start).Milliseconds())
}
