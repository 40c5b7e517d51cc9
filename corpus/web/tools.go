package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/simgym/simgym/tools"
)

// Tool names.
const (
	ToolSearch = "search"
	ToolVisit  = "visit"
	ToolFind   = "find"
)

// Tools describes the web tools in simgym's tool model, for an
// environment to list them to agents.
func Tools() []tools.Tool {
	str := func(desc string) *tools.Schema { return &tools.Schema{Type: "string", Description: desc} }
	num := func(desc string, lo, hi float64) *tools.Schema {
		return &tools.Schema{Type: "integer", Description: desc, Minimum: &lo, Maximum: &hi}
	}
	tool := func(name, desc string, params map[string]*tools.Schema, required ...string) tools.Tool {
		return tools.Tool{
			Name:         name,
			OriginalName: name,
			Description:  desc,
			Parameters:   &tools.Schema{Type: "object", Properties: params, Required: required},
			Source:       tools.Source{File: "corpus/web", Format: "builtin", Operation: name, Spec: "simgym web"},
		}
	}
	return []tools.Tool{
		tool(ToolSearch, "Search the encyclopedia. Returns the best matching pages: title, URL and a snippet of text around the match.",
			map[string]*tools.Schema{
				"query": str("What to search for, in a few words."),
				"top_k": num(fmt.Sprintf("How many results to return (default %d).", DefaultSearchResults), 1, MaxSearchResults),
			}, "query"),
		tool(ToolVisit, fmt.Sprintf("Read a page, given its URL from search results or its exact title. Long pages come in parts of about %d characters; ask for the next part with page.", DefaultPageChars),
			map[string]*tools.Schema{
				"url":  str("The page's URL or title. Leave empty to read another part of the page in hand."),
				"page": num("Which part of the page to read, from 1 (default 1).", 1, 1e6),
			}, "url"),
		tool(ToolFind, "Find the lines of the page in hand (the page last visited, all of its parts) that contain a text, ignoring case.",
			map[string]*tools.Schema{
				"pattern": str("The text to look for."),
			}, "pattern"),
	}
}

type searchArgs struct {
	Query string `json:"query"`
	TopK  int    `json:"top_k"`
}

type visitArgs struct {
	URL   string `json:"url"`
	Title string `json:"title"`
	Page  int    `json:"page"`
}

type findArgs struct {
	Pattern string `json:"pattern"`
}

// Call runs the tool name with JSON arguments and returns its JSON
// result. Argument errors wrap ErrBadArgument, and an unknown name
// ErrUnknownTool; the error text is meant for the agent.
func (s *Session) Call(ctx context.Context, name string, args json.RawMessage) (json.RawMessage, error) {
	var (
		out any
		err error
	)
	switch name {
	case ToolSearch:
		var a searchArgs
		if err := decodeArgs(args, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out, err = s.Search(ctx, a.Query, a.TopK)
	case ToolVisit:
		var a visitArgs
		if err := decodeArgs(args, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		ref := a.URL
		if ref == "" {
			ref = a.Title
		}
		out, err = s.Visit(ctx, ref, a.Page)
	case ToolFind:
		var a findArgs
		if err := decodeArgs(args, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out, err = s.Find(ctx, a.Pattern)
	default:
		return nil, fmt.Errorf("%w %q: the web tools are search, visit and find", ErrUnknownTool, name)
	}
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("%s: encode result: %w", name, err)
	}
	return data, nil
}

// decodeArgs reads a tool's JSON arguments into v, refusing unknown ones.
// Empty arguments are an empty object.
func decodeArgs(args json.RawMessage, v any) error {
	if len(bytes.TrimSpace(args)) == 0 {
		args = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: arguments: %v", ErrBadArgument, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: arguments: more than one JSON value", ErrBadArgument)
	}
	return nil
}
