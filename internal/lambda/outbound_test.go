package lambda

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST.": true, "api.localhost": true, "127.0.0.1": true, "127.9.9.9": true, "::1": true, "[::1]": true,
		"::ffff:127.0.0.1": true, "hooks.slack.com": false, "10.0.0.1": false, "169.254.169.254": false, "localhost.example.com": false,
	} {
		if got := isLoopback(host); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestNotifier_loopbackRefused: without the test-only switch, the notifier
// posts nothing to a loopback address (inside Lambda, 127.0.0.1:9001 is the
// Runtime API), whether the URL names it or a name resolves to it (the
// dialer's check, exercised here with the default client).
func TestNotifier_loopbackRefused(t *testing.T) {
	t.Parallel()
	h := newNotifier(t, approval.SlackFormatBlocks, nil, nil, nil)
	h.n.AllowLoopback = false
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err) // SNS still delivers
	}
	if len(h.slack.requests()) != 0 || len(h.hook.requests()) != 0 || len(res.Failed) != 2 || !strings.Contains(res.Failed[0], "loopback") {
		t.Errorf("posted to loopback: %d Slack, %d webhook requests; failed %v", len(h.slack.requests()), len(h.hook.requests()), res.Failed)
	}

	// The dialer refuses a loopback address that reached it by another name.
	srv := newFakeServer(t, nil)
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	resp, err := newHTTPClient(false).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	if !errors.Is(err, errLoopback) {
		t.Errorf("default client dialled loopback: %v", err)
	}
	if len(srv.requests()) != 0 {
		t.Error("the loopback server was reached")
	}
	if resp, err = newHTTPClient(true).Do(req); err != nil {
		t.Errorf("with the test switch: %v", err)
	} else {
		resp.Body.Close()
	}
}

// TestNotifier_noRedirects: a webhook (or Slack) URL that answers with a
// redirect does not make the notifier re-post the links elsewhere.
func TestNotifier_noRedirects(t *testing.T) {
	t.Parallel()
	elsewhere := newFakeServer(t, nil)
	redirect := func(int, recorded) (int, map[string]string, string) {
		return http.StatusTemporaryRedirect, map[string]string{"Location": elsewhere.URL + "/collect"}, ""
	}
	h := newNotifier(t, approval.SlackFormatBlocks, redirect, redirect, nil)
	res, err := h.n.Handle(context.Background(), payload(t, basicPayload()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(elsewhere.requests()); n != 0 {
		t.Errorf("followed the redirect: %d requests elsewhere", n)
	}
	if len(res.Failed) != 2 || !strings.Contains(strings.Join(res.Failed, " "), "HTTP 307") {
		t.Errorf("failed %v", res.Failed)
	}
}

// TestNotifier_webhookRetryKeepsDelivery: a retried webhook delivery keeps
// its delivery id and timestamp, so a receiver can drop the duplicate.
func TestNotifier_webhookRetryKeepsDelivery(t *testing.T) {
	t.Parallel()
	flaky := func(n int, _ recorded) (int, map[string]string, string) {
		if n == 0 {
			return http.StatusBadGateway, nil, ""
		}
		return http.StatusOK, nil, "ok"
	}
	h := newNotifier(t, approval.SlackFormatNone, nil, flaky, nil)
	if _, err := h.n.Handle(context.Background(), payload(t, basicPayload())); err != nil {
		t.Fatal(err)
	}
	hk := h.hook.requests()
	if len(hk) != 2 {
		t.Fatalf("%d webhook requests", len(hk))
	}
	for _, k := range []string{approval.WebhookDeliveryHeader, approval.WebhookTimestampHeader, approval.WebhookSignatureHeader} {
		if a, b := hk[0].Header.Get(k), hk[1].Header.Get(k); a == "" || a != b {
			t.Errorf("%s: %q then %q", k, a, b)
		}
	}
}
