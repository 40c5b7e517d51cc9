package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// SerperError is the body of a failed Serper request.
type SerperError struct {
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
}

// serperRequest is a Serper request body in the shapes callers send:
// DeepResearch's {"q", "location", "gl", "hl"}, WebSailor's {"q", "num",
// "extendParams": {"country", "page"}}, and Serper's documented fields.
// Numbers may come as JSON strings.
type serperRequest struct {
	Q            *string     `json:"q"`
	Num          flexInt     `json:"num"`
	GL           string      `json:"gl"`
	HL           string      `json:"hl"`
	Location     string      `json:"location"`
	Page         flexInt     `json:"page"`
	ExtendParams *extendArgs `json:"extendParams"`
}

type extendArgs struct {
	Country string  `json:"country"`
	Page    flexInt `json:"page"`
}

// flexInt is an integer given as a JSON number or string.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(strings.TrimSpace(s))
		if len(b) == 0 {
			return nil
		}
	}
	v, err := strconv.Atoi(string(b))
	if err != nil {
		return fmt.Errorf("not an integer: %s", b)
	}
	*n = flexInt(v)
	return nil
}

// ParseSerperRequest reads one Serper request body into a SearchQuery.
// WebSailor's extendParams.country stands for gl and extendParams.page
// for page when those are absent. A batch (a JSON array) is refused: one
// query per request.
func ParseSerperRequest(body []byte) (SearchQuery, error) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		return SearchQuery{}, fmt.Errorf("%w: send one query per request (a JSON object), not an array", ErrBadArgument)
	}
	var r serperRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return SearchQuery{}, fmt.Errorf("%w: body: %v", ErrBadArgument, err)
	}
	if r.Q == nil || strings.TrimSpace(*r.Q) == "" {
		return SearchQuery{}, fmt.Errorf(`%w: "q" is missing or empty`, ErrBadArgument)
	}
	q := SearchQuery{Q: strings.TrimSpace(*r.Q), Num: int(r.Num), GL: r.GL, HL: r.HL, Location: r.Location, Page: int(r.Page)}
	if e := r.ExtendParams; e != nil {
		if q.GL == "" {
			q.GL = e.Country
		}
		if q.Page == 0 {
			q.Page = int(e.Page)
		}
	}
	if q.Num < 0 || q.Page < 0 {
		return SearchQuery{}, fmt.Errorf(`%w: "num" and "page" must be positive`, ErrBadArgument)
	}
	return q, nil
}

// SerperHandler serves POST /search (Serper's web search) over p; with
// scholar, POST /scholar (Serper Scholar). Replies are always JSON: a
// SerperResponse or ScholarResponse, or a SerperError with the status.
// The X-API-KEY header is accepted and not checked (the gym's token, if
// any, is checked before).
func SerperHandler(p Provider, scholar bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			WriteSerperError(w, http.StatusMethodNotAllowed, "use POST with a JSON body {\"q\": ...}")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			WriteSerperError(w, http.StatusRequestEntityTooLarge, "request body too large or unreadable: "+err.Error())
			return
		}
		q, err := ParseSerperRequest(body)
		if err != nil {
			WriteSerperError(w, http.StatusBadRequest, err.Error())
			return
		}
		var out any
		if scholar {
			out, err = p.Scholar(r.Context(), q)
		} else {
			out, err = p.Search(r.Context(), q)
		}
		switch {
		case errors.Is(err, ErrBadArgument):
			WriteSerperError(w, http.StatusBadRequest, err.Error())
			return
		case err != nil:
			WriteSerperError(w, http.StatusInternalServerError, err.Error())
			return
		}
		writeSerperJSON(w, http.StatusOK, out)
	})
}

// WriteSerperError writes Serper's error body.
func WriteSerperError(w http.ResponseWriter, status int, msg string) {
	writeSerperJSON(w, status, SerperError{Message: msg, StatusCode: status})
}

func writeSerperJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data, _ = json.Marshal(SerperError{Message: "encode reply: " + err.Error(), StatusCode: status})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}
