// Command moduledocs writes the inputs and outputs table of a Terraform
// module into its README.md, between the lines <!-- BEGIN_TF_DOCS --> and
// <!-- END_TF_DOCS -->, from the module's variable and output blocks.
//
//	go run ./internal/cmd/moduledocs -module modules/manual-approval
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

const (
	beginMarker = "<!-- BEGIN_TF_DOCS -->"
	endMarker   = "<!-- END_TF_DOCS -->"
)

func main() {
	dir := flag.String("module", ".", "folder of the module")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "moduledocs:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	m, err := load(dir)
	if err != nil {
		return err
	}
	readme := filepath.Join(dir, "README.md")
	old, err := os.ReadFile(readme)
	if err != nil {
		return err
	}
	updated, err := replaceBetween(old, render(m))
	if err != nil {
		return fmt.Errorf("%s: %w", readme, err)
	}
	if bytes.Equal(old, updated) {
		return nil
	}
	return os.WriteFile(readme, updated, 0o644)
}

// variable is one input of the module.
type variable struct {
	Name, Description, Type, Default string
	Required, Sensitive              bool
}

// output is one output of the module.
type output struct {
	Name, Description string
	Sensitive         bool
}

// provider is one required provider.
type provider struct{ Name, Source, Version string }

// module is what the table shows.
type module struct {
	RequiredVersion string
	Providers       []provider
	Variables       []variable
	Outputs         []output
}

// load reads every .tf file of dir.
func load(dir string) (module, error) {
	var m module
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return m, err
	}
	if len(files) == 0 {
		return m, fmt.Errorf("no .tf files in %s", dir)
	}
	sort.Strings(files)
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return m, err
		}
		f, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if diags.HasErrors() {
			return m, diags
		}
		body, ok := f.Body.(*hclsyntax.Body)
		if !ok {
			return m, fmt.Errorf("%s: not native HCL syntax", name)
		}
		for _, b := range body.Blocks {
			switch {
			case b.Type == "variable" && len(b.Labels) == 1:
				v := variable{Name: b.Labels[0], Required: true}
				v.Description, err = stringAttr(b.Body, "description")
				if err != nil {
					return m, err
				}
				v.Type = source(src, b.Body, "type")
				if v.Type == "" {
					v.Type = "any"
				}
				if d := source(src, b.Body, "default"); d != "" {
					v.Default, v.Required = d, false
				}
				v.Sensitive = boolAttr(b.Body, "sensitive")
				m.Variables = append(m.Variables, v)
			case b.Type == "output" && len(b.Labels) == 1:
				o := output{Name: b.Labels[0], Sensitive: boolAttr(b.Body, "sensitive")}
				o.Description, err = stringAttr(b.Body, "description")
				if err != nil {
					return m, err
				}
				m.Outputs = append(m.Outputs, o)
			case b.Type == "terraform":
				m.RequiredVersion, err = stringAttr(b.Body, "required_version")
				if err != nil {
					return m, err
				}
				for _, rp := range b.Body.Blocks {
					if rp.Type != "required_providers" {
						continue
					}
					for name, a := range rp.Body.Attributes {
						v, diags := a.Expr.Value(nil)
						if diags.HasErrors() || !v.Type().IsObjectType() {
							continue
						}
						p := provider{Name: name}
						if v.Type().HasAttribute("source") {
							p.Source = v.GetAttr("source").AsString()
						}
						if v.Type().HasAttribute("version") {
							p.Version = v.GetAttr("version").AsString()
						}
						m.Providers = append(m.Providers, p)
					}
				}
			}
		}
	}
	sort.Slice(m.Variables, func(i, j int) bool {
		a, b := m.Variables[i], m.Variables[j]
		if a.Required != b.Required {
			return a.Required
		}
		return a.Name < b.Name
	})
	sort.Slice(m.Outputs, func(i, j int) bool { return m.Outputs[i].Name < m.Outputs[j].Name })
	sort.Slice(m.Providers, func(i, j int) bool { return m.Providers[i].Name < m.Providers[j].Name })
	return m, nil
}

// stringAttr evaluates a constant string attribute ("" when absent).
func stringAttr(body *hclsyntax.Body, name string) (string, error) {
	a, ok := body.Attributes[name]
	if !ok {
		return "", nil
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return "", diags
	}
	if v.Type() != cty.String || v.IsNull() {
		return "", fmt.Errorf("%s: %s must be a constant string", a.SrcRange, name)
	}
	return v.AsString(), nil
}

// boolAttr evaluates a constant bool attribute (false when absent).
func boolAttr(body *hclsyntax.Body, name string) bool {
	a, ok := body.Attributes[name]
	if !ok {
		return false
	}
	v, diags := a.Expr.Value(nil)
	return !diags.HasErrors() && v.Type() == cty.Bool && v.True()
}

var spaces = regexp.MustCompile(`\s+`)

// source is the source text of an attribute's expression on one line.
func source(src []byte, body *hclsyntax.Body, name string) string {
	a, ok := body.Attributes[name]
	if !ok {
		return ""
	}
	r := a.Expr.Range()
	s := string(src[r.Start.Byte:r.End.Byte])
	s = spaces.ReplaceAllString(s, " ")
	s = strings.ReplaceAll(s, "( ", "(")
	s = strings.ReplaceAll(s, "{ }", "{}")
	return s
}

// cell escapes a table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// code renders s as a code span, with enough backticks.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

func render(m module) string {
	var b strings.Builder
	b.WriteString("## Requirements\n\n| Name | Source | Version |\n|------|--------|---------|\n")
	if m.RequiredVersion != "" {
		fmt.Fprintf(&b, "| terraform | | %s |\n", code(m.RequiredVersion))
	}
	for _, p := range m.Providers {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", p.Name, cell(code(p.Source)), cell(code(p.Version)))
	}

	b.WriteString("\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n")
	for _, v := range m.Variables {
		def := "n/a"
		if !v.Required {
			def = code(v.Default)
		}
		req := "no"
		if v.Required {
			req = "yes"
		}
		desc := v.Description
		if v.Sensitive {
			desc += " (sensitive)"
		}
		fmt.Fprintf(&b, "| <a name=\"input_%s\"></a> [%s](#input_%s) | %s | %s | %s | %s |\n",
			v.Name, v.Name, v.Name, cell(desc), cell(code(v.Type)), cell(def), req)
	}

	b.WriteString("\n## Outputs\n\n| Name | Description |\n|------|-------------|\n")
	for _, o := range m.Outputs {
		desc := o.Description
		if o.Sensitive {
			desc += " (sensitive)"
		}
		fmt.Fprintf(&b, "| <a name=\"output_%s\"></a> [%s](#output_%s) | %s |\n", o.Name, o.Name, o.Name, cell(desc))
	}
	return b.String()
}

// replaceBetween puts table between the markers of readme.
func replaceBetween(readme []byte, table string) ([]byte, error) {
	s := string(readme)
	i := strings.Index(s, beginMarker)
	j := strings.Index(s, endMarker)
	if i < 0 || j < i {
		return nil, errors.New("the markers " + beginMarker + " and " + endMarker + " are missing or out of order")
	}
	return []byte(s[:i+len(beginMarker)] + "\n" + table + s[j:]), nil
}
