// Command localaws runs a command against the local AWS: it starts kumo on
// 127.0.0.1:4566 with the test harness (which takes the machine-wide lock
// that serialises users of the local AWS) and a proxy in front of it that
// repairs the answers where kumo differs from AWS, runs the command with the
// AWS_* environment pointing at them, forwards SIGINT and SIGTERM to it,
// stops kumo by its pid, and exits with the command's exit code.
//
//	go run ./internal/cmd/localaws -- terraform -chdir=modules/manual-approval test
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("localaws", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: localaws [-direct] -- command [args...]")
		fs.PrintDefaults()
	}
	direct := fs.Bool("direct", false, "point AWS_ENDPOINT_URL at kumo itself rather than at the repairing proxy")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}

	stop, err := start(*direct)
	if err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		return 1
	}
	defer stop()

	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = os.Environ() // with the AWS_* variables the harness set
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "localaws:", err)
		return 127
	}
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "localaws:", err)
		return 1
	}
}

// start starts the local AWS and returns the function that stops it.
func start(direct bool) (func(), error) {
	if direct {
		k, err := acctest.StartKumo()
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "localaws: kumo on %s\n", acctest.Endpoint)
		return k.Stop, nil
	}
	l, err := acctest.Start()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "localaws: kumo on %s, AWS_ENDPOINT_URL=%s\n", acctest.Endpoint, l.Endpoint())
	return l.Stop, nil
}
