// Package moduletest checks the examples of modules/manual-approval with
// terraform itself: each is formatted and `terraform validate` accepts it
// against this build of the provider.
package moduletest

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	tfaddr "github.com/hashicorp/terraform-registry-address"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/provider"
)

// serveEnv makes the test binary serve the provider instead of running the
// tests: terraform runs it through a dev_overrides directory, so the
// examples are validated against this build without a registry or a
// separate `go build`.
const serveEnv = "MANUALAPPROVAL_MODULETEST_SERVE"

func TestMain(m *testing.M) {
	if os.Getenv(serveEnv) == "1" {
		opts := providerserver.ServeOpts{
			Address: tfaddr.NewProvider(tfaddr.DefaultProviderRegistryHost, "manualapproval", "manualapproval").String(),
		}
		if err := providerserver.Serve(context.Background(), provider.New("test"), opts); err != nil {
			log.Fatal(err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// moduleDir is the module, relative to this package.
const moduleDir = "../../modules/manual-approval"

// TestModuleExamples runs `terraform fmt -check`, `terraform get` and
// `terraform validate` in each example of the module. With dev_overrides,
// terraform needs no `init` for the provider; `get` installs the module
// from its relative path.
func TestModuleExamples(t *testing.T) {
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		p, err := exec.LookPath("terraform")
		if err != nil {
			t.Skip("terraform is not on PATH (nor TF_ACC_TERRAFORM_PATH): the module's examples are not validated")
		}
		tf = p
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "plugins")
	if err := os.MkdirAll(pluginDir, 0o755); err != nil {
		t.Fatal(err)
	}
	shim := fmt.Sprintf("#!/bin/sh\n%s=1 exec %q \"$@\"\n", serveEnv, exe)
	if err := os.WriteFile(filepath.Join(pluginDir, "terraform-provider-manualapproval"), []byte(shim), 0o755); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(dir, "terraformrc")
	rcText := fmt.Sprintf("disable_checkpoint = true\nprovider_installation {\n  dev_overrides {\n    \"manualapproval/manualapproval\" = %q\n  }\n  direct {}\n}\n", pluginDir)
	if err := os.WriteFile(rc, []byte(rcText), 0o600); err != nil {
		t.Fatal(err)
	}

	examples, err := filepath.Glob(filepath.Join(moduleDir, "examples", "*", "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range examples {
		names[filepath.Base(filepath.Dir(e))] = true
	}
	for _, want := range []string{"email-only", "slack-app"} {
		if !names[want] {
			t.Errorf("the module has no example %q (examples: %v)", want, names)
		}
	}

	for name := range names {
		t.Run(name, func(t *testing.T) {
			exampleDir, err := filepath.Abs(filepath.Join(moduleDir, "examples", name))
			if err != nil {
				t.Fatal(err)
			}
			env := append(os.Environ(),
				"TF_CLI_CONFIG_FILE="+rc,
				"TF_DATA_DIR="+filepath.Join(dir, name, ".terraform"), // nothing written into the repository
				"CHECKPOINT_DISABLE=1",
				"TF_IN_AUTOMATION=1",
			)
			run := func(args ...string) []byte {
				t.Helper()
				cmd := exec.Command(tf, append([]string{"-chdir=" + exampleDir}, args...)...)
				cmd.Env = env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("terraform %v: %v\n%s", args, err, out)
				}
				return out
			}
			run("fmt", "-check", "-diff")
			run("get")
			cmd := exec.Command(tf, "-chdir="+exampleDir, "validate", "-json", "-no-color")
			cmd.Env = env
			out, _ := cmd.Output() // validate exits 1 when invalid; the JSON says why
			var res struct {
				Valid       bool `json:"valid"`
				ErrorCount  int  `json:"error_count"`
				Diagnostics []struct {
					Severity string `json:"severity"`
					Summary  string `json:"summary"`
					Detail   string `json:"detail"`
				} `json:"diagnostics"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("terraform validate -json: %v\n%s", err, out)
			}
			if !res.Valid || res.ErrorCount != 0 {
				t.Errorf("example %s is not valid: %+v", name, res.Diagnostics)
			}
			for _, d := range res.Diagnostics {
				// The one expected warning says dev_overrides are in effect.
				if d.Severity == "warning" && d.Summary != "Provider development overrides are in effect" {
					t.Errorf("example %s: warning %q: %s", name, d.Summary, d.Detail)
				}
			}
		})
	}
}
