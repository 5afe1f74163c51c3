package lambda

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
)

// MaxBodyBytes is the largest request body the callback accepts.
const MaxBodyBytes = 64 << 10

var errBodyTooLarge = errors.New("request body too large")

// header looks name up case-insensitively (API Gateway lower-cases header
// names; emulators may not).
func header(req events.APIGatewayV2HTTPRequest, name string) string {
	if v, ok := req.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// body returns the raw request body, base64-decoded only when the event says
// so, refusing more than MaxBodyBytes.
func body(req events.APIGatewayV2HTTPRequest) ([]byte, error) {
	if !req.IsBase64Encoded {
		if len(req.Body) > MaxBodyBytes {
			return nil, errBodyTooLarge
		}
		return []byte(req.Body), nil
	}
	if base64.StdEncoding.DecodedLen(len(req.Body)) > MaxBodyBytes+3 {
		return nil, errBodyTooLarge
	}
	b, err := base64.StdEncoding.DecodeString(req.Body)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxBodyBytes {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// query returns the query parameters, from the raw query string when there
// is one (it keeps repeated keys apart).
func query(req events.APIGatewayV2HTTPRequest) url.Values {
	if req.RawQueryString != "" {
		if q, err := url.ParseQuery(req.RawQueryString); err == nil {
			return q
		}
		return url.Values{}
	}
	q := url.Values{}
	for k, v := range req.QueryStringParameters {
		q.Set(k, v)
	}
	return q
}

// securityHeaders go on every page.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
	"X-Frame-Options":         "DENY",
	"Cache-Control":           "no-store",
	"Referrer-Policy":         "no-referrer",
	"X-Content-Type-Options":  "nosniff",
}

func respond(status int, contentType, body string, extra map[string]string) events.APIGatewayV2HTTPResponse {
	h := map[string]string{"Content-Type": contentType}
	for k, v := range securityHeaders {
		h[k] = v
	}
	for k, v := range extra {
		h[k] = v
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: h, Body: body}
}

// page is what the one HTML page shows.
type page struct {
	Heading string
	Message string
	IsError bool
	Request *pageRequest
	Form    *pageForm
}

type pageRequest struct {
	Title       string
	Text        string
	Context     []approval.Field
	RequestedBy string
	Expires     string
	Execution   string
}

type pageForm struct {
	Approve bool
	Name    string // a display note, never an identity
	Comment string
	// SignedInAs names the person signed in with SSO; then the form has no
	// name field: the identity is the sign-in's.
	SignedInAs string
	Identity   string
	Needed     int // approvals needed (shown to a signed-in person)
	// Reasons and inputs (see inputs.go).
	ReasonRequired bool
	ReasonProblem  string
	Inputs         []pageInput
}

func newPageRequest(r approval.Request) *pageRequest {
	return &pageRequest{
		Title: r.Title, Text: r.Text, Context: r.Context, RequestedBy: r.RequestedBy,
		Expires: approval.FormatTime(r.ExpiresAt), Execution: r.ExecutionID,
	}
}

// html renders p with status.
func html(status int, p page, extra map[string]string) events.APIGatewayV2HTTPResponse { //nolint:unparam // extra headers: pages that set cookies (single sign-on)
	return respond(status, "text/html; charset=utf-8", renderPage(p), extra)
}

// errorPage renders a page with only a heading and an error message.
func errorPage(status int, heading, msg string) events.APIGatewayV2HTTPResponse {
	return html(status, page{Heading: heading, Message: msg, IsError: true}, nil)
}
