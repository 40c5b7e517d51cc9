package gateway

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus/web"
)

// Cache and record keys. A key names the operation and its normalised
// request: the query lower-cased with its spaces trimmed and collapsed,
// the other parameters sorted by name (url.Values encodes them so), so
// that "Foo  Bar" and " foo bar" share one answer.

// searchKey is the key of a Serper search ("search") or Scholar search
// ("scholar").
func searchKey(op string, q web.SearchQuery) string {
	v := url.Values{}
	v.Set("q", normText(q.Q))
	if q.Num != 0 {
		v.Set("num", strconv.Itoa(q.Num))
	}
	if s := normText(q.GL); s != "" {
		v.Set("gl", s)
	}
	if s := normText(q.HL); s != "" {
		v.Set("hl", s)
	}
	if s := normText(q.Location); s != "" {
		v.Set("location", s)
	}
	if q.Page != 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	return op + "?" + v.Encode()
}

// readKey is the key of a Jina read: the URL with its scheme and host
// lower-cased and its fragment dropped (paths and queries keep their
// case, which servers may honour).
func readKey(raw string) string {
	return "read?" + url.Values{"url": {normURL(raw)}}.Encode()
}

// normText lower-cases s, trims it and collapses its runs of spaces.
func normText(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// normURL is raw trimmed, with scheme and host lower-cased and no
// fragment; a string that does not parse as a URL is only trimmed.
func normURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.Fragment, u.RawFragment = "", ""
	return u.String()
}
