package lambda

import (
	stdhtml "html"
	"strings"
)

// The page is written by hand rather than with html/template: every value
// goes through esc (html.EscapeString: & < > ' "), and values only ever
// appear as element text or inside a double-quoted attribute, where that
// escaping is complete. (html/template's reflection keeps every method of
// the AWS SDK clients in the binary: the bundle was 55 % larger with it.)

// pageStyle is the page's only style: no external assets.
const pageStyle = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d1f23}
main{max-width:40rem;margin:0 auto;padding:1.25rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
.card{background:#fff;border:1px solid #dde1e6;border-radius:.5rem;padding:1rem;margin-bottom:1rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:minmax(6rem,auto) 1fr;gap:.3rem .8rem;margin:0}
dt{font-weight:600;color:#4a4f57}dd{margin:0;white-space:pre-wrap}
.note{color:#4a4f57}.error{color:#a4000f;font-weight:600}
label{display:block;font-weight:600;margin:.8rem 0 .3rem}
input,textarea{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:1px solid #b8bec6;border-radius:.35rem}
button{font:inherit;font-weight:600;border:0;border-radius:.35rem;padding:.7rem 1.4rem;margin-top:1rem;color:#fff;background:#1a7f37}
button.reject{background:#b3261e}
`

func esc(s string) string { return stdhtml.EscapeString(s) }

// renderPage renders p as a small self-contained HTML document.
func renderPage(p page) string {
	var b strings.Builder
	w := func(parts ...string) {
		for _, s := range parts {
			b.WriteString(s)
		}
	}
	w(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>`, esc(p.Heading), `</title>
<style>
`, pageStyle, `</style>
</head>
<body>
<main>
<h1>`, esc(p.Heading), "</h1>\n")
	if p.Message != "" {
		class := "note"
		if p.IsError {
			class = "error"
		}
		w(`<p class="`, class, `">`, esc(p.Message), "</p>\n")
	}
	if r := p.Request; r != nil {
		w(`<div class="card">
<h2>`, esc(r.Title), "</h2>\n")
		if r.Text != "" {
			w("<p>", esc(r.Text), "</p>\n")
		}
		w("<dl>\n")
		for _, f := range r.Context {
			w("<dt>", esc(f.Key), "</dt><dd>", esc(f.Value), "</dd>\n")
		}
		if r.RequestedBy != "" {
			w("<dt>Requested by</dt><dd>", esc(r.RequestedBy), "</dd>\n")
		}
		w("<dt>Expires</dt><dd>", esc(r.Expires), "</dd>\n")
		if r.Execution != "" {
			w("<dt>Execution</dt><dd>", esc(r.Execution), "</dd>\n")
		}
		w("</dl>\n</div>\n")
	}
	if f := p.Form; f != nil {
		w(`<form method="post" class="card">
<label for="name">Your name (optional)</label>
<input id="name" name="name" maxlength="80" autocomplete="name" value="`, esc(f.Name), `">
<label for="comment">Comment (optional)</label>
<textarea id="comment" name="comment" rows="3" maxlength="1000">`, esc(f.Comment), "</textarea>\n")
		if f.Approve {
			w(`<button type="submit">Approve</button>`)
		} else {
			w(`<button type="submit" class="reject">Reject</button>`)
		}
		w("\n", `<p class="note">This link proves only that you hold it, not who you are: the name you give is a note shown with your decision, not an identity.</p>`)
		w("\n</form>\n")
	}
	w("</main>\n</body>\n</html>\n")
	return b.String()
}
