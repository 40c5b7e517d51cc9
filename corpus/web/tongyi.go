package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Tongyi's tools (Alibaba-NLP/DeepResearch's search, visit and
// google_scholar) render their results as text; these functions render
// the same text over a Provider, for the web environment's tools.

// TongyiSeparator joins the results of several queries or URLs.
const TongyiSeparator = "\n=======\n"

// TongyiResults is how many results a Tongyi search shows per query.
const TongyiResults = 10

// TongyiSearch renders Provider searches as Tongyi's search tool does:
// per query "A Google search for '{q}' found N results:\n\n## Web
// Results\n1. [title](link)\n\nsnippet...", queries joined by
// TongyiSeparator. A query with no results, or whose search fails, gets
// Tongyi's "No results found" line.
func TongyiSearch(ctx context.Context, p Provider, queries []string) string {
	out := make([]string, len(queries))
	for i, q := range queries {
		res, err := p.Search(ctx, SearchQuery{Q: q, Num: TongyiResults})
		if err != nil || len(res.Organic) == 0 {
			out[i] = fmt.Sprintf("No results found for '%s'. Try with a more general query.", q)
			continue
		}
		items := make([]string, len(res.Organic))
		for j, r := range res.Organic {
			date := ""
			if r.Date != "" {
				date = "\nDate published: " + r.Date
			}
			items[j] = fmt.Sprintf("%d. [%s](%s)%s\n\n%s", j+1, r.Title, r.Link, date, r.Snippet)
		}
		out[i] = fmt.Sprintf("A Google search for '%s' found %d results:\n\n## Web Results\n", q, len(items)) + strings.Join(items, "\n\n")
	}
	return strings.Join(out, TongyiSeparator)
}

// TongyiScholar renders Provider Scholar searches as Tongyi's
// google_scholar tool does: "A Google scholar for '{q}' found N
// results:\n\n## Scholar Results\n1. [title](pdfUrl: ...)\npublicationInfo:
// ...\nDate published: ...\ncitedBy: ...\n\nsnippet".
func TongyiScholar(ctx context.Context, p Provider, queries []string) string {
	out := make([]string, len(queries))
	for i, q := range queries {
		res, err := p.Scholar(ctx, SearchQuery{Q: q})
		if err != nil || len(res.Organic) == 0 {
			out[i] = fmt.Sprintf("No results found for '%s'. Try with a more general query.", q)
			continue
		}
		items := make([]string, len(res.Organic))
		for j, r := range res.Organic {
			var b strings.Builder
			link := "no available link"
			if r.PDFURL != "" {
				link = "pdfUrl: " + r.PDFURL
			}
			fmt.Fprintf(&b, "%d. [%s](%s)", j+1, r.Title, link)
			if r.PublicationInfo != "" {
				b.WriteString("\npublicationInfo: " + r.PublicationInfo)
			}
			if r.Year != 0 {
				b.WriteString("\nDate published: " + strconv.Itoa(r.Year))
			}
			if r.CitedBy != 0 {
				b.WriteString("\ncitedBy: " + strconv.Itoa(r.CitedBy))
			}
			b.WriteString("\n\n" + r.Snippet)
			items[j] = b.String()
		}
		out[i] = fmt.Sprintf("A Google scholar for '%s' found %d results:\n\n## Scholar Results\n", q, len(items)) + strings.Join(items, "\n\n")
	}
	return strings.Join(out, TongyiSeparator)
}

// Tongyi's texts for a page it could not read.
const (
	tongyiNoEvidence = "The provided webpage content could not be accessed. Please check the URL or file format."
	tongyiNoSummary  = "The webpage content could not be processed, and therefore, no information is available."
)

// TongyiVisitOne renders one read of Tongyi's visit: "The useful
// information in {url} for user goal {goal} as follows: \n\nEvidence in
// page: \n...\n\nSummary: \n...\n\n", the evidence and summary from
// Extract over the page. It returns the page read, or an error (the text
// then is Tongyi's could-not-be-accessed form).
func TongyiVisitOne(ctx context.Context, p Provider, url, goal string) (string, Page, error) {
	head := fmt.Sprintf("The useful information in %s for user goal %s as follows: \n\n", url, goal)
	page, err := p.Read(ctx, url)
	if err != nil {
		return head + "Evidence in page: \n" + tongyiNoEvidence + "\n\nSummary: \n" + tongyiNoSummary + "\n\n", Page{}, err
	}
	ex := Extract(RenderJina(page), goal)
	return head + "Evidence in page: \n" + ex.Evidence + "\n\nSummary: \n" + ex.Summary + "\n\n", page, nil
}

// stringOrList is a JSON string or list of strings.
type stringOrList struct {
	list  []string
	isSet bool
	many  bool
}

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		s.list, s.isSet = []string{one}, true
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a string or a list of strings")
	}
	s.list, s.isSet, s.many = many, true, true
	return nil
}

// clean trims the items and drops empty ones.
func (s stringOrList) clean() []string {
	var out []string
	for _, v := range s.list {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
