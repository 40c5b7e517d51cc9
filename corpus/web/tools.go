package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/index"

	"github.com/simgym/simgym/tools"
)

// Tool names.
const (
	ToolSearch = "search"
	ToolVisit  = "visit"
	ToolFind   = "find"
	// ToolScholar is Tongyi's google_scholar.
	ToolScholar = "google_scholar"
	// ToolGetDocument reads a document by its ID (BrowseComp-Plus's
	// get_document).
	ToolGetDocument = "get_document"
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
	strs := func(desc string) *tools.Schema {
		return &tools.Schema{Type: "array", Items: &tools.Schema{Type: "string"}, Description: desc}
	}
	return []tools.Tool{
		tool(ToolSearch, "Search the encyclopedia. With query a string: the best matching pages as JSON (title, URL and a snippet around the match). With query a list of strings: Tongyi's text, the top 10 results of each query.",
			map[string]*tools.Schema{
				"query": str("What to search for, in a few words; or a list of queries, searched one by one."),
				"top_k": num(fmt.Sprintf("How many results to return (default %d); for a single query.", DefaultSearchResults), 1, MaxSearchResults),
			}, "query"),
		tool(ToolVisit, fmt.Sprintf("Read a page, given its URL from search results or its exact title. Long pages come in parts of about %d characters; ask for the next part with page. With a goal (or a list of URLs): Tongyi's text, the page's passages that bear on the goal, quoted, and a summary.", DefaultPageChars),
			map[string]*tools.Schema{
				"url":  str("The page's URL or title (or a list of URLs, with goal). Leave empty to read another part of the page in hand."),
				"page": num("Which part of the page to read, from 1 (default 1).", 1, 1e6),
				"goal": str("What you want from the page; the reply then quotes the passages that bear on it."),
			}, "url"),
		tool(ToolFind, "Find the lines of the page in hand (the page last visited, all of its parts) that contain a text, ignoring case.",
			map[string]*tools.Schema{
				"pattern": str("The text to look for."),
			}, "pattern"),
		tool(ToolScholar, "Search works (books, films, albums and papers): title, link, publication line, year and citations, for each query.",
			map[string]*tools.Schema{
				"query": strs("The queries, searched one by one."),
			}, "query"),
		tool(ToolGetDocument, "Read a whole document by its ID (docid).",
			map[string]*tools.Schema{
				"docid": str("The document's ID."),
			}, "docid"),
	}
}

type searchArgs struct {
	Query stringOrList `json:"query"`
	TopK  *int         `json:"top_k"`
}

type visitArgs struct {
	URL   stringOrList `json:"url"`
	Title string       `json:"title"`
	Page  int          `json:"page"`
	Goal  *string      `json:"goal"`
}

type findArgs struct {
	Pattern string `json:"pattern"`
}

type scholarArgs struct {
	Query stringOrList `json:"query"`
}

type docArgs struct {
	DocID string `json:"docid"`
}

// DocumentResponse is what get_document returns.
type DocumentResponse struct {
	DocID string `json:"docid"`
	Title string `json:"title"`
	URL   string `json:"url"`
	Text  string `json:"text"`
}

// Call runs the tool name with JSON arguments and returns its JSON
// result. Argument errors wrap ErrBadArgument, and an unknown name
// ErrUnknownTool; the error text is meant for the agent.
//
// search and visit take two shapes: simgym's (search {query: string,
// top_k}, visit {url: string, page}) returns JSON objects; Tongyi's
// (search {query: [strings]}, visit {url, goal} or {url: [strings]},
// google_scholar {query}) returns Tongyi's text as a JSON string, run
// over the session's Provider.
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
		if a.Query.many {
			qs := a.Query.clean()
			if len(qs) == 0 {
				return nil, fmt.Errorf("search: %w: query holds no query", ErrBadArgument)
			}
			s.count(len(qs))
			out = TongyiSearch(ctx, s.provider, qs)
			break
		}
		q := ""
		if len(a.Query.list) == 1 {
			q = a.Query.list[0]
		}
		topK := 0
		if a.TopK != nil {
			topK = *a.TopK
		}
		out, err = s.Search(ctx, q, topK)
	case ToolVisit:
		var a visitArgs
		if err := decodeArgs(args, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if a.Goal != nil || a.URL.many {
			urls := a.URL.clean()
			if len(urls) == 0 && a.Title != "" {
				urls = []string{a.Title}
			}
			if len(urls) == 0 {
				return nil, fmt.Errorf("visit: %w: url is empty", ErrBadArgument)
			}
			goal := ""
			if a.Goal != nil {
				goal = *a.Goal
			}
			out = s.tongyiVisit(ctx, urls, goal)
			break
		}
		ref := ""
		if len(a.URL.list) == 1 {
			ref = a.URL.list[0]
		}
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
	case ToolScholar:
		var a scholarArgs
		if err := decodeArgs(args, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		qs := a.Query.clean()
		if len(qs) == 0 {
			return nil, fmt.Errorf("google_scholar: %w: query is empty", ErrBadArgument)
		}
		s.count(len(qs))
		out = TongyiScholar(ctx, s.provider, qs)
	case ToolGetDocument:
		var a docArgs
		if err := decodeArgs(args, &a); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out, err = s.GetDocument(ctx, a.DocID)
	default:
		return nil, fmt.Errorf("%w %q: the web tools are search, visit, find, google_scholar and get_document", ErrUnknownTool, name)
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

// tongyiVisit runs Tongyi's visit over the session's provider, noting
// the pages read.
func (s *Session) tongyiVisit(ctx context.Context, urls []string, goal string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		text, page, err := TongyiVisitOne(ctx, s.provider, u, goal)
		if err == nil {
			s.noteOpened(cmpOr(page.URL, u))
		}
		out[i] = text
	}
	return strings.TrimSpace(strings.Join(out, TongyiSeparator))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// GetDocument runs get_document: the whole document with the ID (or,
// failing that, the URL or title) docid.
func (s *Session) GetDocument(ctx context.Context, docid string) (DocumentResponse, error) {
	if err := ctx.Err(); err != nil {
		return DocumentResponse{}, err
	}
	docid = strings.TrimSpace(docid)
	if docid == "" {
		return DocumentResponse{}, fmt.Errorf("get_document: %w: docid is empty", ErrBadArgument)
	}
	var (
		doc corpus.Document
		err error
	)
	if d, ok := s.searcher.(interface {
		Document(string) (corpus.Document, error)
	}); ok {
		doc, err = d.Document(docid)
	}
	if doc.ID == "" {
		doc, err = s.searcher.Page(docid)
	}
	if errors.Is(err, index.ErrNotFound) {
		return DocumentResponse{}, fmt.Errorf("get_document %q: %w", docid, ErrNotFound)
	}
	if err != nil {
		return DocumentResponse{}, fmt.Errorf("get_document %q: %w", docid, err)
	}
	s.noteOpened(doc.ID)
	return DocumentResponse{DocID: doc.ID, Title: doc.Title, URL: doc.URL, Text: doc.Text}, nil
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
