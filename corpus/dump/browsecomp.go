package dump

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/simgym/simgym/corpus/webqa"
)

// BrowseCompSource is the Source of tasks read from BrowseComp-Plus.
const BrowseCompSource = "browsecomp-plus"

// browseCompQuery is one line of BrowseComp-Plus's queries (its dataset
// card's fields): the query, its answer, and the gold and evidence
// documents by docid.
type browseCompQuery struct {
	QueryID      json.RawMessage `json:"query_id"`
	Query        string          `json:"query"`
	Answer       string          `json:"answer"`
	GoldDocs     []browseCompDoc `json:"gold_docs"`
	EvidenceDocs []browseCompDoc `json:"evidence_docs"`
}

type browseCompDoc struct {
	DocID json.RawMessage `json:"docid"`
}

// ReadBrowseCompQueries reads BrowseComp-Plus queries (JSONL, one
// {"query_id", "query", "answer", "gold_docs": [{"docid"}...],
// "evidence_docs": [...]} a line; document texts are ignored) as web
// tasks: the gold documents are the task's Support and the evidence
// documents its Evidence, by ID. Answers score by exact match. Errors
// name the line.
func ReadBrowseCompQueries(r io.Reader, name string) ([]webqa.Task, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	var out []webqa.Task
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return out, fmt.Errorf("%s:%d: %w", name, lineNo, err)
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			var q browseCompQuery
			if jerr := json.Unmarshal(t, &q); jerr != nil {
				return out, fmt.Errorf("%s:%d: %w", name, lineNo, jerr)
			}
			id, ierr := passageID(q.QueryID)
			if ierr != nil || id == "" {
				return out, fmt.Errorf("%s:%d: query_id is missing or bad", name, lineNo)
			}
			if strings.TrimSpace(q.Query) == "" {
				return out, fmt.Errorf("%s:%d: query %s: field query is empty", name, lineNo, id)
			}
			t := webqa.Task{ID: id, Source: BrowseCompSource, Question: q.Query, Answer: q.Answer, AnswerType: "text"}
			for _, d := range q.GoldDocs {
				did, derr := passageID(d.DocID)
				if derr != nil || did == "" {
					return out, fmt.Errorf("%s:%d: query %s: gold_docs: bad docid", name, lineNo, id)
				}
				t.Support = append(t.Support, webqa.Article{ID: did})
			}
			for _, d := range q.EvidenceDocs {
				did, derr := passageID(d.DocID)
				if derr != nil || did == "" {
					return out, fmt.Errorf("%s:%d: query %s: evidence_docs: bad docid", name, lineNo, id)
				}
				t.Evidence = append(t.Evidence, webqa.Evidence{ID: did})
			}
			out = append(out, t)
		}
		if err == io.EOF {
			return out, nil
		}
	}
}
