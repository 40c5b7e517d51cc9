package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ExtractorModel is the model name POST /v1/chat/completions answers as.
const ExtractorModel = "simgym-extractor"

// Bounds of an extraction.
const (
	// MaxEvidencePassages bounds the passages quoted as evidence.
	MaxEvidencePassages = 5
	summaryChars        = 400
	// phraseBonus is added to a passage that holds the whole goal.
	phraseBonus = 10
)

// Extraction is what the extractor makes of a page for a goal, in the
// JSON object Tongyi's visit parses: "rational", "evidence", "summary".
type Extraction struct {
	Rational string `json:"rational"`
	Evidence string `json:"evidence"`
	Summary  string `json:"summary"`
}

// Extract picks the passages (non-empty lines) of content that best match
// goal, by BM25 over the passages with a bonus for a passage holding the
// whole goal (ignoring case), and quotes up to MaxEvidencePassages of
// them verbatim, in page order, as the evidence. A Jina text's header
// ("Title:", "URL Source:") is skipped when "Markdown Content:" is
// present. It is deterministic.
func Extract(content, goal string) Extraction {
	if _, body, ok := strings.Cut(content, "\nMarkdown Content:\n"); ok {
		content = body
	}
	var passages []string
	for line := range strings.Lines(content) {
		if line = strings.TrimSpace(line); line != "" {
			passages = append(passages, line)
		}
	}
	if len(passages) == 0 {
		return Extraction{
			Rational: "The page is empty.",
			Evidence: "The page has no text.",
			Summary:  "The page has no text, so it holds nothing for the goal.",
		}
	}
	terms := uniqueTerms(goal)
	scores := bm25(passages, terms)
	phrase := strings.ToLower(strings.TrimSpace(goal))
	if len([]rune(phrase)) >= 2 {
		for i, p := range passages {
			if strings.Contains(strings.ToLower(p), phrase) {
				scores[i] += phraseBonus
			}
		}
	}
	order := make([]int, len(passages))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	var picked []int
	for _, i := range order[:min(MaxEvidencePassages, len(order))] {
		if scores[i] > 0 {
			picked = append(picked, i)
		}
	}
	if len(picked) == 0 {
		return Extraction{
			Rational: fmt.Sprintf("None of the page's %d passages mentions the goal's terms (%s); the opening passage is quoted.", len(passages), strings.Join(terms, ", ")),
			Evidence: passages[0],
			Summary:  "The page does not appear to address the goal. It opens: " + cutWords(passages[0], summaryChars),
		}
	}
	best := picked[0]
	slices.Sort(picked)
	quoted := make([]string, len(picked))
	nums := make([]string, len(picked))
	for j, i := range picked {
		quoted[j] = passages[i]
		nums[j] = strconv.Itoa(i + 1)
	}
	return Extraction{
		Rational: fmt.Sprintf("Passages %s of %d of the page best match the goal's terms (%s).", strings.Join(nums, ", "), len(passages), strings.Join(terms, ", ")),
		Evidence: strings.Join(quoted, "\n"),
		Summary:  "The passage that bears most on the goal says: " + cutWords(passages[best], summaryChars),
	}
}

// cutWords cuts s to at most n bytes at a word boundary, marking the cut.
func cutWords(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cutAt(s, 0, n)
}

var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("a an and are as at be by for from has have in is it its of on or that the this to was were what when where which who whom why with how does did do find information about page") {
		stopWords[w] = true
	}
}

// terms splits text into lower-case words, stop words dropped.
func terms(text string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if !stopWords[f] {
			out = append(out, f)
		}
	}
	return out
}

func uniqueTerms(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range terms(text) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// bm25 scores each passage against the query terms (k1 1.2, b 0.75).
func bm25(passages, query []string) []float64 {
	const k1, b = 1.2, 0.75
	tfs := make([]map[string]int, len(passages))
	lens := make([]int, len(passages))
	df := map[string]int{}
	total := 0
	for i, p := range passages {
		tf := map[string]int{}
		for _, t := range terms(p) {
			tf[t]++
			lens[i]++
		}
		for t := range tf {
			df[t]++
		}
		tfs[i] = tf
		total += lens[i]
	}
	avg := math.Max(1, float64(total)/float64(len(passages)))
	n := float64(len(passages))
	scores := make([]float64, len(passages))
	for _, q := range query {
		if df[q] == 0 {
			continue
		}
		idf := math.Log(1 + (n-float64(df[q])+0.5)/(float64(df[q])+0.5))
		for i, tf := range tfs {
			if f := float64(tf[q]); f > 0 {
				scores[i] += idf * f * (k1 + 1) / (f + k1*(1-b+b*float64(lens[i])/avg))
			}
		}
	}
	return scores
}

// Markers of Tongyi's EXTRACTOR_PROMPT.
const (
	markContent    = "## **Webpage Content**"
	markGoal       = "## **User Goal**"
	markGuidelines = "## **Task Guidelines**"
)

// ParseExtractorPrompt reads the page and goal out of a prompt in the
// form of Tongyi's EXTRACTOR_PROMPT.
func ParseExtractorPrompt(prompt string) (content, goal string, ok bool) {
	_, rest, ok := strings.Cut(prompt, markContent)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, markGoal)
	if i < 0 {
		return "", "", false
	}
	content, goal = rest[:i], rest[i+len(markGoal):]
	if j := strings.Index(goal, markGuidelines); j >= 0 {
		goal = goal[:j]
	}
	return strings.TrimSpace(content), strings.TrimSpace(goal), true
}

// ChatRequest is the part of an OpenAI chat-completions request the
// extractor reads.
type ChatRequest struct {
	Model    string        `json:"model"`
	Messages []ChatMessage `json:"messages"`
}

// ChatMessage is one message; Content is a string or a list of parts
// ({"type": "text", "text": ...}).
type ChatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns a message's text.
func (m ChatMessage) text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(m.Content, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" || p.Type == "" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// ChatResponse is an OpenAI chat-completions reply.
type ChatResponse struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []ChatChoice `json:"choices"`
	Usage   ChatUsage    `json:"usage"`
}

// ChatChoice is one choice of a reply.
type ChatChoice struct {
	Index        int        `json:"index"`
	Message      ChatOutput `json:"message"`
	FinishReason string     `json:"finish_reason"`
	Logprobs     *struct{}  `json:"logprobs"`
}

// ChatOutput is the assistant message of a choice.
type ChatOutput struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatUsage counts tokens, here words.
type ChatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type openAIError struct {
	Error openAIErrorBody `json:"error"`
}

type openAIErrorBody struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    string `json:"code"`
}

// ExtractorHandler serves POST /v1/chat/completions as model
// simgym-extractor: the last user message must be Tongyi's
// EXTRACTOR_PROMPT filled with a page and a goal, and the reply's content
// is the Extraction as a JSON object. Any other model is a 404, a prompt
// of another form a 400, both in OpenAI's error shape.
func ExtractorHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail := func(status int, code, msg string) {
			writeSerperJSON(w, status, openAIError{openAIErrorBody{Message: msg, Type: "invalid_request_error", Code: code}})
		}
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			fail(http.StatusMethodNotAllowed, "method_not_allowed", "use POST")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 32<<20))
		if err != nil {
			fail(http.StatusRequestEntityTooLarge, "too_large", "request body too large or unreadable: "+err.Error())
			return
		}
		var req ChatRequest
		if err := json.Unmarshal(body, &req); err != nil {
			fail(http.StatusBadRequest, "bad_json", "request body: "+err.Error())
			return
		}
		if req.Model != ExtractorModel {
			fail(http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q is not served here: simgym serves only %q, the extractive stand-in for the summary model of Tongyi's visit (set SUMMARY_MODEL_NAME=%s)", req.Model, ExtractorModel, ExtractorModel))
			return
		}
		prompt := ""
		for _, m := range slices.Backward(req.Messages) {
			if m.Role == "user" {
				prompt = m.text()
				break
			}
		}
		content, goal, ok := ParseExtractorPrompt(prompt)
		if !ok {
			fail(http.StatusBadRequest, "bad_prompt", fmt.Sprintf("%s reads Tongyi's EXTRACTOR_PROMPT: the last user message must hold %q, then the page, then %q, then the goal", ExtractorModel, markContent, markGoal))
			return
		}
		ex := Extract(content, goal)
		out, _ := json.Marshal(ex)
		h := fnv.New64a()
		h.Write([]byte(prompt))
		pt, ct := len(strings.Fields(prompt)), len(strings.Fields(string(out)))
		writeSerperJSON(w, http.StatusOK, ChatResponse{
			ID: "chatcmpl-simgym-" + strconv.FormatUint(h.Sum64(), 16), Object: "chat.completion", Created: time.Now().Unix(), Model: ExtractorModel,
			Choices: []ChatChoice{{Message: ChatOutput{Role: "assistant", Content: string(out)}, FinishReason: "stop"}},
			Usage:   ChatUsage{PromptTokens: pt, CompletionTokens: ct, TotalTokens: pt + ct},
		})
	})
}
