package acctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
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
// The AWS API Gateway Developer Guide ("Create AWS Lambda proxy integrations
// for HTTP APIs in API Gateway", payload format differences) documents both:
// format 2.0 has a cookies field that carries the request's Cookie headers,
// and each entry of a response's cookies becomes one Set-Cookie header.
type runtimeShim struct {
	addr string // host:port to use as AWS_LAMBDA_RUNTIME_API's host
	srv  *http.Server
}

func startRuntimeShim(target string) (*runtimeShim, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	client := &http.Client{} // no timeout: GET .../next long-polls
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		in, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/response") {
			in = cookiesIntoResponse(in)
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+target+r.URL.RequestURI(), bytes.NewReader(in))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range r.Header {
			if k != "Trailer" && k != "Content-Length" && k != "Transfer-Encoding" {
				out.Header[k] = v
			}
		}
		resp, err := client.Do(out)
		if err != nil {
			if r.Context().Err() == nil {
				fmt.Fprintf(os.Stderr, "runtime shim: %s %s: %v\n", r.Method, r.URL.Path, err)
			}
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/invocation/next") && resp.StatusCode == http.StatusOK {
			b = cookiesIntoEvent(b)
		}
		for k, v := range resp.Header {
			if k != "Content-Length" && k != "Transfer-Encoding" {
				w.Header()[k] = v
			}
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(b)
	})
	s := &runtimeShim{addr: ln.Addr().String(), srv: &http.Server{Handler: h}}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *runtimeShim) stop() { _ = s.srv.Close() }

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
	var multi map[string][]string
	_ = json.Unmarshal(resp["multiValueHeaders"], &multi) // may be null
	if multi == nil {
		multi = map[string][]string{}
	}
	multi["Set-Cookie"] = append(multi["Set-Cookie"], cookies...)
	resp["multiValueHeaders"], _ = json.Marshal(multi)
	delete(resp, "cookies")
	out, err := json.Marshal(resp)
	if err != nil {
		return b
	}
	return out
}
