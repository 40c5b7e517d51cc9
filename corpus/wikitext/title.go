package wikitext

import (
	"html"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeTitle returns title as MediaWiki stores it: entities decoded,
// underscores as spaces, runs of white space as one space, no surrounding
// space, no leading colon, and the first letter in upper case.
func NormalizeTitle(title string) string {
	if strings.ContainsRune(title, '&') {
		title = html.UnescapeString(title)
	}
	title = strings.TrimLeft(strings.TrimSpace(title), ":")
	var b strings.Builder
	b.Grow(len(title))
	space := false
	for _, r := range title {
		if r == '_' || unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return upperFirst(b.String())
}

// upperFirst returns s with its first rune in upper case.
func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	u := unicode.ToUpper(r)
	if u == r {
		return s
	}
	return string(u) + s[n:]
}

// lowerFirst returns s with its first rune in lower case.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// redirectWords are the magic words that start a redirect page, in lower
// case: English first, then localised forms.
var redirectWords = []string{
	"#redirect",
	"#weiterleitung",
	"#пренасочване",
	"#перенаправление",
	"#перенаправлення",
	"#преусмери",
	"#preusmjeri",
	"#redirection",
	"#redirección",
	"#redirecionamento",
	"#rinvia",
	"#doorverwijzing",
	"#przekieruj",
	"#patrz",
	"#přesměruj",
	"#átirányítás",
	"#uudelleenohjaus",
	"#ohjaus",
	"#omdirigering",
	"#yönlendir",
	"#đổi",
	"#重定向",
	"#転送",
	"#リダイレクト",
	"#넘겨주기",
	"#تحويل",
	"#הפניה",
}

// RedirectTarget reports whether src is a redirect page ("#REDIRECT
// [[Target]]", in any case, or a localised magic word) and returns its
// normalised target title, without any section fragment.
func RedirectTarget(src string) (string, bool) {
	s := strings.TrimLeft(src, " \t\r\n\ufeff")
	if !strings.HasPrefix(s, "#") {
		return "", false
	}
	rest, ok := cutRedirectWord(s)
	if !ok {
		return "", false
	}
	rest = strings.TrimLeft(rest, " \t:")
	rest = strings.TrimLeft(rest, " \t\r\n")
	if !strings.HasPrefix(rest, "[[") {
		return "", false
	}
	rest = rest[2:]
	end := strings.Index(rest, "]]")
	if end < 0 {
		return "", false
	}
	target := rest[:end]
	if strings.ContainsRune(target, '\n') {
		return "", false
	}
	if i := strings.IndexByte(target, '|'); i >= 0 {
		target = target[:i]
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	target = NormalizeTitle(target)
	if target == "" {
		return "", false
	}
	return target, true
}

// cutRedirectWord removes a redirect magic word from the start of s,
// comparing without regard to case.
func cutRedirectWord(s string) (string, bool) {
	for _, w := range redirectWords {
		n := utf8.RuneCountInString(w)
		i := 0
		for k := 0; k < n && i < len(s); k++ {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
		}
		if strings.EqualFold(s[:i], w) {
			return s[i:], true
		}
	}
	return "", false
}
