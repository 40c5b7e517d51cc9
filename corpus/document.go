// Package corpus holds simgym's offline web: documents read from MediaWiki
// dumps, JSONL passage files and SimWiki, their Bleve index, and the web
// tools (search, visit, find) that research agents use in episodes.
//
// Sub-packages provide the parts: corpus/wikitext turns wikitext into clean
// text, corpus/dump streams MediaWiki XML and JSONL passages, corpus/index
// builds and serves the search index, corpus/web gives agents search,
// visit and find (and serves Search-R1's /retrieve), corpus/simwiki
// generates a synthetic encyclopedia, and corpus/webqa makes and scores
// web-research questions.
package corpus

// Document is one article (or one passage file entry) in clean text, the
// unit that every reader produces and the index stores.
type Document struct {
	// ID is stable for a given input: the page id of a dump, the "id" of a
	// passage line, or a SimWiki entity id.
	ID string `json:"id"`
	// Title is the article title as shown to agents.
	Title string `json:"title"`
	// Text is the clean text: no markup, section headings on lines of
	// their own, paragraphs separated by blank lines.
	Text string `json:"text"`
	// URL is how visit addresses the page: an https:// URL
	// ("https://en.wikipedia.org/wiki/Title_With_Underscores" for dumps,
	// "https://simwiki.local/wiki/..." for SimWiki) unless the source
	// gives one.
	URL string `json:"url,omitempty"`
	// Sections are the headings in order, with their level (2 for ==x==).
	Sections []Section `json:"sections,omitempty"`
	// Links are the titles this article links to, in first-seen order,
	// without duplicates.
	Links []string `json:"links,omitempty"`
	// Facts are infobox key-value pairs in clean text.
	Facts []Fact `json:"facts,omitempty"`
	// Categories are the article's category names, without "Category:".
	Categories []string `json:"categories,omitempty"`
	// Disambiguation marks disambiguation pages.
	Disambiguation bool `json:"disambiguation,omitempty"`
}

// Section is a heading in a document.
type Section struct {
	Title string `json:"title"`
	Level int    `json:"level"`
}

// Fact is one infobox field.
type Fact struct {
	// Infobox is the infobox template name ("settlement", "person"), lower case.
	Infobox string `json:"infobox,omitempty"`
	Key     string `json:"key"`
	Value   string `json:"value"`
}

// Redirect records that From (a title) leads to To (a title).
type Redirect struct {
	From string `json:"from"`
	To   string `json:"to"`
}
