package acctest

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRuntimeShim_cookies(t *testing.T) {
	t.Parallel()
	ev := cookiesIntoEvent([]byte(`{"version":"2.0","headers":{"Cookie":"a=1; b=2","X":"y"},"rawPath":"/r/x"}`))
	var got struct {
		Headers map[string]string `json:"headers"`
		Cookies []string          `json:"cookies"`
		RawPath string            `json:"rawPath"`
	}
	if err := json.Unmarshal(ev, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a=1", "b=2"}, got.Cookies); diff != "" || got.Headers["Cookie"] != "" || got.Headers["X"] != "y" || got.RawPath != "/r/x" {
		t.Fatalf("event = %s (%s)", ev, diff)
	}
	if out := cookiesIntoEvent([]byte(`{"raw":1}`)); string(out) != `{"raw":1}` {
		t.Fatalf("a non-HTTP event changed: %s", out)
	}
	resp := cookiesIntoResponse([]byte(`{"statusCode":302,"headers":{"Location":"/x"},"multiValueHeaders":null,"cookies":["s=1; Path=/r; HttpOnly","l=; Max-Age=0"]}`))
	var r struct {
		Multi   map[string][]string `json:"multiValueHeaders"`
		Cookies []string            `json:"cookies"`
		Headers map[string]string   `json:"headers"`
	}
	if err := json.Unmarshal(resp, &r); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"s=1; Path=/r; HttpOnly", "l=; Max-Age=0"}, r.Multi["Set-Cookie"]); diff != "" || r.Cookies != nil || r.Headers["Location"] != "/x" {
		t.Fatalf("response = %s (%s)", resp, diff)
	}
	if out := cookiesIntoResponse([]byte(`{"statusCode":200}`)); string(out) != `{"statusCode":200}` {
		t.Fatalf("a response without cookies changed: %s", out)
	}
}
