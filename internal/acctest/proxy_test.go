package acctest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProxy(t *testing.T) {
	t.Parallel()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = io.WriteString(w, `{"TableNames":["a"]}`)
	}))
	defer backend.Close()
	p, err := StartProxy(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Record(true)
	call := func() (int, string) {
		req, _ := http.NewRequest(http.MethodPost, p.URL, strings.NewReader(`{}`))
		req.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux app/callback")
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var seen []Call
	p.SetFault(func(c Call) *Fault {
		seen = append(seen, c)
		switch c.Seq {
		case 1:
			return &Fault{Status: 400, Code: "ThrottlingException", Msg: "Rate exceeded"}
		case 2:
			return &Fault{Latency: 50 * time.Millisecond, Rewrite: func(b []byte) []byte { return []byte(strings.ReplaceAll(string(b), `"a"`, `"b"`)) }}
		case 3:
			return &Fault{Drop: true}
		}
		return nil
	})
	if code, body := call(); code != 400 || !strings.Contains(body, "ThrottlingException") {
		t.Errorf("injected error: %d %s", code, body)
	}
	start := time.Now()
	if code, body := call(); code != 200 || body != `{"TableNames":["b"]}` || time.Since(start) < 50*time.Millisecond {
		t.Errorf("latency + rewrite: %d %s after %s", code, body, time.Since(start))
	}
	if code, _ := call(); code != 0 {
		t.Errorf("dropped connection answered %d", code)
	}
	if code, body := call(); code != 200 || body != `{"TableNames":["a"]}` {
		t.Errorf("forwarded: %d %s", code, body)
	}
	if len(seen) != 4 || seen[3].Op != "dynamodb:ListTables" || seen[3].N != 4 {
		t.Errorf("calls seen: %+v", seen)
	}
	if got := p.Counts()["dynamodb:ListTables"]; got != 4 {
		t.Errorf("count = %d, want 4", got)
	}
	if got := p.CountsBy("callback")["dynamodb:ListTables"]; got != 4 || len(p.CountsBy("")) != 0 || seen[0].App != "callback" {
		t.Errorf("counts of app callback = %d (other callers %v), want 4", got, p.CountsBy(""))
	}
	// Every call is kept with its timing, the delayed one ≥ its latency. The
	// proxy records a call's timing when its handler returns, which can be
	// just after the client has its answer: wait for the fourth record.
	tm := p.Timings()
	for deadline := time.Now().Add(10 * time.Second); len(tm) < 4 && time.Now().Before(deadline); tm = p.Timings() {
		time.Sleep(time.Millisecond)
	}
	if len(tm) != 4 || tm[0].App != "callback" || tm[0].Op != "dynamodb:ListTables" {
		t.Fatalf("timings: %+v", tm)
	}
	slow := false
	for _, c := range tm {
		slow = slow || c.Took >= 50*time.Millisecond
	}
	if !slow {
		t.Errorf("no call took the injected 50 ms: %+v", tm)
	}
	p.Reset()
	if len(p.CountsBy("callback")) != 0 {
		t.Error("Reset kept the counts by app")
	}
}
