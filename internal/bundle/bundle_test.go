package bundle_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
)

// TestEmbeddedIsThisSource rebuilds the handler for each architecture the
// way `make bundle` does, twice, and checks that the builds are identical
// (the same source gives the same SHA-256, so plans show no false diffs)
// and that the embedded bundle is exactly this source's build.
func TestEmbeddedIsThisSource(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the handler")
	}
	goarch := map[string]string{"arm64": "arm64", "x86_64": "amd64"}
	for _, arch := range bundle.Architectures {
		t.Run(arch, func(t *testing.T) {
			embedded, err := bundle.Zip(arch)
			if err != nil {
				t.Fatal(err)
			}
			var bins [2][]byte
			for i := range bins {
				out := filepath.Join(t.TempDir(), "bootstrap")
				cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags=-s -w -buildid=", "-o", out, "../lambda/bootstrap")
				cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch[arch], "CGO_ENABLED=0")
				if b, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("go build: %v\n%s", err, b)
				}
				if bins[i], err = os.ReadFile(out); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(bins[0], bins[1]) {
				t.Fatal("two builds of the same source differ: the build is not reproducible")
			}
			zr, err := zip.NewReader(bytes.NewReader(embedded), int64(len(embedded)))
			if err != nil {
				t.Fatal(err)
			}
			rc, err := zr.File[0].Open()
			if err != nil {
				t.Fatal(err)
			}
			inZip, _ := io.ReadAll(rc)
			if !bytes.Equal(inZip, bins[0]) {
				t.Fatalf("the embedded %s bundle is not this source's build: run `make bundle`", arch)
			}
			sum := sha256.Sum256(embedded)
			got, _ := bundle.SHA256(arch)
			if got != hex.EncodeToString(sum[:]) {
				t.Errorf("SHA256 = %s, want %x", got, sum)
			}
			t.Logf("%s: binary %d bytes, zip %d bytes, sha256 %s", arch, len(bins[0]), len(embedded), got)
		})
	}
}

func TestLambdaSHAConversions(t *testing.T) {
	t.Parallel()
	h := "7e4e41fb8937a9ac1d3a5bd59d58cb9ecea7c24798bd06a2d6394f0e25ed775b"
	b64, err := bundle.HexToLambdaSHA(h)
	if err != nil {
		t.Fatal(err)
	}
	back, err := bundle.LambdaSHAToHex(b64)
	if err != nil || back != h {
		t.Errorf("round trip: %q %v", back, err)
	}
	if _, err := bundle.Zip("s390x"); err == nil {
		t.Error("an unknown architecture has a bundle")
	}
}
