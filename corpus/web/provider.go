package web

import "context"

// Provider answers what Tongyi's agents and BrowseComp-Plus ask of web
// providers: a Serper-style web search, a Serper Scholar search and a
// Jina Reader-style page read. The offline corpus is one Provider; the
// gateway in front of the real providers is another, falling back to the
// offline one. The HTTP endpoints (/search, /scholar, /{url}) and the
// Tongyi-format tools of the web environment run over a Provider.
type Provider interface {
	Search(ctx context.Context, q SearchQuery) (SerperResponse, error)
	Scholar(ctx context.Context, q SearchQuery) (ScholarResponse, error)
	Read(ctx context.Context, url string) (Page, error)
}

// SearchQuery is one Serper request: {"q", "num", "gl", "hl",
// "location", "page"}.
type SearchQuery struct {
	Q        string `json:"q"`
	Num      int    `json:"num,omitempty"`
	GL       string `json:"gl,omitempty"`
	HL       string `json:"hl,omitempty"`
	Location string `json:"location,omitempty"`
	Page     int    `json:"page,omitempty"`
}

// OrganicResult is one result of a Serper web search.
type OrganicResult struct {
	Title    string `json:"title"`
	Link     string `json:"link"`
	Snippet  string `json:"snippet"`
	Date     string `json:"date,omitempty"`
	Position int    `json:"position"`
}

// SerperResponse is a Serper web search's reply. Fallback is "offline"
// when the gateway answered from the offline corpus.
type SerperResponse struct {
	SearchParameters map[string]any  `json:"searchParameters"`
	Organic          []OrganicResult `json:"organic"`
	Fallback         string          `json:"fallback,omitempty"`
}

// ScholarResult is one result of a Serper Scholar search.
type ScholarResult struct {
	Title           string `json:"title"`
	Link            string `json:"link"`
	Snippet         string `json:"snippet"`
	PublicationInfo string `json:"publicationInfo,omitempty"`
	Year            int    `json:"year,omitempty"`
	CitedBy         int    `json:"citedBy,omitempty"`
	// PDFURL is where the full text is; Tongyi's google_scholar shows
	// it as the result's only link. Added after the first version of
	// this contract; empty means none.
	PDFURL   string `json:"pdfUrl,omitempty"`
	Position int    `json:"position"`
}

// ScholarResponse is a Serper Scholar search's reply.
type ScholarResponse struct {
	SearchParameters map[string]any  `json:"searchParameters"`
	Organic          []ScholarResult `json:"organic"`
	Fallback         string          `json:"fallback,omitempty"`
}

// Page is a page as Jina Reader returns it: title, URL and the content
// as Markdown. Fallback is "offline" when the gateway answered from the
// offline corpus.
type Page struct {
	Title    string `json:"title"`
	URL      string `json:"url"`
	Content  string `json:"content"`
	Fallback string `json:"fallback,omitempty"`
}
