package gatewaytest

import (
	"context"

	"github.com/simgym/simgym/corpus/web"
)

// Offline is an offline Provider whose answers name their request, so a
// test can tell an offline answer from a provider's.
type Offline struct{}

var _ web.Provider = Offline{}

// Search answers one result.
func (Offline) Search(_ context.Context, q web.SearchQuery) (web.SerperResponse, error) {
	return web.SerperResponse{SearchParameters: map[string]any{"q": q.Q}, Organic: []web.OrganicResult{{Title: "Offline: " + q.Q, Link: "https://offline.example/search", Snippet: q.Q, Position: 1}}}, nil
}

// Scholar answers one result.
func (Offline) Scholar(_ context.Context, q web.SearchQuery) (web.ScholarResponse, error) {
	return web.ScholarResponse{SearchParameters: map[string]any{"q": q.Q}, Organic: []web.ScholarResult{{Title: "Offline paper: " + q.Q, Link: "https://offline.example/scholar", Position: 1}}}, nil
}

// Read answers a page naming the URL.
func (Offline) Read(_ context.Context, url string) (web.Page, error) {
	return web.Page{Title: "Offline page", URL: url, Content: "Offline text of " + url}, nil
}
