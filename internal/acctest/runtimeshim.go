package acctest

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
)

// runtimeShim sits between a callback handler and kumo's Lambda Runtime API
// and makes kumo's API Gateway (payload format 2.0) behave like AWS's for
// cookies, the one place where the difference matters to the code under
// test (kumo-fidelity.md, section 4 APIGWv2):
//
//   - the event: AWS moves the request's Cookie header into the cookies
//     list; kumo leaves a Cookie header. The shim moves it.
//   - the response: AWS turns each entry of the response's cookies field
//     into a Set-Cookie header; kumo drops the field. The shim hands the
//     entries to kumo as Set-Cookie values of multiValueHeaders, which kumo
//     writes one header each (AWS's format 2.0 has no multiValueHeaders:
//     the handler itself never uses it).
//
// AWS API Gateway Developer Guide, "Create AWS Lambda proxy integrations for
// HTTP APIs in API Gateway": "Format 2.0 includes a new cookies field. All
// cookie headers in the request are combined with commas and added to the
// cookies field. In the response to the client, each cookie becomes a
// set-cookie header."
type runtimeShim struct {
	addr string // host:port to use as AWS_LAMBDA_RUNTIME_API's host
	srv  *http.Server
}

func startRuntimeShim(target string) (*runtimeShim, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: "http", Host: target}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.Method == http.MethodGet && strings.HasSuffix(resp.Request.URL.Path, "/invocation/next") && resp.StatusCode == http.StatusOK {
			return rewriteBody(resp.Header, &resp.Body, func(b []byte) []byte { return cookiesIntoEvent(b) }, func(n int) { resp.ContentLength = int64(n) })
		}
		return nil
	}
	director := rp.Director
	rp.Director = func(r *http.Request) {
		director(r)
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/response") {
			_ = rewriteBody(r.Header, &r.Body, cookiesIntoResponse, func(n int) { r.ContentLength = int64(n) })
		}
	}
	s := &runtimeShim{addr: ln.Addr().String(), srv: &http.Server{Handler: rp}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *runtimeShim) stop() { _ = s.srv.Close() }

func rewriteBody(h http.Header, body *io.ReadCloser, f func([]byte) []byte, setLen func(int)) error {
	if *body == nil {
		return nil
	}
	b, err := io.ReadAll(*body)
	_ = (*body).Close()
	if err != nil {
		return err
	}
	b = f(b)
	*body = io.NopCloser(bytes.NewReader(b))
	setLen(len(b))
	h.Set("Content-Length", strconv.Itoa(len(b)))
	return nil
}

// cookiesIntoEvent moves an API Gateway 2.0 event's Cookie header into its
// cookies list; anything else passes unchanged.
func cookiesIntoEvent(b []byte) []byte {
	var ev map[string]json.RawMessage
	if json.Unmarshal(b, &ev) != nil || string(ev["version"]) != `"2.0"` {
		return b
	}
	var headers map[string]string
	if json.Unmarshal(ev["headers"], &headers) != nil {
		return b
	}
	var cookies []string
	for k, v := range headers {
		if strings.EqualFold(k, "cookie") {
			for _, c := range strings.Split(v, ";") {
				if c = strings.TrimSpace(c); c != "" {
					cookies = append(cookies, c)
				}
			}
			delete(headers, k)
		}
	}
	if len(cookies) == 0 {
		return b
	}
	ev["headers"], _ = json.Marshal(headers)
	ev["cookies"], _ = json.Marshal(cookies)
	out, err := json.Marshal(ev)
	if err != nil {
		return b
	}
	return out
}

// cookiesIntoResponse turns a 2.0 response's cookies into Set-Cookie
// values kumo writes; anything else passes unchanged.
func cookiesIntoResponse(b []byte) []byte {
	var resp map[string]json.RawMessage
	if json.Unmarshal(b, &resp) != nil {
		return b
	}
	var cookies []string
	if json.Unmarshal(resp["cookies"], &cookies) != nil || len(cookies) == 0 {
		return b
	}
	multi := map[string][]string{}
	_ = json.Unmarshal(resp["multiValueHeaders"], &multi)
	multi["Set-Cookie"] = append(multi["Set-Cookie"], cookies...)
	resp["multiValueHeaders"], _ = json.Marshal(multi)
	delete(resp, "cookies")
	out, err := json.Marshal(resp)
	if err != nil {
		return b
	}
	return out
}
