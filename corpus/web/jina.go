package web

import (
	"errors"
	"net/http"
	"strings"
)

// ReadFailed starts the text of a failed Jina read: Tongyi's visit tools
// test page content for this prefix.
const ReadFailed = "[visit] Failed to read page."

// JinaEnvelope is Jina Reader's JSON reply (with Accept:
// application/json).
type JinaEnvelope struct {
	Code   int       `json:"code"`
	Status int       `json:"status"`
	Data   *JinaData `json:"data"`
	// Message says why a read failed.
	Message string `json:"message,omitempty"`
}

// JinaData is a read page in Jina's envelope.
type JinaData struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Content string `json:"content"`
}

// IsReaderPath reports whether a request path is a Jina Reader read: the
// target URL, starting with http:// or https://, right after the slash.
func IsReaderPath(path string) bool {
	return strings.HasPrefix(path, "/http://") || strings.HasPrefix(path, "/https://") ||
		strings.HasPrefix(path, "/http:/") || strings.HasPrefix(path, "/https:/")
}

// ReaderTarget returns the URL a Jina Reader request reads: its path
// after the first slash, verbatim (escapes kept), and its query. A proxy
// or client may have merged the scheme's two slashes into one; they are
// restored.
func ReaderTarget(r *http.Request) string {
	t := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	for _, s := range []string{"https:", "http:"} {
		if strings.HasPrefix(t, s+"/") && !strings.HasPrefix(t, s+"//") {
			t = s + "/" + t[len(s):]
		}
	}
	if r.URL.RawQuery != "" {
		t += "?" + r.URL.RawQuery
	}
	return t
}

// RenderJina renders a page as Jina Reader's text reply.
func RenderJina(p Page) string {
	return "Title: " + p.Title + "\n\nURL Source: " + p.URL + "\n\nMarkdown Content:\n" + p.Content
}

// ReaderHandler serves Jina Reader's GET /{url} over p: the page as
// "Title: ...\n\nURL Source: ...\n\nMarkdown Content:\n..." text, or,
// with Accept: application/json, as a JinaEnvelope. An unknown page is a
// 404 whose text starts with ReadFailed. The Authorization header is
// accepted and not checked here.
func ReaderHandler(p Provider) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
		fail := func(status int, msg string) {
			if asJSON {
				writeSerperJSON(w, status, JinaEnvelope{Code: status, Status: status * 100, Message: msg})
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(status)
			w.Write([]byte(ReadFailed + " " + msg + "\n"))
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET")
			fail(http.StatusMethodNotAllowed, "use GET /{url}")
			return
		}
		target := ReaderTarget(r)
		page, err := p.Read(r.Context(), target)
		switch {
		case errors.Is(err, ErrNotFound):
			fail(http.StatusNotFound, "No page at "+target+"; search for it and read one of the result links.")
			return
		case err != nil:
			fail(http.StatusBadGateway, err.Error())
			return
		}
		if asJSON {
			writeSerperJSON(w, http.StatusOK, JinaEnvelope{Code: 200, Status: 20000, Data: &JinaData{Title: page.Title, URL: page.URL, Content: page.Content}})
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(RenderJina(page)))
	})
}
