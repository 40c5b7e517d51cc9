package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/simgym/simgym/env/protocol"
	"github.com/simgym/simgym/eval/chat"
)

// Endpoint is an OpenAI-compatible chat-completions endpoint (OpenAI,
// vLLM, SGLang, llama.cpp's server, Ollama, ...). It bounds the requests
// in flight, retries rate limits (429) and server errors (5xx) with
// exponential backoff, times out each request, and counts tokens. It is
// safe for concurrent use.
type Endpoint struct {
	// BaseURL is the API root, e.g. https://api.openai.com/v1; requests
	// go to BaseURL + "/chat/completions".
	BaseURL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Model names the model.
	Model string
	// Temperature, when set, is sent with each request.
	Temperature *float64
	// MaxTokens, when positive, bounds each completion.
	MaxTokens int
	// Timeout bounds one request (default 2 minutes).
	Timeout time.Duration
	// Retries bounds the retries of one request (default 6; negative: none).
	Retries int
	// Backoff is the first retry's wait, doubled on each retry (default
	// 1 s), never more than MaxBackoff (default 60 s). A Retry-After
	// header, when given, is waited for instead (up to MaxBackoff).
	Backoff, MaxBackoff time.Duration
	// Concurrency bounds the requests in flight (default 8).
	Concurrency int
	// OnRetry, when set, is told of each retry before its wait: the
	// attempt that failed (1 for the first), the wait and the error.
	OnRetry func(attempt int, wait time.Duration, err error)
	// HTTP is the client used (default: a plain http.Client; Timeout
	// applies per request either way).
	HTTP *http.Client

	once     sync.Once
	sem      chan struct{}
	prompt   atomic.Int64
	complete atomic.Int64
	requests atomic.Int64
	retries  atomic.Int64
}

// EndpointError is a reply the endpoint gave with a failing status.
type EndpointError struct {
	Status int
	Body   string
}

func (e *EndpointError) Error() string {
	return fmt.Sprintf("chat completions: %d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}

// Unreachable reports whether a request failed because nothing can
// answer at the endpoint's address: the connection was refused or the
// host name does not resolve. Retrying such a failure only delays it.
func Unreachable(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound
}

// Retryable reports whether a status is worth retrying: rate limits,
// timeouts and server errors.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}

func (e *Endpoint) init() {
	e.once.Do(func() {
		n := e.Concurrency
		if n <= 0 {
			n = 8
		}
		e.sem = make(chan struct{}, n)
	})
}

// Usage returns the tokens and requests counted so far.
func (e *Endpoint) Usage() chat.Usage {
	return chat.Usage{PromptTokens: int(e.prompt.Load()), CompletionTokens: int(e.complete.Load()), Requests: int(e.requests.Load())}
}

// RetriesMade counts the retries made so far.
func (e *Endpoint) RetriesMade() int { return int(e.retries.Load()) }

// completionRequest is the request body.
type completionRequest struct {
	Model       string          `json:"model"`
	Messages    []chat.Message  `json:"messages"`
	Tools       []protocol.Tool `json:"tools,omitempty"`
	ToolChoice  string          `json:"tool_choice,omitempty"`
	Temperature *float64        `json:"temperature,omitempty"`
	MaxTokens   int             `json:"max_tokens,omitempty"`
}

// completionResponse is the part of the reply read.
type completionResponse struct {
	Choices []struct {
		Message struct {
			Role      string          `json:"role"`
			Content   json.RawMessage `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Function struct {
					Name      string          `json:"name"`
					Arguments json.RawMessage `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// Complete asks for the next assistant message of a conversation with
// the given tools.
func (e *Endpoint) Complete(ctx context.Context, msgs []chat.Message, tools []protocol.Tool) (chat.Message, chat.Usage, error) {
	e.init()
	req := completionRequest{Model: e.Model, Messages: msgs, Tools: tools, Temperature: e.Temperature, MaxTokens: e.MaxTokens}
	if len(tools) > 0 {
		req.ToolChoice = "auto"
	}
	body, err := json.Marshal(req)
	if err != nil {
		return chat.Message{}, chat.Usage{}, fmt.Errorf("chat completions: encode request: %w", err)
	}
	retries := e.Retries
	switch {
	case retries == 0:
		retries = 6
	case retries < 0:
		retries = 0
	}
	wait := e.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	maxWait := e.MaxBackoff
	if maxWait <= 0 {
		maxWait = time.Minute
	}
	for attempt := 0; ; attempt++ {
		resp, retryAfter, err := e.post(ctx, body)
		if err == nil {
			return e.decode(resp)
		}
		if ctx.Err() != nil {
			return chat.Message{}, chat.Usage{}, ctx.Err()
		}
		var ee *EndpointError
		if errors.As(err, &ee) && !Retryable(ee.Status) {
			return chat.Message{}, chat.Usage{}, err
		}
		if Unreachable(err) {
			return chat.Message{}, chat.Usage{}, fmt.Errorf("%w (not retried: nothing answers there; check --base-url or $OPENAI_BASE_URL)", err)
		}
		if attempt >= retries {
			return chat.Message{}, chat.Usage{}, fmt.Errorf("%w (gave up after %d retries)", err, attempt)
		}
		d := wait
		if retryAfter > 0 {
			d = retryAfter
		} else {
			// Jitter spreads the retries of many episodes hitting one
			// rate limit together.
			d += time.Duration(rand.Int64N(int64(d)/4 + 1))
		}
		d = min(d, maxWait)
		e.retries.Add(1)
		if e.OnRetry != nil {
			e.OnRetry(attempt+1, d, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return chat.Message{}, chat.Usage{}, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// post sends one request, holding a concurrency slot while it runs.
func (e *Endpoint) post(ctx context.Context, body []byte) ([]byte, time.Duration, error) {
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() { <-e.sem }()
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := strings.TrimSuffix(e.BaseURL, "/") + "/chat/completions"
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("chat completions: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if e.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+e.APIKey)
	}
	hc := e.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("chat completions %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("chat completions %s: read reply: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, retryAfter(resp.Header.Get("Retry-After")), &EndpointError{Status: resp.StatusCode, Body: snippet(data)}
	}
	return data, 0, nil
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h string) time.Duration {
	if s, err := strconv.ParseFloat(strings.TrimSpace(h), 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return 0
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// decode reads a completion into an assistant message.
func (e *Endpoint) decode(data []byte) (chat.Message, chat.Usage, error) {
	var r completionResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return chat.Message{}, chat.Usage{}, fmt.Errorf("chat completions: bad reply %q: %w", snippet(data), err)
	}
	if r.Error != nil {
		return chat.Message{}, chat.Usage{}, fmt.Errorf("chat completions: %s", r.Error.Message)
	}
	if len(r.Choices) == 0 {
		return chat.Message{}, chat.Usage{}, fmt.Errorf("chat completions: reply without choices: %q", snippet(data))
	}
	u := chat.Usage{Requests: 1}
	if r.Usage != nil {
		u.PromptTokens, u.CompletionTokens = r.Usage.PromptTokens, r.Usage.CompletionTokens
	}
	e.prompt.Add(int64(u.PromptTokens))
	e.complete.Add(int64(u.CompletionTokens))
	e.requests.Add(1)
	m := r.Choices[0].Message
	var msg chat.Message
	if err := json.Unmarshal(fmt.Appendf(nil, `{"role":"assistant","content":%s}`, orNull(m.Content)), &msg); err != nil {
		return chat.Message{}, u, fmt.Errorf("chat completions: message content: %w", err)
	}
	for i, tc := range m.ToolCalls {
		id := tc.ID
		if id == "" {
			id = fmt.Sprintf("call_%d", i)
		}
		msg.ToolCalls = append(msg.ToolCalls, chat.ToolCall{ID: id, Type: "function", Function: chat.FunctionCall{Name: tc.Function.Name, Arguments: argumentsText(tc.Function.Arguments)}})
	}
	return msg, u, nil
}

func orNull(raw json.RawMessage) []byte {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("null")
	}
	return raw
}

// argumentsText returns a call's arguments as the JSON text the format
// wants: the string as given, or an object some servers send as is.
func argumentsText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
