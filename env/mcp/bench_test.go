package mcp_test

import (
	"context"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/simgym/simgym/env"
	"github.com/simgym/simgym/env/mcp"
)

// BenchmarkStep is one tools/call of a read tool in an MCP session,
// through the go-sdk client over loopback HTTP.
func BenchmarkStep(b *testing.B) {
	f := defaultWorld(b, 1, env.Limits{}, mcp.Options{})
	var name, tool string
	for _, e := range f.m.Envs() {
		for _, t := range e.Domain.Model.Ops {
			if t.Kind == "list" && name == "" {
				name, tool = e.Name, t.Tool
			}
		}
	}
	cs := f.connect(b, name+"?seed=1")
	ctx := context.Background()
	args := map[string]any{"limit": 5}
	b.ResetTimer()
	for b.Loop() {
		r, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
		if err != nil || r.IsError {
			b.Fatal(err, r)
		}
	}
}

// BenchmarkStepRaw is one tools/call posted by hand (a lean client), so
// that the server's share shows.
func BenchmarkStepRaw(b *testing.B) {
	f := defaultWorld(b, 1, env.Limits{}, mcp.Options{})
	var name, tool string
	for _, e := range f.m.Envs() {
		for _, t := range e.Domain.Model.Ops {
			if t.Kind == "list" && name == "" {
				name, tool = e.Name, t.Tool
			}
		}
	}
	sid := f.open(b, name+"?seed=1")
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"limit":5}}}`
	b.ResetTimer()
	for b.Loop() {
		if r := f.post(b, name, sid, body); r.Error != nil {
			b.Fatal(r.Error.Message)
		}
	}
}
