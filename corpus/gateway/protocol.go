package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/simgym/simgym/corpus/web"
)

// Serper: POST {base}/search or {base}/scholar with the header X-API-KEY
// and a JSON body {"q", "num", "gl", "hl", "location", "page"}; the reply
// is a JSON object whose "organic" list holds the results.
func serperRequest(base, path, key string, q web.SearchQuery) request {
	return func(ctx context.Context) (*http.Request, []byte, error) {
		body, err := json.Marshal(q)
		if err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("X-API-KEY", key)
		req.Header.Set("Content-Type", "application/json")
		return req, body, nil
	}
}

// decodeObject decodes a reply that must be one JSON object.
func decodeObject(b []byte, v any) error {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		return errors.New("reply is not a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode reply: %w", err)
	}
	return nil
}

func decodeSearch(b []byte) (web.SerperResponse, error) {
	var r web.SerperResponse
	err := decodeObject(b, &r)
	r.Fallback = ""
	return r, err
}

func decodeScholar(b []byte) (web.ScholarResponse, error) {
	var r web.ScholarResponse
	err := decodeObject(b, &r)
	r.Fallback = ""
	return r, err
}

// Jina Reader: GET {base}/{url} with Accept: application/json (and
// Authorization: Bearer with a key); the reply is {"code", "status",
// "data": {"title", "url", "content", ...}}.
func jinaRequest(base, key, target string) request {
	return func(ctx context.Context) (*http.Request, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/"+strings.TrimSpace(target), nil)
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Accept", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		return req, nil, nil
	}
}

type jinaReply struct {
	Code int `json:"code"`
	Data *struct {
		Title   string `json:"title"`
		URL     string `json:"url"`
		Content string `json:"content"`
	} `json:"data"`
}

func decodePage(b []byte, target string) (web.Page, error) {
	var r jinaReply
	if err := decodeObject(b, &r); err != nil {
		return web.Page{}, err
	}
	if r.Code != 0 && r.Code != http.StatusOK {
		return web.Page{}, fmt.Errorf("reply code %d", r.Code)
	}
	if r.Data == nil {
		return web.Page{}, errors.New(`reply has no "data"`)
	}
	p := web.Page{Title: r.Data.Title, URL: r.Data.URL, Content: r.Data.Content}
	if p.URL == "" {
		p.URL = strings.TrimSpace(target)
	}
	return p, nil
}
