package acctest

import (
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestKumoListening_portTaken: something that is not kumo on the local
// AWS's port gives a clear error instead of tests talking to it.
func TestKumoListening_portTaken(t *testing.T) {
	lock, err := lockLocalAWS() // no test package may run kumo meanwhile
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	ln, err := net.Listen("tcp", Addr)
	if err != nil {
		t.Skipf("port busy outside the lock (%v)", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"status":"healthy"}`)) // healthy, but not kumo
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()

	running, err := kumoListening()
	if running || err == nil || !strings.Contains(err.Error(), "is taken by a process that is not kumo") {
		t.Errorf("running=%v err=%v", running, err)
	}
	_ = srv.Close()
	if running, err := kumoListening(); running || err != nil {
		t.Errorf("free port: running=%v err=%v", running, err)
	}
}
