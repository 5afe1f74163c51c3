package gate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/manualapproval/terraform-provider-manualapproval/internal/acctest"
)

// TestGate_apiCalls counts the AWS calls of each operation on one gate: a
// refresh reads every part in at most one call per part (two per role,
// five for the API and its wiring), 20 calls at most.
func TestGate_apiCalls(t *testing.T) {
	m, _ := newManager(t)
	ctx := t.Context()
	name := acctest.RandomName()
	spec := testSpec(name)
	p := local.Proxy

	p.Reset()
	start := time.Now()
	if _, err := m.Create(ctx, spec); err != nil {
		t.Fatal(err)
	}
	createTime, create := time.Since(start), p.Counts()
	t.Cleanup(func() { _ = m.Delete(t.Context(), name) })

	p.Reset()
	if _, err := m.Read(ctx, spec); err != nil {
		t.Fatal(err)
	}
	read := p.Counts()

	p.Reset()
	if err := m.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	del := p.Counts()

	total := func(c map[string]int) (n int) {
		for _, v := range c {
			n += v
		}
		return n
	}
	t.Logf("create: %d calls in %s\n%s", total(create), createTime.Round(time.Millisecond), acctest.FormatCounts(create))
	t.Logf("refresh: %d calls\n%s", total(read), acctest.FormatCounts(read))
	t.Logf("delete: %d calls\n%s", total(del), acctest.FormatCounts(del))
	// 19 for the gate of turn 1, and 4 for each of its two rules, the
	// sweep's schedule and the stopped executions' (the rule, its targets,
	// its tags, the callback's permission for it).
	// 25: the parts, each read once; the callback's resource policy is read
	// once for the API's and both rules' permissions.
	if n := total(read); n > 25 {
		t.Errorf("a refresh made %d calls, want at most 25", n)
	}
	for op, n := range read {
		if strings.Contains(op, ":Create") || strings.Contains(op, ":Put") || strings.Contains(op, ":Delete") || strings.Contains(op, ":Update") {
			t.Errorf("a refresh wrote: %s ×%d", op, n)
		}
	}
	for op, n := range create {
		if strings.HasPrefix(op, "lambda:GetFunction") && n > 2 {
			t.Errorf("create polled %s %d times (the function is Active at once on the local AWS)", op, n)
		}
	}
}
