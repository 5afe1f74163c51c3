package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"versions.tf": `terraform {
  required_version = ">= 1.8"
  required_providers {
    manualapproval = { source = "manualapproval/manualapproval", version = ">= 0.1" }
  }
}`,
		"variables.tf": `variable "name" {
  description = "Name | of the gate."
  type        = string
}
variable "opts" {
  description = "Options."
  type = object({
    title = optional(string)
  })
  default = {}
}
variable "secret" {
  description = "A secret."
  type        = string
  default     = null
  sensitive   = true
}`,
		"outputs.tf": `output "b" {
  description = "Second."
  value       = 2
}
output "a" {
  description = "First."
  value       = 1
}`,
		"README.md": "# m\n\nintro\n\n<!-- BEGIN_TF_DOCS -->\nstale\n<!-- END_TF_DOCS -->\n\nafter\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := "# m\n\nintro\n\n<!-- BEGIN_TF_DOCS -->\n" +
		"## Requirements\n\n| Name | Source | Version |\n|------|--------|---------|\n" +
		"| terraform | | `>= 1.8` |\n| manualapproval | `manualapproval/manualapproval` | `>= 0.1` |\n\n" +
		"## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n" +
		"| <a name=\"input_name\"></a> [name](#input_name) | Name \\| of the gate. | `string` | n/a | yes |\n" +
		"| <a name=\"input_opts\"></a> [opts](#input_opts) | Options. | `object({ title = optional(string) })` | `{}` | no |\n" +
		"| <a name=\"input_secret\"></a> [secret](#input_secret) | A secret. (sensitive) | `string` | `null` | no |\n\n" +
		"## Outputs\n\n| Name | Description |\n|------|-------------|\n" +
		"| <a name=\"output_a\"></a> [a](#output_a) | First. |\n| <a name=\"output_b\"></a> [b](#output_b) | Second. |\n" +
		"<!-- END_TF_DOCS -->\n\nafter\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("README (-want +got):\n%s", diff)
	}

	// A second run changes nothing.
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "README.md"))
	if string(again) != string(got) {
		t.Error("a second run changed the README")
	}
}

func TestRunWithoutMarkers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "main.tf"), []byte(`variable "x" {}`), 0o600)
	_ = os.WriteFile(filepath.Join(dir, "README.md"), []byte("# m\n"), 0o600)
	if err := run(dir); err == nil || !strings.Contains(err.Error(), "markers") {
		t.Errorf("run = %v, want an error about the markers", err)
	}
}
