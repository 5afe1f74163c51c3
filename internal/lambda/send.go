package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Retry policy of outgoing HTTP calls: up to maxAttempts, waiting
// retryBase·2ⁿ (capped at retryCap) or the server's Retry-After between
// attempts, and never waiting past the context's deadline.
const (
	maxAttempts = 5
	retryBase   = 250 * time.Millisecond
	retryCap    = 5 * time.Second
	// maxResponseBytes is how much of a response is read.
	maxResponseBytes = 64 << 10
)

// retryable marks an error worth another attempt, after at least after.
type retryable struct {
	err   error
	after time.Duration
}

// Error returns the underlying error's text.
func (r *retryable) Error() string { return r.err.Error() }

// Unwrap returns the underlying error.
func (r *retryable) Unwrap() error { return r.err }

// postJSON POSTs body to url with the given extra headers, retrying 429, 5xx
// and transport errors. check inspects a 2xx response body; it may return a
// *retryable. URLs never appear in the returned error (they can be secrets).
func (b *Base) postJSON(ctx context.Context, url string, body []byte, header http.Header, check func([]byte) error) error {
	var err error
	for attempt := 0; ; attempt++ {
		err = b.postOnce(ctx, url, body, header, check)
		var r *retryable
		if err == nil || !errors.As(err, &r) || attempt+1 == maxAttempts {
			return err
		}
		wait := max(r.after, min(retryBase<<attempt, retryCap))
		if dl, ok := ctx.Deadline(); ok && b.Now().Add(wait).After(dl) {
			return fmt.Errorf("%w (no time left to retry)", err)
		}
		if serr := b.Sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

func (b *Base) postOnce(ctx context.Context, url string, body []byte, header http.Header, check func([]byte) error) error {
	if err := checkOutboundURL(url, b.AllowLoopback); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return errors.New("invalid URL")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return redact(err)
		}
		return &retryable{err: redact(err)}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return &retryable{err: fmt.Errorf("HTTP %d", resp.StatusCode), after: retryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncateBytes(data, 200))
	case check != nil:
		return check(data)
	}
	return nil
}

// retryAfter parses a Retry-After header in seconds (Slack's form).
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}

func truncateBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// slackResponse is the common part of Slack Web API answers.
type slackResponse struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
}

// slackAPI calls Slack Web API method with a JSON body and the bot token.
// An answer with ok=false is an error; "ratelimited" is retried.
func (b *Base) slackAPI(ctx context.Context, token, method string, body []byte) (slackResponse, error) {
	var out slackResponse
	check := func(data []byte) error {
		out = slackResponse{}
		if err := json.Unmarshal(data, &out); err != nil {
			return fmt.Errorf("slack %s: malformed answer", method)
		}
		if out.OK {
			return nil
		}
		err := fmt.Errorf("slack %s: %s", method, out.Error)
		if out.Error == "ratelimited" {
			return &retryable{err: err}
		}
		return err
	}
	h := http.Header{"Authorization": {"Bearer " + token}}
	err := b.postJSON(ctx, b.Config.SlackAPIBaseURL+"/"+method, body, h, check)
	return out, err
}
