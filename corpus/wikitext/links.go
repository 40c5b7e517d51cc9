package wikitext

import (
	"strings"
)

// maxLinkDepth bounds [[link]] nesting (media captions hold links);
// deeper brackets are kept as plain text.
const maxLinkDepth = 8

// builtinNamespaces maps lower-case namespace names and interwiki prefixes
// to MediaWiki namespace numbers. Interwiki prefixes use 1, standing for
// "not an article".
var builtinNamespaces = map[string]int{}

func init() {
	add := func(n int, names ...string) {
		for _, name := range names {
			builtinNamespaces[namespaceKey(name)] = n
		}
	}
	add(NamespaceMedia, "media", "медия", "medium", "médias", "medio", "mídia", "медиа", "медіа")
	add(NamespaceFile, "file", "image", "datei", "bild", "fichier", "файл", "картинка",
		"изображение", "archivo", "imagen", "immagine", "plik", "grafika", "bestand",
		"afbeelding", "ficheiro", "imagem", "arquivo", "fil", "tiedosto", "kuva",
		"soubor", "obrázek", "fájl", "kép", "dosya", "resim", "lêer", "beeld", "skrá",
		"slika", "datoteka", "слика", "датотека", "ファイル", "画像", "文件", "檔案",
		"图像", "파일", "그림", "ملف", "صورة", "קובץ", "תמונה", "εικόνα", "αρχείο",
		"fișier", "imagine", "failas", "vaizdas", "fails", "attēls", "fitxer", "imatge",
		"fitxategi", "irudi", "berkas", "gambar", "tập tin", "hình", "файл", "зображення")
	add(NamespaceCategory, "category", "kategorie", "catégorie", "категория", "категорија",
		"категорія", "categoría", "categoria", "kategoria", "kategori", "categorie",
		"luokka", "kategória", "kategorija", "kategoriya", "κατηγορία", "分类", "分類",
		"カテゴリ", "분류", "تصنيف", "קטגוריה", "kateqoriya", "kategorio", "flokkur",
		"kategorie", "catagóir", "kategooria", "kategória", "thể loại", "หมวดหมู่")
	add(NamespaceTemplate, "template", "vorlage", "шаблон", "modèle", "plantilla", "sjabloon", "szablon", "predefinição")
	add(1, "talk", "user", "user talk", "wikipedia", "wikipedia talk", "project",
		"file talk", "image talk", "mediawiki", "mediawiki talk", "template talk", "help",
		"help talk", "category talk", "portal", "portal talk", "draft", "draft talk",
		"book", "book talk", "module", "module talk", "special", "timedtext", "gadget",
		"topic", "education program", "wp", "wt", "wikt", "wiktionary", "w", "q",
		"wikiquote", "s", "wikisource", "b", "wikibooks", "n", "wikinews", "v",
		"wikiversity", "voy", "wikivoyage", "d", "wikidata", "c", "commons", "m", "meta",
		"metawikimedia", "species", "wikispecies", "mw", "mediawikiwiki", "phab",
		"foundation", "wmf", "outreach", "incubator", "doi", "iarchive", "google",
		"imdbname", "imdbtitle", "hdl", "rfc", "oclc", "oeis", "wiki", "wikia", "mediazilla",
		"bugzilla", "diff", "oldid", "user talk", "benutzer", "benutzer diskussion",
		"diskussion", "hilfe", "portal", "kategorie diskussion", "потребител",
		"беседа", "уикипедия", "помощ", "портал", "модул", "spezial", "специални",
		"utilisateur", "discussion", "aide", "projet", "usuario", "ayuda", "anexo",
		"gebruiker", "overleg", "wikipedysta", "dyskusja", "участник", "обсуждение",
		"служебная", "википедия", "википедија", "gebruiker", "gebruikersoverleg")
}

// namespaceKey is the lookup form of a namespace name.
func namespaceKey(name string) string {
	return strings.ToLower(strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return r == '_' || r == ' ' || r == '\t'
	}), " "))
}

// urlSchemes start external links.
var urlSchemes = []string{
	"http://", "https://", "//", "ftp://", "ftps://", "sftp://", "mailto:", "news:",
	"irc://", "ircs://", "gopher://", "nntp://", "telnet://", "svn://", "git://",
	"mms://", "urn:", "geo:", "tel:", "sip:", "sips:", "xmpp:", "magnet:", "worldwind://",
}

// hasURLScheme reports whether s starts with a URL scheme, in any case.
func hasURLScheme(s string) bool {
	for _, p := range urlSchemes {
		if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
			return true
		}
	}
	return false
}

// lframe is an open [[ and the text read since.
type lframe struct {
	buf        []byte
	links      int // len(state.links) when the frame opened
	categories int // len(state.categories) when the frame opened
}

// resolveLinks replaces [[internal links]] by their text, records article
// links and categories, removes media and language links (with any links
// in their captions), and replaces [http://external links] by their text.
func (st *state) resolveLinks(s string) string {
	if !strings.ContainsRune(s, '[') {
		return s
	}
	stack := []*lframe{{buf: make([]byte, 0, len(s))}}
	closer := newFinder(s, "]\n")
	for i := 0; i < len(s); {
		top := stack[len(stack)-1]
		switch s[i] {
		case '[':
			n := runLength(s, i, '[')
			if n >= 2 && len(stack) <= maxLinkDepth {
				top.buf = append(top.buf, s[i:i+n-2]...)
				stack = append(stack, &lframe{links: len(st.links), categories: len(st.categories)})
				i += n
				continue
			}
			if n == 1 && hasURLScheme(s[i+1:]) {
				if end := closer.next(i + 1); end >= 0 && s[end] == ']' {
					top.buf = append(top.buf, externalLinkText(s[i+1:end])...)
					i = end + 1
					continue
				}
			}
			top.buf = append(top.buf, s[i:i+n]...)
			i += n
		case ']':
			m := runLength(s, i, ']')
			i += m
			vanished := false
			for m >= 2 && len(stack) > 1 {
				fr := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				parent := stack[len(stack)-1]
				out := st.renderLink(fr)
				parent.buf = append(parent.buf, out...)
				m -= 2
				vanished = len(stack) == 1 && out == ""
			}
			top = stack[len(stack)-1]
			if m > 0 {
				vanished = false
			}
			for ; m > 0; m-- {
				top.buf = append(top.buf, ']')
			}
			if vanished {
				i = skipEmptyLine(top.buf, s, i)
			}
		default:
			k := strings.IndexAny(s[i:], "[]")
			if k < 0 {
				k = len(s) - i
			}
			top.buf = append(top.buf, s[i:i+k]...)
			i += k
		}
	}
	out := stack[0].buf
	for _, fr := range stack[1:] {
		out = append(out, "[["...)
		out = append(out, fr.buf...)
	}
	return string(out)
}

// externalLinkText returns the text of an external link body ("URL text").
func externalLinkText(body string) string {
	k := strings.IndexAny(body, " \t")
	if k < 0 {
		return ""
	}
	return strings.TrimSpace(body[k+1:])
}

// renderLink renders a closed [[...]] frame and records what it links to.
func (st *state) renderLink(fr *lframe) string {
	content := string(fr.buf)
	target, label, piped := strings.Cut(content, "|")
	target = strings.TrimSpace(target)
	if target == "" || len(target) > 512 || strings.ContainsAny(target, "\n<>[]{}") {
		return "[[" + content + "]]"
	}
	colon := strings.HasPrefix(target, ":")
	if colon {
		target = strings.TrimSpace(target[1:])
	}
	if ns, rest, ok := st.parser.namespaceOf(target); ok {
		switch {
		case colon:
			if piped && strings.TrimSpace(label) != "" {
				return label
			}
			return rest
		case ns == NamespaceFile || ns == NamespaceMedia:
			st.links = st.links[:min(fr.links, len(st.links))]
			st.categories = st.categories[:min(fr.categories, len(st.categories))]
			return ""
		case ns == NamespaceCategory:
			st.categories = append(st.categories, NormalizeTitle(rest))
			return ""
		case ns == languageLink:
			return ""
		}
		if piped && strings.TrimSpace(label) != "" {
			return label
		}
		return rest
	}
	page, fragment, _ := strings.Cut(target, "#")
	title := NormalizeTitle(page)
	if title != "" {
		st.links = append(st.links, title)
	}
	if piped {
		if strings.TrimSpace(label) != "" {
			return label
		}
		return pipeTrick(page)
	}
	if strings.TrimSpace(page) == "" {
		return fragment
	}
	return page
}

// pipeTrick returns the label MediaWiki gives [[Target (x)|]]: the target
// without a trailing parenthesis or comma part.
func pipeTrick(target string) string {
	t := strings.TrimSpace(target)
	if k := strings.LastIndex(t, " ("); k > 0 && strings.HasSuffix(t, ")") {
		return t[:k]
	}
	if k := strings.Index(t, ", "); k > 0 {
		return t[:k]
	}
	return t
}

// languageLink is the pseudo-namespace of interlanguage links ([[fr:Paris]]).
const languageLink = -100

// namespaceOf splits a link target into a known namespace and the rest.
// Language prefixes (two or three lower-case letters, or forms like
// "zh-min-nan") count as interlanguage links.
func (p *Parser) namespaceOf(target string) (int, string, bool) {
	k := strings.IndexByte(target, ':')
	if k <= 0 {
		return 0, "", false
	}
	prefix := strings.TrimSpace(target[:k])
	rest := strings.TrimSpace(target[k+1:])
	if n, ok := p.namespaces[namespaceKey(prefix)]; ok {
		return n, rest, true
	}
	if isLanguageCode(prefix) {
		return languageLink, rest, true
	}
	return 0, "", false
}

// isLanguageCode reports whether s looks like a Wikipedia language code.
func isLanguageCode(s string) bool {
	if s == "simple" {
		return true
	}
	parts := strings.Split(s, "-")
	if len(parts[0]) < 2 || len(parts[0]) > 3 || len(parts) > 3 {
		return false
	}
	for _, part := range parts {
		if part == "" || len(part) > 8 {
			return false
		}
		for i := 0; i < len(part); i++ {
			if part[i] < 'a' || part[i] > 'z' {
				return false
			}
		}
	}
	return true
}
