package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/simgym/simgym/corpus/gateway/gatewaytest"
	"github.com/simgym/simgym/corpus/web"
)

func parseRealWeb(t *testing.T, args ...string) *realWebFlags {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f := addRealWebFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestRealWebFlagsCheck(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		key   string
		noWeb bool
		err   string // "" for none
	}{
		{"off", nil, "", false, ""},
		{"on with a key", []string{"--real-web"}, "k", false, ""},
		{"on without a key", []string{"--real-web"}, "", false, "SERPER_API_KEY"},
		{"replay needs no key", []string{"--real-web", "--web-replay", "r.db"}, "", false, ""},
		{"cache without real-web", []string{"--web-cache", "c.db"}, "k", false, "need --real-web"},
		{"with no-web", []string{"--real-web"}, "k", true, "--no-web"},
		{"replay and cache", []string{"--real-web", "--web-replay", "r.db", "--web-cache", "c.db"}, "k", false, "--web-cache"},
		{"replay onto itself", []string{"--real-web", "--web-replay", "r.db", "--web-record", "r.db"}, "k", false, "same file"},
		{"bad rate", []string{"--real-web", "--web-rate", "serper=fast"}, "k", false, "--web-rate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("SERPER_API_KEY", c.key)
			err := parseRealWeb(t, c.args...).check(c.noWeb)
			switch {
			case c.err == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Errorf("error %v, want one naming %q", err, c.err)
			}
		})
	}
}

// TestWebProvider: with --real-web the provider answers from the (fake)
// providers, registers its metrics, records, and a replay of the record
// gives the same answer with the providers gone.
func TestWebProvider(t *testing.T) {
	off := gatewaytest.Offline{}
	p, closeWeb, err := webProvider(off, parseRealWeb(t), prometheus.NewRegistry(), io.Discard)
	if err != nil || p != web.Provider(off) {
		t.Fatalf("without --real-web: %v, %v; want the offline provider", p, err)
	}
	closeWeb()

	srv := gatewaytest.NewServer("key", gatewaytest.Faults{})
	t.Setenv("SERPER_API_KEY", "key")
	t.Setenv("JINA_API_KEY", "key")
	record := filepath.Join(t.TempDir(), "record.db")
	reg := prometheus.NewRegistry()
	p, closeWeb, err = webProvider(off, parseRealWeb(t, "--real-web", "--serper-url", srv.URL, "--jina-url", srv.URL, "--web-record", record), reg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	want, err := p.Read(ctx, "https://site.example/a")
	if err != nil || want.Fallback != "" || !strings.Contains(want.Content, "site.example/a") {
		t.Fatalf("read: %+v, %v; want the provider's page", want, err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "simgym_gateway_requests_total") {
		t.Errorf("metrics %v lack simgym_gateway_requests_total", names)
	}
	if err := closeWeb(); err != nil {
		t.Fatal(err)
	}
	srv.Close()

	p, closeWeb, err = webProvider(off, parseRealWeb(t, "--real-web", "--serper-url", srv.URL, "--jina-url", srv.URL, "--web-replay", record), prometheus.NewRegistry(), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer closeWeb()
	got, err := p.Read(ctx, "https://site.example/a")
	if err != nil || got != want {
		t.Errorf("replayed %+v, %v; want %+v", got, err, want)
	}
}

func TestBenchWeb(t *testing.T) {
	var out bytes.Buffer
	if err := benchWeb(context.Background(), []string{"--queries", "90", "--callers", "4"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var sum gatewaytest.Summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("summary %q: %v", out.String(), err)
	}
	if sum.Calls != 90 || sum.Answered != 90 || !sum.ReplayIdentical || sum.SecondPassProviderCalls != 0 {
		t.Errorf("summary %+v", sum)
	}
	if err := benchWeb(context.Background(), []string{"--rate", "0"}, io.Discard, io.Discard); !errors.Is(err, errUsage) {
		t.Errorf("--rate 0: %v, want a usage error", err)
	}
}
