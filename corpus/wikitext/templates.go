package wikitext

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/simgym/simgym/corpus"
)

// maxTemplateDepth bounds template nesting; deeper braces are kept as
// plain text. It keeps the cost of re-reading nested output linear.
const maxTemplateDepth = 40

// Private-use runes that stand for "|" and "=" produced by {{!}} and {{=}}
// while templates are expanded, so they do not split arguments.
const (
	pipeMark   = "\uE000"
	equalsMark = "\uE001"
)

// tframe is an open run of braces and the text read since it opened.
type tframe struct {
	open int
	buf  []byte
}

// expandTemplates replaces every {{template}}, {{#function:}} and
// {{{parameter}}} with its rendering (usually nothing), innermost first,
// recording infobox facts and disambiguation markers on the way. Braces
// follow MediaWiki's rule: a closing run matches the innermost open run,
// three braces against three (a parameter) or else two (a template).
func (st *state) expandTemplates(s string) string {
	if !strings.Contains(s, "{{") {
		return s
	}
	stack := []*tframe{{buf: make([]byte, 0, len(s))}}
	for i := 0; i < len(s); {
		top := stack[len(stack)-1]
		switch s[i] {
		case '{':
			n := runLength(s, i, '{')
			if n >= 2 && len(stack) <= maxTemplateDepth {
				stack = append(stack, &tframe{open: n})
			} else {
				top.buf = append(top.buf, s[i:i+n]...)
			}
			i += n
		case '}':
			m := runLength(s, i, '}')
			i += m
			vanished := false // a template at the top level rendered nothing
			for m >= 2 && len(stack) > 1 {
				fr := stack[len(stack)-1]
				c := 2
				if fr.open >= 3 && m >= 3 {
					c = 3
				}
				var out string
				if c == 3 {
					out = renderParameter(string(fr.buf))
				} else {
					out = st.renderTemplate(string(fr.buf))
				}
				fr.open -= c
				m -= c
				if fr.open >= 2 {
					fr.buf = append(fr.buf[:0], out...)
					continue
				}
				stack = stack[:len(stack)-1]
				parent := stack[len(stack)-1]
				if fr.open == 1 {
					parent.buf = append(parent.buf, '{')
				}
				parent.buf = append(parent.buf, out...)
				vanished = len(stack) == 1 && fr.open == 0 && out == ""
			}
			top = stack[len(stack)-1]
			if m > 0 {
				vanished = false
			}
			for ; m > 0; m-- {
				top.buf = append(top.buf, '}')
			}
			if vanished {
				i = skipEmptyLine(top.buf, s, i)
			}
		default:
			k := strings.IndexAny(s[i:], "{}")
			if k < 0 {
				k = len(s) - i
			}
			top.buf = append(top.buf, s[i:i+k]...)
			i += k
		}
	}
	// Whatever is still open was never closed: keep it as text.
	out := stack[0].buf
	for _, fr := range stack[1:] {
		for k := 0; k < fr.open; k++ {
			out = append(out, '{')
		}
		out = append(out, fr.buf...)
	}
	return string(out)
}

// skipEmptyLine returns the index past the newline at s[i] when the
// output so far ends a line, so that a line whose only content was removed
// leaves no empty line behind; otherwise it returns i.
func skipEmptyLine(out []byte, s string, i int) int {
	if i < len(s) && s[i] == '\n' && (len(out) == 0 || out[len(out)-1] == '\n') {
		return i + 1
	}
	return i
}

// runLength counts the bytes equal to c from s[i].
func runLength(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// renderParameter renders a template parameter {{{name|default}}} as its
// default, since pages are rendered outside any template call.
func renderParameter(body string) string {
	parts := splitArgs(body)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// splitArgs splits a template body at the pipes that are not inside a
// [[link]].
func splitArgs(body string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '[':
			if i+1 < len(body) && body[i+1] == '[' {
				depth++
				i++
			}
		case ']':
			if i+1 < len(body) && body[i+1] == ']' && depth > 0 {
				depth--
				i++
			}
		case '|':
			if depth == 0 {
				parts = append(parts, body[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, body[start:])
}

// call is a template call split into its name and arguments.
type call struct {
	name       string   // normalised: lower case, single spaces
	positional []string // 1-based arguments, trimmed, at index-1
	named      []namedArg
}

type namedArg struct {
	key, value string
}

// arg returns positional argument n (1-based), or "".
func (c *call) arg(n int) string {
	if n >= 1 && n <= len(c.positional) {
		return c.positional[n-1]
	}
	return ""
}

// last returns the last positional argument, or "".
func (c *call) last() string {
	return c.arg(len(c.positional))
}

// get returns the named argument key, or "".
func (c *call) get(key string) string {
	for _, a := range c.named {
		if a.key == key {
			return a.value
		}
	}
	return ""
}

// parseCall splits the pieces of a template body into a call.
func parseCall(name string, args []string) *call {
	c := &call{name: name}
	for _, a := range args {
		eq := strings.IndexByte(a, '=')
		if eq >= 0 && !strings.Contains(a[:eq], "[[") {
			key := strings.TrimSpace(a[:eq])
			value := strings.TrimSpace(a[eq+1:])
			if n, err := strconv.Atoi(key); err == nil && n >= 1 && n <= 50 {
				for len(c.positional) < n {
					c.positional = append(c.positional, "")
				}
				c.positional[n-1] = value
				continue
			}
			c.named = append(c.named, namedArg{key: strings.ToLower(key), value: value})
			continue
		}
		c.positional = append(c.positional, strings.TrimSpace(a))
	}
	return c
}

// normalizeName lowers a template name and folds underscores and runs of
// space into one space.
func normalizeName(name string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return r == '_' || unicode.IsSpace(r)
	}), " "))
}

// templatePrefixes are namespace prefixes that may precede a template name.
var templatePrefixes = []string{
	"subst:", "safesubst:", "msgnw:", "template:", "vorlage:", "шаблон:",
	"modèle:", "plantilla:", "predefinição:", "sjabloon:", "szablon:",
	"sablon:", "malline:", "mal:", "predložak:", "šablona:", "şablon:",
}

// renderTemplate renders one template body (name|arg|...): the text a
// reader would see for inline templates, nothing for the rest.
func (st *state) renderTemplate(body string) string {
	parts := splitArgs(body)
	rawName := strings.TrimSpace(parts[0])
	name := normalizeName(rawName)
	for again := true; again; {
		again = false
		for _, p := range templatePrefixes {
			if strings.HasPrefix(name, p) {
				name = strings.TrimSpace(name[len(p):])
				again = true
			}
		}
	}
	if name == "" {
		return ""
	}
	if colon := strings.IndexByte(name, ':'); colon > 0 {
		// A parser function or magic word: {{lc:Text}}, {{#if:...}}.
		first := ""
		if k := strings.IndexByte(rawName, ':'); k >= 0 {
			first = strings.TrimSpace(rawName[k+1:])
		}
		return st.renderFunction(name[:colon], first, parts[1:])
	}
	switch name {
	case "!":
		return pipeMark
	case "!!":
		return pipeMark + pipeMark
	case "=":
		return equalsMark
	case "pagename", "fullpagename", "basepagename", "subpagename", "articlepagename", "rootpagename":
		return st.title
	}
	if isDisambiguationTemplate(name) {
		st.disambiguation = true
		return ""
	}
	if box, ok := infoboxName(name); ok {
		st.infobox(box, parseCall(name, parts[1:]))
		return ""
	}
	if strings.HasPrefix(name, "lang-") {
		return strings.TrimSpace(arg(parts, 1))
	}
	if render, ok := inlineTemplates[name]; ok {
		return render(parseCall(name, parts[1:]))
	}
	return ""
}

// arg returns piece n of a split template body, or "".
func arg(parts []string, n int) string {
	if n < len(parts) {
		return parts[n]
	}
	return ""
}

// renderFunction renders a parser function or colon magic word: text case
// functions keep their text, the rest render nothing.
func (st *state) renderFunction(fn, first string, rest []string) string {
	switch fn {
	case "lc":
		return strings.ToLower(first)
	case "uc":
		return strings.ToUpper(first)
	case "lcfirst":
		return lowerFirst(first)
	case "ucfirst":
		return upperFirst(first)
	case "formatnum":
		return first
	}
	return ""
}

// infoboxPrefixes start the names of infobox templates, in several
// languages.
var infoboxPrefixes = []string{"infobox", "infokutija", "инфокутия", "инфобокс", "inligtingskas", "taxobox", "ficha de", "info/"}

// infoboxName reports whether name is an infobox template and returns the
// infobox kind ("settlement" for "infobox settlement").
func infoboxName(name string) (string, bool) {
	for _, p := range infoboxPrefixes {
		if strings.HasPrefix(name, p) {
			kind := strings.TrimSpace(strings.TrimLeft(name[len(p):], " _-:/"))
			if kind == "" && p != "infobox" {
				kind = strings.TrimSpace(p)
			}
			return kind, true
		}
	}
	return "", false
}

// skippedFactKey matches infobox keys that only format the box.
var skippedFactKey = regexp.MustCompile(`(^|_| )(image|img|logo|alt|style|width|pushpin|mapsize|map_size|imagesize|signature|seal|flag|coat|embed|module|bodyclass|class|upright|float|background|pattern|leftarm|rightarm|shorts|socks)s?($|_| |\d)|^body\d*$`)

// mediaValue matches values that are only a media file name.
var mediaValue = regexp.MustCompile(`(?i)^[^\n]{1,200}\.(jpe?g|png|svg|gif|tiff?|webp|ogg|ogv|oga|webm|mp3|pdf|djvu)$`)

// infobox records the named fields of an infobox call as facts.
func (st *state) infobox(kind string, c *call) {
	for _, a := range c.named {
		if a.key == "" || skippedFactKey.MatchString(a.key) {
			continue
		}
		v := st.cleanValue(a.value)
		if v == "" || mediaValue.MatchString(v) {
			continue
		}
		st.facts = append(st.facts, corpus.Fact{Infobox: kind, Key: a.key, Value: v})
	}
}

// cleanValue turns an infobox value into one line of clean text, recording
// its links.
func (st *state) cleanValue(v string) string {
	v = markRestorer.Replace(v)
	v = st.resolveLinks(v)
	v = stripHTML(v)
	var b strings.Builder
	for _, line := range strings.Split(v, "\n") {
		line = cleanLine(strings.TrimLeft(line, "*#:; \t"))
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.ContainsRune(",;:", rune(b.String()[b.Len()-1])) {
				b.WriteByte(' ')
			} else {
				b.WriteString(", ")
			}
		}
		b.WriteString(line)
	}
	return sanitize(b.String())
}

// disambiguationTemplates are the templates that mark disambiguation and
// set index pages, in several languages.
var disambiguationTemplates = map[string]bool{
	"disambiguation": true, "disambig": true, "disamb": true, "dab": true,
	"dis": true, "disambiguation page": true, "set index": true,
	"set index article": true, "sia": true, "hndis": true, "geodis": true,
	"shipindex": true, "ship index": true, "mountainindex": true,
	"mountain index": true, "roadindex": true, "road index": true,
	"sportindex": true, "sport index": true, "letter-number combination disambiguation": true,
	"begriffsklärung": true, "пояснение": true, "многозначност": true,
	"homonymie": true, "desambiguación": true, "desambiguação": true,
	"неоднозначность": true, "disambigua": true, "dp": true,
	"ujednoznacznienie": true, "rozcestník": true, "täsmennyssivu": true,
	"förgrening": true, "flertydig": true, "pekerside": true,
	"dubbelsinnig": true, "anlam ayrımı": true, "曖昧さ回避": true, "消歧义": true,
}

// isDisambiguationTemplate reports whether a template name marks a
// disambiguation page.
func isDisambiguationTemplate(name string) bool {
	return disambiguationTemplates[name] || strings.HasSuffix(name, " disambiguation") ||
		strings.HasPrefix(name, "disambiguation|")
}

// isDisambiguationTitle reports whether a title names a disambiguation page.
func isDisambiguationTitle(title string) bool {
	t := strings.ToLower(title)
	return strings.HasSuffix(t, "(disambiguation)") || strings.HasSuffix(t, "(begriffsklärung)") ||
		strings.HasSuffix(t, "(пояснение)") || strings.HasSuffix(t, "(homonymie)")
}

// inlineTemplates render templates whose output is part of the prose.
var inlineTemplates = map[string]func(*call) string{}

func init() {
	first := func(c *call) string { return c.arg(1) }
	second := func(c *call) string {
		if s := c.arg(2); s != "" {
			return s
		}
		return c.arg(1)
	}
	last := func(c *call) string { return c.last() }
	constant := func(s string) func(*call) string { return func(*call) string { return s } }
	joinWith := func(sep string) func(*call) string {
		return func(c *call) string { return strings.Join(nonEmpty(c.positional), sep) }
	}
	prefixed := func(p string) func(*call) string {
		return func(c *call) string {
			if c.arg(1) == "" {
				return ""
			}
			return p + c.arg(1)
		}
	}
	block := func(c *call) string {
		text := c.get("text")
		if text == "" {
			text = c.get("quote")
		}
		if text == "" {
			text = c.arg(1)
		}
		if text == "" {
			return ""
		}
		return "\n\n" + text + "\n\n"
	}
	set := func(f func(*call) string, names ...string) {
		for _, n := range names {
			inlineTemplates[n] = f
		}
	}
	set(first, "nowrap", "nobr", "no wrap", "small", "smaller", "big", "larger", "midsize",
		"nastaliq", "abbr", "abbrlink", "tooltip", "sup", "sub", "em", "strong", "var", "code",
		"mono", "keypress", "math", "mvar", "nobold", "noitalic", "vanchor", "visible anchor",
		"nts", "flag", "flagcountry", "flagu", "fb", "flagathlete", "not a typo", "notatypo",
		"proper name", "unicode", "iast", "ipa-all", "chem2", "marriage", "chembox", "smallcaps",
		"sc", "lang-rtl", "title case", "nihongo2", "spaced", "braces", "serif", "sans-serif",
		"uline", "underline", "overline", "strikethrough", "strike", "del", "ins", "hidden",
		"highlight", "wikt", "wiktionary", "ipa")
	set(second, "lang", "langx", "script", "rtl-lang", "wikt-lang", "color", "colour",
		"sort", "audio", "native name", "native phrase", "sortname2", "fontcolor")
	set(last, "resize", "transl", "transliteration", "columns-list", "col-list", "colbegin")
	set(joinWith("\n"), "ubl", "unbulleted list", "hlist", "bulleted list", "plainlist",
		"plain list", "flatlist", "flat list", "collapsible list", "indented plainlist",
		"startflatlist", "div col")
	set(joinWith(""), "sic", "linktext")
	set(block, "quote", "blockquote", "cquote", "quotation", "quote box", "rquote", "poemquote", "quote frame", "centered pull quote")
	set(constant(" – "), "snd", "spaced ndash", "spaced en dash", "spnd", "sndash")
	set(constant("–"), "ndash", "en dash", "–")
	set(constant("—"), "mdash", "em dash", "—", "spaced mdash")
	set(constant(" · "), "·", "dot", "middot", "dot-sep")
	set(constant(" • "), "•", "bull", "bullet")
	set(constant("'"), "'", "apostrophe")
	set(constant("'s"), "'s")
	set(constant("\""), "\"", "quotation mark")
	set(constant(" "), "nbsp", "thinsp", "spaces", "pad", "space", "sp")
	set(constant("ʻ"), "okina")
	set(func(c *call) string { return c.arg(1) + " " + c.arg(2) }, "sortname")
	set(func(c *call) string {
		if c.arg(1) == "" {
			return ""
		}
		return "[[" + c.arg(1) + "]]"
	}, "ill", "interlanguage link", "interlanguage link multi", "ill2")
	set(func(c *call) string {
		if c.arg(2) == "" {
			return c.arg(1)
		}
		return c.arg(1) + " (" + strings.Join(nonEmpty(c.positional[1:min(3, len(c.positional))]), ", ") + ")"
	}, "nihongo", "nihongo3", "nihongo4")
	set(func(c *call) string {
		if c.arg(2) != "" {
			return c.arg(1) + " " + c.arg(2) + "/" + c.arg(3)
		}
		return c.arg(1) + "/" + c.arg(2)
	}, "frac", "sfrac", "fraction")
	set(func(c *call) string { return renderDate(c.positional) }, "birth date", "death date",
		"birth date and age", "death date and age", "birth-date", "death-date", "bda", "dda", "dob",
		"start date", "end date", "start date and age", "end date and age", "film date", "dts",
		"birth year and age", "death year and age", "date", "release date", "start and end dates",
		"birth date and age2", "death date and given age", "b-da", "d-da")
	set(func(c *call) string { return prefixed("c. ")(c) }, "circa", "c.", "ca.")
	set(func(c *call) string { return prefixed("fl. ")(c) }, "floruit", "fl.", "fl")
	set(func(c *call) string {
		if c.arg(2) != "" {
			return "r. " + c.arg(1) + "–" + c.arg(2)
		}
		return prefixed("r. ")(c)
	}, "reign", "r.")
	set(func(c *call) string {
		if c.arg(1) == "" {
			return ""
		}
		return "As of " + renderDate(c.positional)
	}, "as of")
	set(prefixed("US$"), "us$", "usd", "usdconvert")
	set(prefixed("£"), "£", "gbp", "ukp")
	set(prefixed("€"), "€", "eur", "euro")
	set(prefixed("₹"), "inr", "₹")
	set(prefixed("¥"), "jpy", "yen", "¥")
	set(prefixed("ISBN "), "isbn")
	set(prefixed("ISSN "), "issn")
	set(renderConvert, "convert", "cvt", "convinfobox", "height", "val")
	set(func(c *call) string {
		if t := c.get("text"); t != "" {
			return t
		}
		return c.arg(1)
	}, "font", "font color")
}

// nonEmpty returns the non-empty strings of list.
func nonEmpty(list []string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// monthNames are the English month names, for dates without a year.
var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// renderDate renders date template arguments (year, month, day) as an ISO
// date when they are numbers ("1950-01-02", "1950-01", "1950"), as "Month
// day" when the year is left out, or joins them with spaces otherwise.
func renderDate(args []string) string {
	var parts [3]string
	copy(parts[:], args)
	num := func(s string, lo, hi int) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= lo && n <= hi
	}
	y, yok := num(parts[0], 0, 9999)
	m, mok := num(parts[1], 1, 12)
	d, dok := num(parts[2], 1, 31)
	switch {
	case yok && mok && dok:
		return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
	case yok && mok && parts[2] == "":
		return pad(y, 4) + "-" + pad(m, 2)
	case yok && parts[1] == "" && parts[2] == "":
		return strconv.Itoa(y)
	case parts[0] == "" && mok && dok:
		return monthNames[m-1] + " " + strconv.Itoa(d)
	case parts[0] == "" && mok && parts[2] == "":
		return monthNames[m-1]
	}
	return strings.Join(nonEmpty(parts[:min(3, len(args))]), " ")
}

// pad formats n with leading zeros to width digits.
func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// rangeWords join the numbers of a {{convert}} range.
var rangeWords = map[string]bool{
	"-": true, "–": true, "to": true, "and": true, "or": true, "by": true, "x": true,
	"×": true, "+/-": true, "±": true, "to(-)": true, "&ndash;": true,
}

// renderConvert renders {{convert|1|to|2|km|mi}} as "1 to 2 km": the
// numbers, range words and the first unit.
func renderConvert(c *call) string {
	var out []string
	for _, a := range c.positional {
		if isNumber(a) || (len(out) > 0 && rangeWords[a]) {
			out = append(out, a)
			continue
		}
		if len(out) > 0 && a != "" {
			out = append(out, a)
		}
		break
	}
	if u := c.get("u"); u != "" && len(out) > 0 {
		out = append(out, u)
	}
	return strings.Join(out, " ")
}

// isNumber reports whether s looks like a number ("1,234.5", "-3", "½").
func isNumber(s string) bool {
	if s == "" {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' || r == ',' || r == '-' || r == '+' || r == '−' || r == '/' || r == 'e' || r == 'E':
		case r == '½' || r == '¼' || r == '¾':
			digits++
		default:
			return false
		}
	}
	return digits > 0
}
