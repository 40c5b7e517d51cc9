package webqa

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Task kinds: the kinds of uncertainty a question holds, and what its
// answer is made of. A task may have several.
const (
	// KindObscured: some entity on the way is described, not named.
	KindObscured = "obscured"
	// KindFullyObscured: no entity is named at all; the search starts
	// from descriptions alone.
	KindFullyObscured = "fully_obscured"
	// KindFuzzyDate: a date or year is given as a range ("in the early
	// 1870s", "between 1838 and 1844").
	KindFuzzyDate = "fuzzy_date"
	// KindFuzzyNumber: a number is given as a range ("between 40,000 and
	// 50,000", "about 45,000").
	KindFuzzyNumber = "fuzzy_number"
	// KindAmbiguous: a name in the question fits several entities; only
	// the other facts tell which one is meant.
	KindAmbiguous = "ambiguous"
	// KindCycle: the facts form a cycle, so one entity is reached by two
	// paths that must agree.
	KindCycle = "cycle"
	// KindCalculation: the answer is computed from two facts (the years
	// between two events).
	KindCalculation = "calculation"
	// KindLookup: a single fact of a named article (real Wikipedia).
	KindLookup = "lookup"
	// KindBridge: two facts chained through a link (real Wikipedia,
	// HotpotQA's bridge questions).
	KindBridge = "bridge"
	// KindComparison: HotpotQA's comparison questions.
	KindComparison = "comparison"
	// KindExternal: a question from an external QA set.
	KindExternal = "external"
)

// Task sources.
const (
	SourceSimWiki   = "simwiki"
	SourceWikipedia = "wikipedia"
)

// Metrics a task is scored with.
const (
	// MetricEM is normalised exact match (the default).
	MetricEM = "em"
	// MetricF1 is token F1.
	MetricF1 = "f1"
)

// Derivations of the answer from the evidence.
const (
	// DeriveValue: the answer is what the last evidence reads (the default).
	DeriveValue = ""
	// DeriveYearsBetween: the answer is the number of years between the
	// years that the last two evidence read.
	DeriveYearsBetween = "years_between"
)

// Task is one web-research question with its ground truth.
type Task struct {
	// ID is unique within a task set and stable for a seed.
	ID string `json:"id"`
	// Source is where the task comes from: "simwiki", "wikipedia", or an
	// external set's name ("nq", "hotpotqa").
	Source string `json:"source"`
	// Question is what the agent is asked.
	Question string `json:"question"`
	// Answer is the ground truth, and Aliases other accepted answers.
	Answer  string   `json:"answer"`
	Aliases []string `json:"aliases,omitempty"`
	// AnswerType says what the answer is: "entity", "year", "date",
	// "number", "text".
	AnswerType string `json:"answer_type,omitempty"`
	// Metric is how answers are scored: "em" (when empty) or "f1".
	Metric string `json:"metric,omitempty"`
	// Kinds are the task's kinds (the Kind constants), sorted.
	Kinds []string `json:"kinds,omitempty"`
	// Hops is the number of relations between entities that the
	// question's facts follow.
	Hops int `json:"hops"`
	// Shape is the Weisfeiler-Lehman hash of the question's graph: tasks
	// with the same shape differ only in names and values.
	Shape string `json:"shape,omitempty"`
	// Support are the articles that hold the evidence, in order.
	Support []Article `json:"support,omitempty"`
	// Evidence are the facts that lead to the answer, in reading order;
	// Derive says how the answer follows from them.
	Evidence []Evidence `json:"evidence,omitempty"`
	Derive   string     `json:"derive,omitempty"`
}

// Article names a document of the corpus.
type Article struct {
	ID    string `json:"id,omitempty"`
	Title string `json:"title"`
}

// Evidence is one fact read in an article.
type Evidence struct {
	ID    string `json:"id,omitempty"`
	Title string `json:"title"`
	// Key is the label of the fact's line ("Key: value") in the article;
	// empty when what is read is the article's own title (the answer is
	// the entity the article is about), or when the value stands in the
	// text without a label (real Wikipedia).
	Key string `json:"key,omitempty"`
	// Value is what the article says.
	Value string `json:"value"`
	// InText marks a value that stands somewhere in the article's text,
	// not on a "Key: value" line.
	InText bool `json:"in_text,omitempty"`
}

// Answers returns the answer and its aliases.
func (t *Task) Answers() []string {
	return append([]string{t.Answer}, t.Aliases...)
}

// Reward scores a final answer: normalised exact match against the
// answer and each alias, or the best token F1 when Metric is "f1".
func (t *Task) Reward(answer string) float64 {
	if t.Metric == MetricF1 {
		return F1(answer, t.Answers())
	}
	if ExactMatch(answer, t.Answers()) {
		return 1
	}
	return 0
}

// WriteJSONL writes tasks one JSON object a line.
func WriteJSONL(w io.Writer, tasks []Task) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range tasks {
		if err := enc.Encode(&tasks[i]); err != nil {
			return fmt.Errorf("write task %s: %w", tasks[i].ID, err)
		}
	}
	return bw.Flush()
}

// ReadJSONL reads tasks written by WriteJSONL.
func ReadJSONL(r io.Reader) ([]Task, error) {
	dec := json.NewDecoder(r)
	var tasks []Task
	for {
		var t Task
		err := dec.Decode(&t)
		if err == io.EOF {
			return tasks, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read task %d: %w", len(tasks)+1, err)
		}
		tasks = append(tasks, t)
	}
}
