package acctest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// BootstrapBinary is the handler built for this machine (`make bundle`
// writes bin/bootstrap-host), or $BOOTSTRAP_HOST_BIN.
func BootstrapBinary() (string, error) {
	if p := os.Getenv("BOOTSTRAP_HOST_BIN"); p != "" {
		return p, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "bootstrap-host")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("the handler binary for this machine is not built: run `make bundle`: %w", err)
	}
	return p, nil
}

// Handlers are the local processes that run deployed functions: the real
// bootstrap binary, speaking the Lambda Runtime API to kumo, with each
// function's configured environment read back from the local AWS.
type Handlers struct {
	procs map[string]*handlerProc
	shim  *runtimeShim // the callbacks' Runtime API: cookies as on AWS
}

type handlerProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
}

// syncBuffer collects a process's output; safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// readyProbes are invocations each role answers at once without side
// effects: the notifier rejects a payload without a token, the callback
// answers 404 to an unknown path.
var readyProbes = map[string][]byte{
	"notifier": []byte(`{}`),
	"callback": []byte(`{"version":"2.0","routeKey":"$default","rawPath":"/_ready","requestContext":{"http":{"method":"GET","path":"/_ready"}}}`),
}

// StartHandlers starts one handler process per function, with the
// function's environment from GetFunctionConfiguration plus the Runtime API
// address, the function name, the region and endpoint (the SDK endpoint the
// handlers use, usually the test proxy). It returns when every handler
// polls (an invocation reaches it). Each handler's SDK app id
// (AWS_SDK_UA_APP_ID) is its role, "notifier" or "callback", so the proxy
// counts each one's calls apart (Proxy.CountsBy).
func StartHandlers(ctx context.Context, cfg aws.Config, endpoint string, functions ...string) (*Handlers, error) {
	bin, err := BootstrapBinary()
	if err != nil {
		return nil, err
	}
	h := &Handlers{procs: map[string]*handlerProc{}}
	lc := lambda.NewFromConfig(cfg)
	for _, fn := range functions {
		conf, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			h.Stop()
			return nil, fmt.Errorf("reading the configuration of %s: %w", fn, err)
		}
		runtimeAPI := Addr
		if conf.Environment != nil && conf.Environment.Variables["MANUALAPPROVAL_ROLE"] == "callback" {
			if h.shim == nil {
				if h.shim, err = startRuntimeShim(Addr); err != nil {
					h.Stop()
					return nil, fmt.Errorf("starting the Runtime API shim: %w", err)
				}
			}
			runtimeAPI = h.shim.addr
		}
		env := []string{
			"PATH=" + os.Getenv("PATH"),
			"AWS_LAMBDA_RUNTIME_API=" + runtimeAPI + "/_runtime/" + fn,
			"AWS_LAMBDA_FUNCTION_NAME=" + fn,
			fmt.Sprintf("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d", aws.ToInt32(conf.MemorySize)),
			"AWS_LAMBDA_MAX_CONCURRENCY=8",
			"AWS_REGION=" + cfg.Region,
			"AWS_ENDPOINT_URL=" + endpoint,
			"AWS_ACCESS_KEY_ID=" + AccessKey,
			"AWS_SECRET_ACCESS_KEY=" + SecretKey,
			"AWS_EC2_METADATA_DISABLED=true",
			// The local Slack and webhook receivers listen on loopback,
			// which the handlers refuse without this test-only switch.
			envTestAllowLoopback + "=1",
		}
		if conf.Environment != nil {
			for k, v := range conf.Environment.Variables {
				env = append(env, k+"="+v)
			}
		}
		role := "notifier"
		if conf.Environment != nil && conf.Environment.Variables["MANUALAPPROVAL_ROLE"] != "" {
			role = conf.Environment.Variables["MANUALAPPROVAL_ROLE"]
		}
		env = append(env, "AWS_SDK_UA_APP_ID="+role)
		out := &syncBuffer{}
		cmd := exec.Command(bin)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			h.Stop()
			return nil, fmt.Errorf("starting the handler of %s: %w", fn, err)
		}
		p := &handlerProc{cmd: cmd, out: out, done: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(p.done) }()
		h.procs[fn] = p
		if err := waitPolling(ctx, lc, fn, readyProbes[role], p); err != nil {
			h.Stop()
			return nil, err
		}
	}
	return h, nil
}

// handlerStartTimeout bounds a handler's start. A bound for a broken start,
// not a latency expectation: the handler starts in milliseconds on a quiet
// machine and in seconds on a loaded one (issue 14 §6).
const handlerStartTimeout = time.Minute

// waitPolling invokes fn with a harmless probe until kumo hands it to the
// handler: before the handler's first poll, kumo answers "no runtime
// handler".
func waitPolling(ctx context.Context, lc *lambda.Client, fn string, probe []byte, p *handlerProc) error {
	deadline := time.Now().Add(handlerStartTimeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("the handler of %s exited before polling; its output:\n%s", fn, p.out.String())
		default:
		}
		_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: probe})
		if err == nil {
			return nil
		}
		if !strings.Contains(err.Error(), "no runtime handler") {
			return fmt.Errorf("probing the handler of %s: %w", fn, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the handler of %s did not poll within %s; its output:\n%s", fn, handlerStartTimeout, p.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Output is everything the handler of fn wrote (its JSON log lines).
func (h *Handlers) Output(fn string) string {
	if p := h.procs[fn]; p != nil {
		return p.out.String()
	}
	return ""
}

// Pid is the process id of the handler of fn, or 0.
func (h *Handlers) Pid(fn string) int {
	if p := h.procs[fn]; p != nil && p.cmd.Process != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

// Stop stops every handler by its pid: SIGTERM, then SIGKILL.
func (h *Handlers) Stop() {
	var errs []error
	for fn, p := range h.procs {
		if p.cmd.Process == nil {
			continue
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
			if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				errs = append(errs, fmt.Errorf("%s: %w", fn, err))
			}
			<-p.done
		}
	}
	h.procs = map[string]*handlerProc{}
	if h.shim != nil {
		h.shim.stop()
		h.shim = nil
	}
	if len(errs) > 0 {
		fmt.Fprintln(os.Stderr, "stopping handlers:", errors.Join(errs...))
	}
}

// envTestAllowLoopback is internal/lambda's EnvTestAllowLoopback (not
// imported: the handlers' tests use this package).
const envTestAllowLoopback = "MANUALAPPROVAL_TEST_ALLOW_LOOPBACK"
