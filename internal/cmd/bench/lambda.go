package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/approval"
	"github.com/manualapproval/terraform-provider-manualapproval/internal/bundle"
)

// lambdaResult is the handler's size and start-up.
type lambdaResult struct {
	ZipBytes   map[string]int // per architecture, the embedded bundle
	ColdStarts []time.Duration
}

func zipSizes() (map[string]int, error) {
	out := map[string]int{}
	for _, arch := range bundle.Architectures {
		z, err := bundle.Zip(arch)
		if err != nil {
			return nil, err
		}
		out[arch] = len(z)
	}
	return out, nil
}

// fakeRuntime is the smallest Lambda Runtime API: it notes when the first
// GET .../invocation/next arrives and holds the request until closed.
type fakeRuntime struct {
	addr  string
	srv   *http.Server
	first chan time.Time
}

func startFakeRuntime() (*fakeRuntime, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &fakeRuntime{addr: ln.Addr().String(), first: make(chan time.Time, 1)}
	f.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/runtime/invocation/next") {
			select {
			case f.first <- time.Now():
			default:
			}
			<-r.Context().Done() // no invocation: the handler waits
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})}
	go func() { _ = f.srv.Serve(ln) }()
	return f, nil
}

func (f *fakeRuntime) close() { _ = f.srv.Close() }

// coldStart runs bin (the handler built for this machine) as a callback
// function n times and measures process start → first poll of the Runtime
// API, each process stopped by its pid before the next.
func coldStart(ctx context.Context, bin string, n int) ([]time.Duration, error) {
	cfg := approval.Config{
		Role: approval.RoleCallback, GateName: "bench", TableName: "bench-requests",
		TopicARN: "arn:aws:sns:us-east-1:000000000000:bench-approvals", CallbackBaseURL: "http://127.0.0.1:1",
		ParamSigningKey: "/manualapproval/bench/signing-key", MinApprovals: 1, TimeoutSeconds: 3600,
	}
	var out []time.Duration
	for i := 0; i < n; i++ {
		rt, err := startFakeRuntime()
		if err != nil {
			return nil, err
		}
		env := []string{
			"PATH=" + os.Getenv("PATH"),
			"AWS_LAMBDA_RUNTIME_API=" + rt.addr,
			"AWS_LAMBDA_FUNCTION_NAME=bench-callback",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
			"AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		}
		for k, v := range cfg.Env() {
			env = append(env, k+"="+v)
		}
		cmd := exec.Command(bin)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			rt.close()
			return nil, fmt.Errorf("starting %s: %w", bin, err)
		}
		var waitErr error
		exited := make(chan struct{})
		go func() { waitErr = cmd.Wait(); close(exited) }()
		var err2 error
		gone := false
		select {
		case t := <-rt.first:
			out = append(out, t.Sub(start))
		case <-exited:
			gone = true
			err2 = fmt.Errorf("the handler exited before polling (%w): %s", waitErr, stderr.String())
		case <-time.After(10 * time.Second):
			err2 = errors.New("the handler did not poll within 10 s")
		case <-ctx.Done():
			err2 = ctx.Err()
		}
		if !gone {
			_ = cmd.Process.Kill()
			<-exited
		}
		rt.close()
		if err2 != nil {
			return nil, err2
		}
	}
	return out, nil
}
