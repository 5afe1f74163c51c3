package acctest

import (
	"crypto/rand"
	"os"
)

// RandomName returns a unique resource name with the tf-acc-test prefix.
func RandomName() string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return "tf-acc-test-" + string(b)
}

// Enabled reports whether acceptance tests on the local AWS should run
// (TF_ACC set, as `make test` does).
func Enabled() bool { return os.Getenv("TF_ACC") != "" }
