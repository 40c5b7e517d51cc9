package webqa

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus/web"
)

// ErrEvidence means an article did not say what a task's evidence
// records.
var ErrEvidence = errors.New("evidence not found")

// OracleSearchResults is how many search results the oracle looks
// through for an evidence article.
const OracleSearchResults = 10

// OracleRun is what Oracle did and read.
type OracleRun struct {
	// Answer is the answer the oracle derived from what it read.
	Answer string `json:"answer"`
	// Reads are the values read, one per evidence.
	Reads []string `json:"reads"`
	// Searches and Visits count tool calls.
	Searches int `json:"searches"`
	Visits   int `json:"visits"`
	// Unfound counts evidence articles that search did not return among
	// its first OracleSearchResults, which the oracle then visited by
	// title.
	Unfound int `json:"unfound"`
}

// Browser is what the oracle needs of the web tools: a *web.Session, or
// a client that calls them through the gym.
type Browser interface {
	Search(ctx context.Context, query string, topK int) (web.SearchResponse, error)
	Visit(ctx context.Context, ref string, page int) (web.VisitResponse, error)
	Find(ctx context.Context, pattern string) (web.FindResponse, error)
}

// Oracle answers a task by following its evidence with the web tools:
// for each evidence it searches for the article's title, visits the
// result, and reads the fact on the page (with find: the value on the
// "Key: value" line, the title of the page when the key is empty, or the
// value itself when it stands in the text). The answer is derived from
// what was read, as Task.Derive says, never copied from the task. It
// fails with ErrEvidence if a page does not hold its fact.
func Oracle(ctx context.Context, s Browser, t *Task) (OracleRun, error) {
	var run OracleRun
	inHand := "" // the title of the page in hand
	for i, ev := range t.Evidence {
		if inHand != ev.Title {
			title, err := oracleVisit(ctx, s, ev.Title, &run)
			if err != nil {
				return run, fmt.Errorf("task %s evidence %d: %w", t.ID, i+1, err)
			}
			inHand = title
		}
		v, err := oracleRead(ctx, s, ev, inHand)
		if err != nil {
			return run, fmt.Errorf("task %s evidence %d (%s: %s): %w", t.ID, i+1, ev.Title, ev.Key, err)
		}
		run.Reads = append(run.Reads, v)
	}
	if len(run.Reads) == 0 {
		return run, fmt.Errorf("task %s: %w: no evidence", t.ID, ErrEvidence)
	}
	switch t.Derive {
	case DeriveYearsBetween:
		if len(run.Reads) < 2 {
			return run, fmt.Errorf("task %s: %w: two dates needed", t.ID, ErrEvidence)
		}
		a, errA := lastYear(run.Reads[len(run.Reads)-2])
		b, errB := lastYear(run.Reads[len(run.Reads)-1])
		if errA != nil || errB != nil {
			return run, fmt.Errorf("task %s: %w: no years in %q and %q", t.ID, ErrEvidence, run.Reads[len(run.Reads)-2], run.Reads[len(run.Reads)-1])
		}
		run.Answer = strconv.Itoa(abs(a - b))
	default:
		run.Answer = run.Reads[len(run.Reads)-1]
	}
	return run, nil
}

// oracleVisit searches for a title and visits the result that has it,
// or visits the title directly if search does not find it.
func oracleVisit(ctx context.Context, s Browser, title string, run *OracleRun) (string, error) {
	res, err := s.Search(ctx, title, OracleSearchResults)
	run.Searches++
	if err != nil {
		return "", err
	}
	ref := ""
	for _, h := range res.Results {
		if h.Title == title {
			ref = h.URL
			break
		}
	}
	if ref == "" {
		run.Unfound++
		ref = title
	}
	run.Visits++
	page, err := s.Visit(ctx, ref, 1)
	return page.Title, err
}

// oracleRead reads one evidence on the page in hand.
func oracleRead(ctx context.Context, s Browser, ev Evidence, inHand string) (string, error) {
	switch {
	case ev.Key != "" && !ev.InText:
		res, err := s.Find(ctx, ev.Key+":")
		if err != nil {
			return "", err
		}
		prefix := strings.ToLower(ev.Key + ":")
		for _, m := range res.Matches {
			if strings.HasPrefix(strings.ToLower(m.Text), prefix) {
				return strings.TrimSpace(m.Text[len(prefix):]), nil
			}
		}
		return "", ErrEvidence
	case ev.InText:
		res, err := s.Find(ctx, ev.Value)
		if err != nil {
			return "", err
		}
		if res.Total == 0 {
			return "", ErrEvidence
		}
		return ev.Value, nil
	}
	return inHand, nil
}

// lastYear reads the year at the end of a year or date ("1841", "12 March
// 1841").
func lastYear(s string) (int, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return 0, strconv.ErrSyntax
	}
	return strconv.Atoi(f[len(f)-1])
}
