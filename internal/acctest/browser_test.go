package acctest

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// needChromium skips a test when Chromium is missing, except in CI, where
// a missing browser is a failure.
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := ChromiumPath(); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("skipping (CI unset): %v", err)
		}
		t.Fatal(err)
	}
}

// The stand-in callback pages mirror internal/lambda/page.html.tmpl: a form
// without action (it posts to the link itself) with the fields name and
// comment and one submit button, under the same Content-Security-Policy.
var (
	confirmPage = template.Must(template.New("c").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Approve this request?</title></head>
<body><main><h1>Approve this request?</h1><div class="card"><h2>Deploy web</h2><p>{{.}}</p></div>
<form method="post" class="card">
<label for="name">Your name (optional)</label><input id="name" name="name" maxlength="80">
<label for="comment">Comment (optional)</label><textarea id="comment" name="comment" rows="3"></textarea>
<button type="submit">Approve</button>
</form></main></body></html>`))
	resultPage = template.Must(template.New("r").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Approved</title></head>
<body><main><h1>Approved</h1><p class="note">Approved by {{.Name}} ({{.Decision}}): {{.Comment}}. The workflow has been told. Thank you.</p></main></body></html>`))
	expiredPage = `<!doctype html><html><head><title>Link expired</title></head><body><main><h1>Link expired</h1><p class="error">This approval link has expired.</p></main></body></html>`
)

type posted struct {
	host, path, query, name, comment string
}

func startPages(t *testing.T) (string, func() []posted) {
	t.Helper()
	var mu sync.Mutex
	var got []posted
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/r/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.PathValue("id") == "expired" {
			w.WriteHeader(http.StatusGone)
			_, _ = w.Write([]byte(expiredPage))
			return
		}
		var b bytes.Buffer
		switch r.Method {
		case http.MethodGet:
			_ = confirmPage.Execute(&b, "Host "+r.Host)
		case http.MethodPost:
			if err := r.ParseForm(); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			p := posted{host: r.Host, path: r.URL.Path, query: r.URL.RawQuery, name: r.PostForm.Get("name"), comment: r.PostForm.Get("comment")}
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
			_ = resultPage.Execute(&b, map[string]string{"Name": p.name, "Comment": p.comment, "Decision": r.URL.Query().Get("d")})
		}
		_, _ = w.Write(b.Bytes())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, func() []posted {
		mu.Lock()
		defer mu.Unlock()
		return append([]posted(nil), got...)
	}
}

func TestDecideInBrowser(t *testing.T) {
	needChromium(t)
	port, got := startPages(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	host := "test.execute-api.localhost:" + port
	comment := `Looks good <b>"ok"</b> & ünïcode`
	res, err := DecideInBrowser(ctx, fmt.Sprintf("http://%s/r/x?d=approve", host), comment, "Ada Lovelace")
	if err != nil {
		t.Fatal(err)
	}
	posts := got()
	if len(posts) != 1 {
		t.Fatalf("%d form posts, want 1", len(posts))
	}
	want := posted{host: host, path: "/r/x", query: "d=approve", name: "Ada Lovelace", comment: comment}
	if posts[0] != want {
		t.Errorf("posted %+v\nwant   %+v", posts[0], want)
	}
	if res.ConfirmTitle != "Approve this request?" || res.ConfirmHeading != "Approve this request?" || res.ConfirmStatus != http.StatusOK ||
		!strings.Contains(res.ConfirmText, "Deploy web") || !strings.Contains(res.ConfirmText, "Host "+host) {
		t.Errorf("confirm page: %+v", res)
	}
	wantText := "Approved by Ada Lovelace (approve): " + comment + ". The workflow has been told."
	if res.ResultHeading != "Approved" || res.ResultStatus != http.StatusOK || !strings.Contains(res.ResultText, wantText) {
		t.Errorf("result page: heading %q, status %d, text %q; want text containing %q", res.ResultHeading, res.ResultStatus, res.ResultText, wantText)
	}
	if !bytes.HasPrefix(res.Screenshot, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("the screenshot is not a PNG (%d bytes)", len(res.Screenshot))
	}
}

func TestDecideInBrowserWithoutForm(t *testing.T) {
	needChromium(t)
	port, got := startPages(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()

	res, err := DecideInBrowser(ctx, "http://test.execute-api.localhost:"+port+"/r/expired?d=reject", "no", "")
	if err == nil || !strings.Contains(err.Error(), "no decision form") {
		t.Fatalf("err = %v", err)
	}
	if res.ConfirmStatus != http.StatusGone || res.ConfirmHeading != "Link expired" || !strings.Contains(res.ConfirmText, "has expired") {
		t.Errorf("confirm page: %+v", res)
	}
	if n := len(got()); n != 0 {
		t.Errorf("%d form posts, want none", n)
	}
}

func TestChromiumPath(t *testing.T) {
	t.Setenv("CHROMIUM", "/nonexistent/chromium")
	if _, err := ChromiumPath(); err == nil || !strings.Contains(err.Error(), "CHROMIUM") {
		t.Errorf("err = %v", err)
	}
	t.Setenv("CHROMIUM", "")
	p, err := ChromiumPath()
	if err != nil && !strings.Contains(err.Error(), "Debian package chromium") {
		t.Errorf("err = %v", err)
	}
	if err == nil && p != DefaultChromium {
		t.Errorf("path %q", p)
	}
}
