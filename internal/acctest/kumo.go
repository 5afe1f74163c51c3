// Package acctest is the test harness: it starts the local AWS (kumo) on
// 127.0.0.1:4566, points the AWS SDK at it, and stops it by its pid.
package acctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Addr is where kumo must listen: its Step Functions→Lambda and SNS→Lambda
// calls are hard-wired to this port.
const Addr = "127.0.0.1:4566"

// Endpoint is the local AWS endpoint URL.
const Endpoint = "http://" + Addr

// Region and credentials the local AWS accepts.
const (
	Region    = "us-east-1"
	AccessKey = "test"
	SecretKey = "test"
)

// Kumo is a running local AWS.
type Kumo struct {
	cmd  *exec.Cmd
	lock *os.File
	log  *os.File
	// Owned is false when a kumo that this process did not start was
	// already listening (it is used, and left running).
	Owned bool
}

// RepoRoot finds the repository root (the folder with go.mod) from the
// working directory of a test.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/manualapproval/terraform-provider-manualapproval\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod of terraform-provider-manualapproval) not found above the working directory")
		}
		dir = parent
	}
}

// KumoBinary is the kumo binary `make kumo` builds (bin/kumo), or $KUMO_BIN.
func KumoBinary() (string, error) {
	if p := os.Getenv("KUMO_BIN"); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "kumo")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the local AWS is not built: run `make kumo` (or `make test`, which builds it): %w", err)
	}
	return p, nil
}

// StartKumo takes the machine-wide lock that serialises test packages using
// the local AWS, then starts kumo on Addr, or fails with a clear message if
// something else holds the port. It sets the AWS_* environment so SDK
// clients and the provider reach it.
func StartKumo() (*Kumo, error) {
	lock, err := lockLocalAWS()
	if err != nil {
		return nil, err
	}
	k := &Kumo{lock: lock}
	setAWSEnv()

	switch running, err := kumoListening(); {
	case err != nil:
		k.Stop()
		return nil, err
	case running:
		return k, nil // someone's kumo: use it, leave it running
	}

	bin, err := KumoBinary()
	if err != nil {
		k.Stop()
		return nil, err
	}
	k.log, err = os.CreateTemp("", "kumo-*.log")
	if err != nil {
		k.Stop()
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "KUMO_HOST=127.0.0.1", "KUMO_PORT=4566")
	cmd.Stdout, cmd.Stderr = k.log, k.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if runtime.GOOS != "linux" {
		cmd.SysProcAttr.Pdeathsig = 0
	}
	if err := cmd.Start(); err != nil {
		k.Stop()
		return nil, fmt.Errorf("starting kumo (%s): %w", bin, err)
	}
	k.cmd, k.Owned = cmd, true
	deadline := time.Now().Add(kumoStartTimeout)
	for !isKumo() {
		if time.Now().After(deadline) {
			k.Stop()
			return nil, fmt.Errorf("kumo did not answer on %s within %s; its log: %s", Addr, kumoStartTimeout, k.log.Name())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return k, nil
}

// kumoStartTimeout bounds kumo's start (about 100 ms on a quiet machine;
// seconds when the machine is busy).
const kumoStartTimeout = time.Minute

// lockLocalAWS takes the lock that serialises the users of the local AWS
// (test packages run in parallel; kumo's port is fixed). The port is fixed
// per network namespace, not per machine: runs in separate namespaces
// (`unshare -n`) each have their own 127.0.0.1:4566 and must not queue
// behind each other, so the lock file is named after the namespace.
func lockLocalAWS() (*os.File, error) {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), lockFileName()), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return nil, fmt.Errorf("locking the local AWS: %w", err)
	}
	return lock, nil
}

// lockFileName is the lock file of this network namespace:
// manualapproval-kumo-net<inode>.lock, the inode of /proc/self/ns/net
// (which names the namespace); manualapproval-kumo.lock where that cannot
// be read (not Linux).
func lockFileName() string {
	if ino, ok := netNamespace(); ok {
		return fmt.Sprintf("manualapproval-kumo-net%d.lock", ino)
	}
	return "manualapproval-kumo.lock"
}

// netNamespace returns the inode of this process's network namespace.
func netNamespace() (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/self/ns/net", &st); err != nil {
		return 0, false
	}
	return st.Ino, true
}

// kumoListening reports whether kumo already listens on Addr, and fails
// with a clear message when something else holds the port.
func kumoListening() (bool, error) {
	// A refused connection answers at once; the bound only matters on a
	// machine so busy that accepting takes long, which must not read as
	// "nothing listens" (kumo would then fail to bind).
	c, err := net.DialTimeout("tcp", Addr, 5*time.Second)
	if err != nil {
		return false, nil //nolint:nilerr // nothing listens: the port is free for kumo
	}
	c.Close()
	if isKumo() {
		return true, nil
	}
	return false, fmt.Errorf("%s is taken by a process that is not kumo; the local AWS must listen on exactly this port (its Step Functions→Lambda calls are hard-wired to it): stop that process (e.g. `fuser -k 4566/tcp`) and run the tests again", Addr)
}

// isKumo reports whether what listens on Addr is kumo: a healthy /health
// and kumo's own inspection endpoint.
func isKumo() bool {
	c := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) (int, string) {
		resp, err := c.Get(Endpoint + path)
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return resp.StatusCode, string(b)
	}
	code, body := get("/health")
	if code != http.StatusOK || !strings.Contains(body, `"healthy"`) {
		return false
	}
	code, body = get("/kumo/ses/v2/sent-emails")
	return code == http.StatusOK && strings.Contains(body, "SentEmails")
}

// Stop stops kumo by its pid (SIGTERM, then SIGKILL after a grace period:
// kumo waits up to 30s for long-polling Lambda handlers otherwise) and
// releases the lock.
func (k *Kumo) Stop() {
	if k.cmd != nil && k.cmd.Process != nil {
		_ = k.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = k.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		k.cmd = nil
	}
	if k.log != nil {
		k.log.Close()
		os.Remove(k.log.Name())
		k.log = nil
	}
	if k.lock != nil {
		_ = syscall.Flock(int(k.lock.Fd()), syscall.LOCK_UN)
		k.lock.Close()
		k.lock = nil
	}
}

// setAWSEnv points the AWS SDK (and so the provider) at the local AWS.
func setAWSEnv() {
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":          Endpoint,
		"AWS_REGION":                Region,
		"AWS_ACCESS_KEY_ID":         AccessKey,
		"AWS_SECRET_ACCESS_KEY":     SecretKey,
		"AWS_EC2_METADATA_DISABLED": "true",
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	os.Unsetenv("AWS_SESSION_TOKEN")
}

// Ctx is a context for harness calls with a bound.
func Ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}
