package webqa

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// MaxQALine bounds the length of one line of a QA file; longer lines are
// skipped.
const MaxQALine = 16 << 20

// MaxQASkips is how many skipped lines QAStats.Skips lists.
const MaxQASkips = 100

// QAOptions tune ReadQA. The zero value is ready to use.
type QAOptions struct {
	// Source names the set ("nq", "hotpotqa"); when empty, a line's
	// "data_source" is used, else "qa".
	Source string
	// Metric is the tasks' metric: "" or "em" for exact match, "f1".
	Metric string
}

// QAStats count what ReadQA read.
type QAStats struct {
	Tasks   int      `json:"tasks"`
	Skipped int      `json:"skipped"`
	Skips   []QASkip `json:"skips,omitempty"`
}

// QASkip is a line that did not become a task.
type QASkip struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// qaLine is one question of a QA file in any of the formats ReadQA knows.
type qaLine struct {
	ID            json.RawMessage `json:"id"`
	HotpotID      json.RawMessage `json:"_id"`
	Question      *string         `json:"question"`
	GoldenAnswers json.RawMessage `json:"golden_answers"`
	Answer        json.RawMessage `json:"answer"`
	Answers       json.RawMessage `json:"answers"`
	DataSource    string          `json:"data_source"`
	Type          string          `json:"type"`
	RewardModel   *struct {
		GroundTruth struct {
			Target json.RawMessage `json:"target"`
		} `json:"ground_truth"`
	} `json:"reward_model"`
}

// ReadQA reads an external question set, one JSON object a line, and
// calls fn with each question as a task. It knows the formats that
// Search-R1 trains and evaluates on: FlashRAG's {"id", "question",
// "golden_answers": [...]} (NQ, TriviaQA, PopQA, HotpotQA, 2Wiki, MuSiQue,
// Bamboogle), HotpotQA's own {"_id", "question", "answer", "type"}, a list
// under "answers", and Search-R1's processed rows with
// reward_model.ground_truth.target. The first answer is the task's
// answer and the others its aliases. Blank lines are ignored; lines
// without a question or an answer are skipped and counted. An error from
// fn stops the reading and is returned.
func ReadQA(ctx context.Context, r io.Reader, opts QAOptions, fn func(Task) error) (QAStats, error) {
	var st QAStats
	skip := func(line int, reason string) {
		st.Skipped++
		if len(st.Skips) < MaxQASkips {
			st.Skips = append(st.Skips, QASkip{Line: line, Reason: reason})
		}
	}
	br := bufio.NewReaderSize(r, 1<<16)
	for lineNo := 1; ; lineNo++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		line, tooLong, err := readQALine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return st, fmt.Errorf("read QA line %d: %w", lineNo, err)
		}
		switch {
		case tooLong:
			skip(lineNo, fmt.Sprintf("line longer than %d bytes", MaxQALine))
		case len(bytes.TrimSpace(line)) > 0:
			t, reason := parseQA(line, lineNo, opts)
			if reason != "" {
				skip(lineNo, reason)
				break
			}
			if ferr := fn(t); ferr != nil {
				return st, ferr
			}
			st.Tasks++
		}
		if errors.Is(err, io.EOF) {
			return st, nil
		}
	}
}

// readQALine reads one line, without its end; a line longer than
// MaxQALine is read to its end and reported as too long.
func readQALine(br *bufio.Reader) ([]byte, bool, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) <= MaxQALine {
			line = append(line, chunk...)
		} else {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			if err != nil && !errors.Is(err, io.EOF) {
				return nil, false, err
			}
			return nil, true, err
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), false, err
	}
}

// parseQA turns one line into a task, or says why it cannot.
func parseQA(line []byte, lineNo int, opts QAOptions) (Task, string) {
	var q qaLine
	if err := json.Unmarshal(line, &q); err != nil {
		return Task{}, "not a JSON object: " + truncate(err.Error(), 100)
	}
	if q.Question == nil || strings.TrimSpace(*q.Question) == "" {
		return Task{}, "no question"
	}
	var answers []string
	for _, raw := range []json.RawMessage{q.GoldenAnswers, q.Answer, q.Answers, rewardTarget(&q)} {
		answers = appendAnswers(answers, raw)
	}
	if len(answers) == 0 {
		return Task{}, "no answer"
	}
	source := opts.Source
	if source == "" {
		source = q.DataSource
	}
	if source == "" {
		source = "qa"
	}
	id := rawID(q.ID)
	if id == "" {
		id = rawID(q.HotpotID)
	}
	if id == "" {
		id = strconv.Itoa(lineNo)
	}
	t := Task{
		ID:       source + "-" + id,
		Source:   source,
		Question: strings.TrimSpace(*q.Question),
		Answer:   answers[0],
		Aliases:  answers[1:],
		Metric:   opts.Metric,
		Kinds:    []string{KindExternal},
	}
	switch strings.ToLower(q.Type) {
	case "bridge":
		t.Kinds, t.Hops = []string{KindBridge, KindExternal}, 2
	case "comparison":
		t.Kinds, t.Hops = []string{KindComparison, KindExternal}, 2
	}
	return t, ""
}

func rewardTarget(q *qaLine) json.RawMessage {
	if q.RewardModel == nil {
		return nil
	}
	return q.RewardModel.GroundTruth.Target
}

// appendAnswers adds the answers in raw (a string or a list of strings;
// anything else is ignored) that are new and do not normalise to nothing.
func appendAnswers(answers []string, raw json.RawMessage) []string {
	if len(raw) == 0 {
		return answers
	}
	var list []string
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		var mixed []any // a list with numbers in it
		if json.Unmarshal(raw, &mixed) != nil {
			return answers
		}
		list = nil // the failed decoding may have filled some
		for _, m := range mixed {
			switch v := m.(type) {
			case string:
				list = append(list, v)
			case float64:
				list = append(list, strconv.FormatFloat(v, 'f', -1, 64))
			}
		}
	}
	for _, a := range list {
		a = strings.TrimSpace(a)
		if Normalize(a) == "" {
			continue
		}
		dup := false
		for _, b := range answers {
			if b == a {
				dup = true
				break
			}
		}
		if !dup {
			answers = append(answers, a)
		}
	}
	return answers
}

// rawID reads an ID given as a string or a number.
func rawID(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
