// Package bundle holds the Lambda deployment package of the gate's handlers:
// the bootstrap binary built for linux/<arch> and zipped reproducibly (the
// same source gives the same SHA-256), embedded in the provider binary.
package bundle

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Architectures are the Lambda architectures a bundle is built for.
var Architectures = []string{"arm64", "x86_64"}

// FileName is the name of the zip for arch inside dist/.
func FileName(arch string) string { return "bootstrap-" + arch + ".zip" }

// Zip returns the deployment package for arch ("arm64" or "x86_64").
func Zip(arch string) ([]byte, error) {
	b, err := fs.ReadFile(dist, "dist/"+FileName(arch))
	if err != nil {
		return nil, fmt.Errorf("the Lambda bundle for %s is not embedded in this provider build (run `make build`): %w", arch, err)
	}
	return b, nil
}

// SHA256 returns the hex SHA-256 of the deployment package for arch.
func SHA256(arch string) (string, error) {
	b, err := Zip(arch)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// HexToLambdaSHA converts a hex SHA-256 to the base64 form Lambda reports as
// CodeSha256.
func HexToLambdaSHA(h string) (string, error) {
	b, err := hex.DecodeString(h)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// LambdaSHAToHex converts Lambda's base64 CodeSha256 to hex.
func LambdaSHAToHex(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
