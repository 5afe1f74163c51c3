package lambda

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// recorded is one request a fake HTTP server received.
type recorded struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// fakeServer is an httptest server (a stand-in for Slack or a webhook) that
// records requests and answers with reply (default: 200 {"ok":true}).
type fakeServer struct {
	*httptest.Server
	mu    sync.Mutex
	reqs  []recorded
	reply func(n int, r recorded) (status int, header map[string]string, body string)
}

func newFakeServer(t *testing.T, reply func(n int, r recorded) (int, map[string]string, string)) *fakeServer {
	f := &fakeServer{reply: reply}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		rec := recorded{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: string(b)}
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, rec)
		f.mu.Unlock()
		status, header, body := http.StatusOK, map[string]string(nil), `{"ok":true,"channel":"C0DEPLOY","ts":"1700000000.000100"}`
		if f.reply != nil {
			status, header, body = f.reply(n, rec)
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeServer) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}
