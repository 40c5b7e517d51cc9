package wikitext

import (
	"reflect"
	"strings"
	"testing"

	"github.com/simgym/simgym/corpus"
)

func TestParseText(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"plain", "Hello world.", "Hello world."},
		{"template", "A {{citation needed|date=May 2020}}b.", "A b."},
		{"nested templates", "x{{a|{{b|{{c|{{d}}}}}}}}y", "xy"},
		{"parser function", "a{{#if: {{{1|}}} | yes | no }}b", "ab"},
		{"parameter default", "a {{{1|default}}} b", "a default b"},
		{"template over lines", "Start\n{{Infobox person\n| name = X\n}}\nText.", "Start\nText."},
		{"ref", "Fact.<ref name=\"a\">{{cite web|url=http://x}}</ref> More.", "Fact. More."},
		{"self-closing ref", "Fact.<ref name=a /> More.", "Fact. More."},
		{"ref upper case", "Fact.<REF>x</REF> More.", "Fact. More."},
		{"references", "Text.\n<references />\nEnd.", "Text.\nEnd."},
		{"comment", "a<!-- hidden {{x}} -->b", "ab"},
		{"unclosed comment", "a<!-- hidden", "a"},
		{"link", "See [[Paris]].", "See Paris."},
		{"piped link", "See [[Paris|the city]].", "See the city."},
		{"link trail", "Many [[apple]]s.", "Many apples."},
		{"pipe trick", "[[Paris (France)|]] and [[Boston, Massachusetts|]]", "Paris and Boston"},
		{"section link", "[[Paris#History|history]] and [[#Top]]", "history and Top"},
		{"file", "[[File:A.jpg|thumb|A [[cat]] on a [[mat|rug]]]]Text.", "Text."},
		{"localized file", "[[Datei:A.jpg|mini|Bild]][[Fichier:B.png|x]][[Файл:C.svg|y]]Text.", "Text."},
		{"image", "[[Image:A.jpg|left|200px|caption with [http://x.org site]]]Text.", "Text."},
		{"category", "Text.\n[[Category:Cities|Paris]]", "Text."},
		{"interwiki", "Text.[[fr:Paris]] [[wikt:cat|cat]]s", "Text. cats"},
		{"external link", "See [http://example.org the site].", "See the site."},
		{"bare external link", "See [http://example.org].", "See."},
		{"bold italic", "'''Bold''' and ''italic'' and '''''both'''''.", "Bold and italic and both."},
		{"apostrophe", "l''''amour'''", "l'amour"},
		{"heading", "Intro.\n== History ==\nOld.", "Intro.\n\nHistory\n\nOld."},
		{"empty section", "Intro.\n== Notes ==\n{{reflist}}\n== Links ==\n* [[A]]", "Intro.\n\nLinks\n\nA"},
		{"lists", "* one\n** two\n# three\n: four\n; term", "one\ntwo\nthree\nfour\nterm"},
		{"html", "a<span style=\"x\">b</span><br/>c <b>d</b>", "ab\nc d"},
		{"not a tag", "1 < 2 and 3 > 2", "1 < 2 and 3 > 2"},
		{"entities", "AT&amp;T &nbsp;&mdash; &#123;&#x41;", "AT&T — {A"},
		{"nowiki", "<nowiki>[[not a link]] ''x''</nowiki> x", "not a link ''x'' x"},
		{"table", "Before\n{| class=\"wikitable\"\n|+ Caption\n! A !! B\n|-\n| style=\"x\" | 1 || [[Two|2]]\n|}\nAfter",
			"Before\n\nCaption\nA | B\n1 | 2\n\nAfter"},
		{"attribute-only cells", "{|\n| a || colspan=\"2\" {{CMain}} || b\n|}", "a | b"},
		{"nested table", "{|\n| a\n{|\n| b\n|}\n|}\nEnd", "a\nb\n\nEnd"},
		{"magic word", "__NOTOC__Text", "Text"},
		{"inline templates", "{{lang|fr|Bonjour}} {{nowrap|a b}} {{convert|5|km|mi}} {{birth date|1950|1|2}}",
			"Bonjour a b 5 km 1950-01-02"},
		{"date without year", "{{dts||10|17}}", "October 17"},
		{"lang prefix", "({{lang-ru|Москва}})", "(Москва)"},
		{"empty parens", "X ({{IPAc-en|x}}) is.", "X is."},
		{"pipe escape", "[[A{{!}}B]]", "B"},
		{"pagename", "{{PAGENAME}} is", "Title is"},
		{"quote", "A{{quote|Said.}}B", "A\n\nSaid.\n\nB"},
		{"unclosed template", "a {{b|c", "a b|c"},
		{"unclosed link", "a [[b c", "a b c"},
		{"stray closers", "a }} b ]] c |}", "a b c |}"},
		{"triple braces", "{{{{{x}}}}}", ""},
		{"math", "Energy <math>E=mc^2</math> is.", "Energy is."},
		{"gallery", "A\n<gallery>\nFile:x.jpg|cap\n</gallery>\nB", "A\nB"},
		{"hr", "A\n----\nB", "A\n\nB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Parse("Title", tt.src)
			if p.Text != tt.want {
				t.Errorf("Parse(%q).Text\n got %q\nwant %q", tt.src, p.Text, tt.want)
			}
			checkClean(t, p)
		})
	}
}

func TestParseLinks(t *testing.T) {
	src := "[[Paris]] [[paris|P]] [[London#x|L]] [[File:A.jpg|[[Hidden]] caption]] " +
		"[[Category:Cities]] [[Category:Capitals|sort]] [[fr:Paris]] [[wikt:chat]] " +
		"[[:Category:Shown]] [[Help:Editing]] [[New_York  City]] [[#Local]] [[Star Wars: A New Hope]]"
	p := Parse("T", src)
	wantLinks := []string{"Paris", "London", "New York City", "Star Wars: A New Hope"}
	if !reflect.DeepEqual(p.Links, wantLinks) {
		t.Errorf("links = %q, want %q", p.Links, wantLinks)
	}
	wantCats := []string{"Cities", "Capitals"}
	if !reflect.DeepEqual(p.Categories, wantCats) {
		t.Errorf("categories = %q, want %q", p.Categories, wantCats)
	}
}

func TestParseSections(t *testing.T) {
	src := "Intro.\n== A ==\ntext\n=== B ===\nmore\n==C==\n====D====\ndeep\n= E =\nlast\n===F===\n"
	want := []corpus.Section{{Title: "A", Level: 2}, {Title: "B", Level: 3}, {Title: "C", Level: 2},
		{Title: "D", Level: 4}, {Title: "E", Level: 1}}
	p := Parse("T", src)
	if !reflect.DeepEqual(p.Sections, want) {
		t.Errorf("sections = %v, want %v", p.Sections, want)
	}
}

func TestParseInfobox(t *testing.T) {
	src := `{{Infobox settlement
| name = [[Toronto|City of Toronto]]
| image_skyline = Skyline.jpg
| population_total = {{formatnum:2731571}}<ref>census</ref>
| leader_name = [[John Tory]] <!-- mayor -->
| founded = {{start date|1793|08|27}}
| area = {{convert|630|km2}}
| districts = {{plainlist|
* [[East York]]
* [[Etobicoke]]
}}
| empty =
| 1 = positional
}}
'''Toronto''' is a city.`
	p := Parse("Toronto", src)
	want := []corpus.Fact{
		{Infobox: "settlement", Key: "name", Value: "City of Toronto"},
		{Infobox: "settlement", Key: "population_total", Value: "2731571"},
		{Infobox: "settlement", Key: "leader_name", Value: "John Tory"},
		{Infobox: "settlement", Key: "founded", Value: "1793-08-27"},
		{Infobox: "settlement", Key: "area", Value: "630 km2"},
		{Infobox: "settlement", Key: "districts", Value: "East York, Etobicoke"},
	}
	if !reflect.DeepEqual(p.Facts, want) {
		t.Errorf("facts =\n%v\nwant\n%v", p.Facts, want)
	}
	if p.Text != "Toronto is a city." {
		t.Errorf("text = %q", p.Text)
	}
	if !reflect.DeepEqual(p.Links, []string{"Toronto", "John Tory", "East York", "Etobicoke"}) {
		t.Errorf("links = %q", p.Links)
	}
	// Name case and localised prefixes.
	p = Parse("X", "{{infobox Person|name=A}}{{Inligtingskas Persoon|naam=B}}{{Taxobox|taxon_name=C}}x")
	want = []corpus.Fact{{Infobox: "person", Key: "name", Value: "A"},
		{Infobox: "persoon", Key: "naam", Value: "B"}, {Infobox: "taxobox", Key: "taxon_name", Value: "C"}}
	if !reflect.DeepEqual(p.Facts, want) {
		t.Errorf("facts = %v, want %v", p.Facts, want)
	}
}

func TestRedirect(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"#REDIRECT [[Toronto]]", "Toronto"},
		{"#redirect[[toronto#History|x]]\n{{R from move}}", "Toronto"},
		{"  #Redirect: [[New_York]]", "New York"},
		{"#WEITERLEITUNG [[Berlin]]", "Berlin"},
		{"#ПРЕНАСОЧВАНЕ [[София]]", "София"},
		{"#пренасочване [[София]]", "София"},
		{"#перенаправление [[Москва]]", "Москва"},
		{"#REDIRECT Toronto", ""},
		{"#REDIRECT [[Toronto", ""},
		{"Text #REDIRECT [[Toronto]]", ""},
		{"# list item", ""},
	}
	for _, tt := range tests {
		got, ok := RedirectTarget(tt.src)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("RedirectTarget(%q) = %q, %v; want %q", tt.src, got, ok, tt.want)
		}
		p := Parse("X", tt.src)
		if p.Redirect != tt.want {
			t.Errorf("Parse(%q).Redirect = %q, want %q", tt.src, p.Redirect, tt.want)
		}
		if p.Redirect != "" && p.Text != "" {
			t.Errorf("redirect page has text %q", p.Text)
		}
	}
}

func TestDisambiguation(t *testing.T) {
	for _, src := range []string{
		"'''Mercury''' may refer to:\n* [[Mercury (planet)]]\n{{disambiguation}}",
		"x\n{{Disambig}}", "x\n{{dab}}", "x\n{{Set index article}}", "x\n{{hndis|Smith, John}}",
		"x\n{{Begriffsklärung}}", "x\n{{Пояснение}}", "x __DISAMBIG__", "x\n{{Place name disambiguation}}",
	} {
		if !Parse("X", src).Disambiguation {
			t.Errorf("Parse(%q) is not marked as a disambiguation page", src)
		}
	}
	if !Parse("Mercury (disambiguation)", "x").Disambiguation {
		t.Error("a (disambiguation) title is not marked")
	}
	if Parse("X", "{{Begriffsklärungshinweis}}Text {{about|x}}").Disambiguation {
		t.Error("a hatnote marks a page as disambiguation")
	}
}

func TestNamespacesFromDump(t *testing.T) {
	p := NewParser(map[string]int{"Slika": NamespaceFile, "Kat": NamespaceCategory})
	got := p.Parse("X", "[[Slika:a.jpg|thumb|c]][[Kat:Things]]Text [[Other]]")
	if got.Text != "Text Other" || !reflect.DeepEqual(got.Categories, []string{"Things"}) {
		t.Errorf("got %q, categories %q", got.Text, got.Categories)
	}
}

func TestNormalizeTitle(t *testing.T) {
	for in, want := range map[string]string{
		"new_york  city": "New york city", " :paris ": "Paris", "AT&amp;T": "AT&T",
		"éclair": "Éclair", "": "", "софия": "София",
	} {
		if got := NormalizeTitle(in); got != want {
			t.Errorf("NormalizeTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestHostileInput checks that deep nesting and unclosed constructs are
// handled in linear time and leave no markup.
func TestHostileInput(t *testing.T) {
	const n = 50000
	for name, src := range map[string]string{
		"open braces":    strings.Repeat("{{", n),
		"close braces":   strings.Repeat("}}", n),
		"nested":         strings.Repeat("{{a|", n) + strings.Repeat("}}", n),
		"nested nowrap":  strings.Repeat("{{nowrap|x ", n/10) + strings.Repeat("}}", n/10),
		"open links":     strings.Repeat("[[", n),
		"nested links":   strings.Repeat("[[File:a|", n) + strings.Repeat("]]", n),
		"open refs":      strings.Repeat("<ref>", n),
		"open tags":      strings.Repeat("<ref name=x", n),
		"open ext links": strings.Repeat("[http://x ", n),
		"open comments":  strings.Repeat("<!-", n),
		"quotes":         strings.Repeat("'''''x", n),
		"tables":         strings.Repeat("{|\n", n),
		"headings":       strings.Repeat("==\n", n),
		"mixed":          strings.Repeat("{{[[<ref>{|\n", n/4),
		"closers":        strings.Repeat("}}]]</ref>|}\n", n/4),
	} {
		t.Run(name, func(t *testing.T) {
			p := Parse("T", src)
			checkClean(t, p)
			if len(p.Text) > 3*len(src)+64 {
				t.Errorf("text grew from %d to %d bytes", len(src), len(p.Text))
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "plain", "{{a|b={{c}}}}", "[[a|b]]", "{| \n|a||b\n|}", "<ref>x</ref>", "== h ==",
		"'''b'''", "#REDIRECT [[x]]", "{{Infobox x|a=[[b|c]]}}", "[[File:x|[[y]]]]",
		"<nowiki>{{x}}</nowiki>", "{{{{{x}}}}}", "<!--", "[http://x y]", "&lt;ref&gt;",
		"{{!}}{{=}}", "{{lc:ÀÉ}}", "\x00\xff", "{{dts||1|2}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p := Parse("Fuzz", src)
		for _, s := range forbidden {
			if strings.Contains(p.Text, s) {
				t.Fatalf("text %q from %q contains %q", p.Text, src, s)
			}
		}
		if len(p.Text) > 3*len(src)+64 {
			t.Fatalf("text grew from %d to %d bytes", len(src), len(p.Text))
		}
	})
}

func BenchmarkParse(b *testing.B) {
	src := strings.Repeat("'''Toronto''' is a [[city]] in [[Ontario|the province]].{{cn}}<ref>{{cite web|url=x}}</ref>\n"+
		"{{Infobox settlement|name=T|population={{formatnum:1000}}}}\n== History ==\n* [[York]]\n{|\n|a||b\n|}\n", 50)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		Parse("Toronto", src)
	}
}
