package index

import (
	"strings"

	"fmt"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"
)

// Field names in the bleve indexes.
const (
	fieldTitle    = "title"     // analysed with "en", stored
	fieldText     = "text"      // analysed with "en", stored
	fieldURL      = "url"       // keyword, stored: lookup by URL
	fieldTitleKey = "title_key" // keyword of foldTitle(title): lookup by title
	fieldDoc      = "doc"       // passages: the parent document's ID, stored
	fieldTo       = "to"        // redirects: the target title, stored
)

// englishField is a full-text field: English analysis (possessives,
// lower case, stop words, Porter stems), stored for display, without term
// vectors or doc values, which search does not use and which would slow
// the build and grow the index.
func englishField() *mapping.FieldMapping {
	f := mapping.NewTextFieldMapping()
	f.Analyzer = en.AnalyzerName
	f.Store = true
	f.Index = true
	f.IncludeTermVectors = false
	f.IncludeInAll = false
	f.DocValues = false
	return f
}

// keywordField is an exact-match field.
func keywordField(store, indexed bool) *mapping.FieldMapping {
	f := mapping.NewKeywordFieldMapping()
	f.Analyzer = keyword.Name
	f.Store = store
	f.Index = indexed
	f.IncludeTermVectors = false
	f.IncludeInAll = false
	f.DocValues = false
	return f
}

// storedField is a field that is kept for display but not searchable.
func storedField() *mapping.FieldMapping {
	return keywordField(true, false)
}

// newMapping returns an index mapping with BM25 scoring, no dynamic
// fields and a default document mapping holding exactly fields.
func newMapping(fields map[string]*mapping.FieldMapping) *mapping.IndexMappingImpl {
	dm := mapping.NewDocumentStaticMapping()
	for name, f := range fields {
		dm.AddFieldMappingsAt(name, f)
	}
	// No "_all" composite field: queries name their fields.
	dm.AddSubDocumentMapping("_all", mapping.NewDocumentDisabledMapping())
	im := bleve.NewIndexMapping()
	im.DefaultMapping = dm
	im.DefaultAnalyzer = en.AnalyzerName
	im.ScoringModel = bleveindex.BM25Scoring
	im.StoreDynamic = false
	im.IndexDynamic = false
	im.DocValuesDynamic = false
	return im
}

// documentFields are the fields of the documents index.
func documentFields() map[string]*mapping.FieldMapping {
	return map[string]*mapping.FieldMapping{
		fieldTitle:    englishField(),
		fieldText:     englishField(),
		fieldURL:      keywordField(true, true),
		fieldTitleKey: keywordField(false, true),
	}
}

// passageFields are the fields of the passages index.
func passageFields() map[string]*mapping.FieldMapping {
	return map[string]*mapping.FieldMapping{
		fieldTitle: englishField(),
		fieldText:  englishField(),
		fieldDoc:   storedField(),
	}
}

// redirectFields are the fields of the redirects index: only the stored
// target; lookups go by document ID.
func redirectFields() map[string]*mapping.FieldMapping {
	return map[string]*mapping.FieldMapping{
		fieldTo: storedField(),
	}
}

// schema is one index's mapping and what it takes to turn values into
// analysed bleve fields without going through the mapping's reflection.
type schema struct {
	mapping   *mapping.IndexMappingImpl
	options   map[string]bleveindex.FieldIndexingOptions
	analyzers map[string]analysis.Analyzer
}

func newSchema(fields map[string]*mapping.FieldMapping) (*schema, error) {
	s := &schema{
		mapping:   newMapping(fields),
		options:   make(map[string]bleveindex.FieldIndexingOptions, len(fields)),
		analyzers: make(map[string]analysis.Analyzer, len(fields)),
	}
	if err := s.mapping.Validate(); err != nil {
		return nil, fmt.Errorf("index mapping: %w", err)
	}
	for name, f := range fields {
		s.options[name] = f.Options()
		a := s.mapping.AnalyzerNamed(f.Analyzer)
		if a == nil {
			return nil, fmt.Errorf("index mapping: field %s: no analyzer %q", name, f.Analyzer)
		}
		s.analyzers[name] = a
	}
	return s, nil
}

// field returns the field name of the schema holding value, already
// analysed if it is indexed. Analysing here lets the builder's workers do
// it in parallel; the segment builder then finds nothing left to do.
func (s *schema) field(name, value string) document.Field {
	f := document.NewTextFieldCustom(name, nil, []byte(value), s.options[name], s.analyzers[name])
	if !s.options[name].IsIndexed() {
		return f
	}
	f.Analyze()
	return analyzedField{f}
}

// analyze runs the analyser of field name on value.
func (s *schema) analyze(name, value string) analysis.TokenStream {
	return s.analyzers[name].Analyze([]byte(value))
}

// analyzedField returns the indexed field name holding value, whose
// analysis gave tokens.
func (s *schema) analyzedField(name, value string, tokens analysis.TokenStream) document.Field {
	f := document.NewTextFieldCustom(name, nil, []byte(value), s.options[name], fixedTokens(tokens))
	f.Analyze()
	return analyzedField{f}
}

// fixedTokens is an analyser that gives the tokens of an earlier analysis.
type fixedTokens analysis.TokenStream

// Analyze returns the tokens, whatever the input.
func (t fixedTokens) Analyze([]byte) analysis.TokenStream { return analysis.TokenStream(t) }

// analyzedField is a text field whose analysis is done: analysing it again
// keeps the result.
type analyzedField struct {
	*document.TextField
}

// Analyze keeps the analysis already done.
func (analyzedField) Analyze() {}

// foldTitle is the case-insensitive key of a title: underscores read as
// spaces, runs of white space collapsed, letters in lower case.
func foldTitle(title string) string {
	title = strings.ReplaceAll(title, "_", " ")
	return strings.ToLower(strings.Join(strings.Fields(title), " "))
}
