package gym_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/simgym/simgym/corpus/web"
	"github.com/simgym/simgym/env/client"
	"github.com/simgym/simgym/env/protocol"
)

// tongyiBrowser is webqa.Oracle's browser over the gym's Tongyi-format
// tools: search with a list of queries (Tongyi's text, parsed back into
// results), and visit with a goal standing for find: the evidence lines
// that hold the pattern are the matches.
type tongyiBrowser struct {
	c       *client.Client
	episode string
	st      *tongyiState
}

type tongyiState struct {
	inHand string            // URL (or title) of the page in hand
	titles map[string]string // result links to their titles
}

func newTongyiBrowser(c *client.Client, episode string) tongyiBrowser {
	return tongyiBrowser{c, episode, &tongyiState{titles: map[string]string{}}}
}

func (b tongyiBrowser) text(ctx context.Context, tool string, args map[string]any) (string, error) {
	r, err := b.c.Step(ctx, b.episode, protocol.Call(tool, args))
	if err != nil {
		return "", err
	}
	var s string
	if json.Unmarshal(r.Observation, &s) != nil {
		return "", errors.New(string(r.Observation))
	}
	return s, nil
}

var tongyiResult = regexp.MustCompile(`(?m)^\d+\. \[(.*)\]\((\S+)\)$`)

func (b tongyiBrowser) Search(ctx context.Context, q string, k int) (web.SearchResponse, error) {
	s, err := b.text(ctx, "search", map[string]any{"query": []string{q}})
	if err != nil {
		return web.SearchResponse{}, err
	}
	out := web.SearchResponse{Query: q}
	for _, m := range tongyiResult.FindAllStringSubmatch(s, -1) {
		out.Results = append(out.Results, web.SearchResult{Title: m[1], URL: m[2]})
		b.st.titles[m[2]] = m[1]
	}
	return out, nil
}

func (b tongyiBrowser) Visit(ctx context.Context, ref string, page int) (web.VisitResponse, error) {
	s, err := b.text(ctx, "visit", map[string]any{"url": ref, "goal": "title"})
	if err != nil {
		return web.VisitResponse{}, err
	}
	if strings.Contains(s, "could not be accessed") {
		return web.VisitResponse{}, errors.New(s)
	}
	b.st.inHand = ref
	title := ref // visited by title when search did not find it
	if t, ok := b.st.titles[ref]; ok {
		title = t
	}
	return web.VisitResponse{Title: title, URL: ref, Page: 1, Pages: 1}, nil
}

func (b tongyiBrowser) Find(ctx context.Context, pattern string) (web.FindResponse, error) {
	s, err := b.text(ctx, "visit", map[string]any{"url": b.st.inHand, "goal": pattern})
	if err != nil {
		return web.FindResponse{}, err
	}
	_, ev, _ := strings.Cut(s, "Evidence in page: \n")
	ev, _, _ = strings.Cut(ev, "\n\nSummary: \n")
	out := web.FindResponse{Pattern: pattern}
	for line := range strings.Lines(ev) {
		line = strings.TrimSpace(line)
		if strings.Contains(strings.ToLower(line), strings.ToLower(pattern)) {
			out.Total++
			out.Matches = append(out.Matches, web.FindMatch{Page: 1, Text: line})
		}
	}
	return out, nil
}
