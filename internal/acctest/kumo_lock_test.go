package acctest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLockFileName_perNetworkNamespace: the lock that serialises users of
// 127.0.0.1:4566 is named after the network namespace, so a run in another
// namespace (unshare -n, its own loopback) takes another lock and does not
// wait for this one.
func TestLockFileName_perNetworkNamespace(t *testing.T) {
	ino, ok := netNamespace()
	if !ok {
		t.Skip("no /proc/self/ns/net: one lock per machine")
	}
	here := lockFileName()
	if !strings.Contains(here, "net") || !strings.HasSuffix(here, ".lock") {
		t.Fatalf("lock file %q does not name the namespace %d", here, ino)
	}
	if again := lockFileName(); again != here {
		t.Errorf("lock file changes: %q then %q", here, again)
	}
	// Another namespace: the same test binary, run under unshare -n, prints
	// its lock file name. unshare needs privileges: skip where it has none.
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("unshare", "-n", exe, "-test.run", "^TestLockFileName_print$").CombinedOutput()
	if err != nil {
		t.Skipf("unshare -n not permitted here: %v %s", err, out)
	}
	other := ""
	for _, l := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(l, "lockfile="); ok {
			other = s
		}
	}
	if other == "" || other == here {
		t.Errorf("another network namespace uses lock %q, this one %q: they must differ", other, here)
	}
}

// TestLockFileName_print is the helper run in another namespace.
func TestLockFileName_print(t *testing.T) {
	t.Logf("lock file in this namespace")
	println("lockfile=" + lockFileName())
}
