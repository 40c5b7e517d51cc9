package simwiki

import (
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/simgym/simgym/corpus"
	"github.com/simgym/simgym/corpus/webqa"
)

// InfoboxHeading is the heading of the section that holds an article's
// facts, one "Key: value" line each.
const InfoboxHeading = "Infobox"

// headingOrder is the order of sections after the lead and infobox.
var headingOrder = []string{hHistory, "Early life", hCareer, hWorks, hPersonal, hGeography, hEconomy,
	hEducation, hCulture, hProducts, hExped, hReception, hAwards, hLegacy, hPeople, hSeeAlso}

// page gathers one article as it is written.
type page struct {
	w     *World
	e     int
	r     *rand.Rand
	lead  []string
	secs  map[string][]string
	facts []corpus.Fact
	links []string
	seen  map[string]bool
	cats  []string
}

func (w *World) newPage(e int, salt uint64) *page {
	return &page{
		w:    w,
		e:    e,
		r:    rand.New(rand.NewPCG(uint64(w.seed)^0x9e3779b97f4a7c15, uint64(e)<<4|salt)),
		secs: map[string][]string{},
		seen: map[string]bool{},
	}
}

// link records a link to entity e's article and returns e's name, as
// text mentions it.
func (p *page) link(e int) string {
	t := p.w.title(e)
	if !p.seen[t] {
		p.seen[t] = true
		p.links = append(p.links, t)
	}
	return p.w.name(e)
}

func (p *page) say(heading, s string) {
	if heading == "" {
		p.lead = append(p.lead, s)
		return
	}
	p.secs[heading] = append(p.secs[heading], s)
}

// one returns one of the variants at random.
func (p *page) one(variants ...string) string { return variants[p.r.IntN(len(variants))] }

func (p *page) cat(c string) { p.cats = append(p.cats, c) }

// document assembles the article.
func (p *page) document(id, title string) corpus.Document {
	var b strings.Builder
	var sections []corpus.Section
	b.WriteString(strings.Join(p.lead, " "))
	if len(p.facts) > 0 {
		b.WriteString("\n\n" + InfoboxHeading + "\n\n")
		sections = append(sections, corpus.Section{Title: InfoboxHeading, Level: 2})
		for i, f := range p.facts {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(f.Key + ": " + f.Value)
		}
	}
	for _, h := range headingOrder {
		ss := p.secs[h]
		if len(ss) == 0 {
			continue
		}
		sections = append(sections, corpus.Section{Title: h, Level: 2})
		b.WriteString("\n\n" + h + "\n\n")
		for i := 0; i < len(ss); i += 4 { // paragraphs of up to four sentences
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(strings.Join(ss[i:min(i+4, len(ss))], " "))
		}
	}
	return corpus.Document{
		ID:         id,
		Title:      title,
		URL:        PageURL(title),
		Text:       b.String(),
		Sections:   sections,
		Links:      p.links,
		Facts:      p.facts,
		Categories: p.cats,
	}
}

// URLBase is where SimWiki's pages are: a page's URL is URLBase and its
// title with underscores for spaces.
const URLBase = "https://simwiki.local/wiki/"

// PageURL returns the URL of the SimWiki page with a title.
func PageURL(title string) string {
	return URLBase + urlEscaper.Replace(title)
}

var urlEscaper = strings.NewReplacer(" ", "_", "%", "%25", "?", "%3F", "#", "%23")

// Documents yields every article: entities in order, then decades.
func (w *World) Documents() iter.Seq[corpus.Document] {
	return func(yield func(corpus.Document) bool) {
		for e := range w.ents {
			if !yield(w.Document(e)) {
				return
			}
		}
		for _, y := range w.decades {
			if !yield(w.decadeDocument(y)) {
				return
			}
		}
	}
}

// Article returns article i (0 to Articles()-1), in the order of Documents.
func (w *World) Article(i int) corpus.Document {
	if i < len(w.ents) {
		return w.Document(i)
	}
	return w.decadeDocument(w.decades[i-len(w.ents)])
}

// Document renders entity e's article.
func (w *World) Document(e int) corpus.Document {
	p := w.newPage(e, 1)
	x := &w.ents[e]
	kind := x.kind.String()
	// The infobox: every fact of the entity, as webqa sees it.
	w.Facts(e, func(f webqa.Fact) bool {
		v := f.Value.String()
		if f.Object >= 0 {
			v = w.title(f.Object)
			p.link(f.Object)
		}
		p.facts = append(p.facts, corpus.Fact{Infobox: kind, Key: preds[f.Predicate].Key, Value: v})
		return true
	})
	p.links = p.links[:0] // links in the order the text makes them
	clear(p.seen)
	switch x.kind {
	case Country:
		p.country()
	case City:
		p.city()
	case University:
		p.university()
	case Company:
		p.company()
	case Person:
		p.person()
	case Book:
		p.book()
	case Film:
		p.film()
	case Album:
		p.album()
	case Product:
		p.product()
	case Festival:
		p.festival()
	case Treaty:
		p.treaty()
	case Expedition:
		p.expedition()
	case Award:
		p.award()
	case River:
		p.river()
	case Mountain:
		p.mountain()
	}
	p.referrers()
	p.prose()
	p.seeAlso()
	// Every infobox link is a link, even if the text did not mention it.
	for _, f := range p.facts {
		for _, fp := range kindPreds[x.kind] {
			if preds[fp].Key == f.Key && preds[fp].slot == slotRef && !p.seen[f.Value] {
				p.seen[f.Value] = true
				p.links = append(p.links, f.Value)
			}
		}
	}
	return p.document(entityID(e), w.title(e))
}

// referrers lists, for each relation whose object is this entity, the
// first ListLimit entities that have it, in the section the relation
// names; the article's own prose may already have mentioned some.
func (p *page) referrers() {
	w := p.w
	for pr := range preds {
		d := &preds[pr]
		if d.slot != slotRef || d.list == "" {
			continue
		}
		subs, n := w.referrers(p.e, pr, ListLimit)
		if len(subs) == 0 {
			continue
		}
		items := make([]string, len(subs))
		for i, s := range subs {
			items[i] = p.item(s, pr)
		}
		list := joinList(items)
		if n > len(subs) {
			list += ", among " + strconv.Itoa(n-len(subs)) + " others"
		}
		s := strings.NewReplacer("{o}", w.name(p.e), "{list}", list).Replace(d.list)
		p.say(d.heading, capitalise(s))
	}
}

// item names entity s in a list of the entities that have relation pr.
func (p *page) item(s, pr int) string {
	w := p.w
	x := &w.ents[s]
	name := p.link(s)
	switch x.kind {
	case Person:
		if preds[pr].Name == "award" {
			return "the " + w.noun(s) + " " + name + " (" + strconv.Itoa(int(x.date[2]&0xffff)) + ")"
		}
		return "the " + w.noun(s) + " " + name
	case Book, Film, Album, Product, Festival, Expedition, Treaty:
		return name + " (" + strconv.Itoa(w.year(s)) + ")"
	}
	return name
}

func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func formatDate(d int32) string {
	return webqa.Value{Type: webqa.TypeDate, Num: int64(d)}.String()
}

func num(n uint32) string { return webqa.FormatNumber(int64(n)) }

func plural(noun string) string {
	switch {
	case strings.HasSuffix(noun, "y") && !strings.HasSuffix(noun, "ey"):
		return noun[:len(noun)-1] + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "sh"), strings.HasSuffix(noun, "ch"):
		return noun + "es"
	}
	return noun + "s"
}

// countryOf returns the country a place-like entity is in, or -1.
func (w *World) countryOf(e int) int {
	x := &w.ents[e]
	switch x.kind {
	case Country:
		return e
	case City, River, Mountain:
		return int(x.ref[0])
	case University, Festival:
		return w.countryOf(int(x.ref[0]))
	case Company:
		return w.countryOf(int(x.ref[1]))
	case Person:
		return w.countryOf(int(x.ref[0]))
	}
	return -1
}

func (w *World) demonymOf(e int) string {
	if c := w.countryOf(e); c >= 0 {
		return demonym(w.name(c))
	}
	return ""
}

func (p *page) country() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	capital := p.link(int(x.ref[0]))
	p.say("", p.one(
		name+" is a country whose capital is "+capital+".",
		name+" is a sovereign state with its capital at "+capital+".",
	))
	p.say("", p.one(
		"It was established in "+strconv.Itoa(int(x.date[0]))+" and has a population of "+num(x.num[0])+".",
		"Established in "+strconv.Itoa(int(x.date[0]))+", it is home to "+num(x.num[0])+" people.",
	))
	p.say("", "The official language is "+demonym(name)+" and the currency is the "+w.currency(e)+".")
	p.say(hGeography, name+" covers "+num(x.num[1])+" square kilometres.")
	p.cat("Countries")
	p.cat("States established in " + strconv.Itoa(int(x.date[0])))
}

func (p *page) city() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	country := int(x.ref[0])
	cn := p.link(country)
	founded := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		name+" is a city in "+cn+".",
		name+" is a "+demonym(w.name(country))+" city.",
		name+" is a city of "+cn+", founded in "+founded+".",
	))
	if int(w.ents[country].ref[0]) == e {
		p.say("", p.one("It is the capital of "+cn+".", "It is the capital and largest city of "+cn+"."))
	}
	p.say("", p.one(
		"It has a population of "+num(x.num[0])+".",
		"The city is home to "+num(x.num[0])+" people.",
	))
	p.say(hHistory, p.one(
		name+" was founded in "+founded+".",
		"The city was founded in "+founded+".",
		"The first settlement on the site dates from "+founded+", the year the city was founded.",
	))
	p.say(hGeography, p.one(
		"The city lies "+num(x.num[1])+" metres above sea level.",
		name+" stands at an elevation of "+num(x.num[1])+" metres.",
	))
	p.cat("Cities in " + w.name(country))
	p.cat("Populated places established in " + founded)
}

func (p *page) university() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	city := int(x.ref[0])
	country := int(w.ents[city].ref[0])
	founded := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		"The "+name+" is a university in "+p.link(city)+", "+p.link(country)+", founded in "+founded+".",
		name+" is a "+demonym(w.name(country))+" university in "+p.link(city)+". It was founded in "+founded+".",
	))
	p.say("", p.one("It has "+num(x.num[0])+" students.", "About "+num(x.num[0])+" students are enrolled there."))
	p.say(hHistory, p.one(
		"Teaching began in "+founded+".",
		"The university was founded in "+founded+".",
	))
	p.cat("Universities in " + w.name(country))
	p.cat("Educational institutions established in " + founded)
}

func (p *page) company() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	hq := int(x.ref[1])
	noun := w.noun(e)
	founded := strconv.Itoa(int(x.date[0]))
	if f := int(x.ref[0]); f >= 0 {
		p.say("", p.one(
			name+" is "+article(w.demonymOf(e))+" "+w.demonymOf(e)+" "+noun+" founded in "+founded+" by "+p.link(f)+".",
			name+" is "+article(noun)+" "+noun+" based in "+p.link(hq)+". It was founded by "+p.link(f)+" in "+founded+".",
		))
		p.say(hHistory, p.one(
			w.name(f)+" founded the company in "+founded+".",
			"The company was founded in "+founded+" by the "+w.noun(f)+" "+p.link(f)+".",
		))
	} else {
		p.say("", name+" is "+article(noun)+" "+noun+" founded in "+founded+".")
	}
	p.say("", "Its headquarters are in "+p.link(hq)+".")
	p.say(hEconomy, p.one(
		"It employs "+num(x.num[0])+" people.",
		"The company has "+num(x.num[0])+" employees.",
	))
	p.cat("Companies based in " + w.name(hq))
	p.cat("Companies established in " + founded)
	p.cat(capitalise(industries[x.sub].name) + " companies")
}

func (p *page) pronoun() (string, string) {
	if p.w.ents[p.e].flags&flagFemale != 0 {
		return "She", "her"
	}
	return "He", "his"
}

func (p *page) person() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	surname := lastWord(name)
	he, his := p.pronoun()
	noun := w.noun(e)
	city := int(x.ref[0])
	country := int(w.ents[city].ref[0])
	dem := demonym(w.name(country))
	born := formatDate(x.date[0])
	if x.date[1] != 0 {
		p.say("", p.one(
			name+" ("+born+" – "+formatDate(x.date[1])+") was "+article(dem)+" "+dem+" "+noun+".",
			name+" was "+article(dem)+" "+dem+" "+noun+", born on "+born+".",
		))
	} else {
		p.say("", p.one(
			name+" (born "+born+") is "+article(dem)+" "+dem+" "+noun+".",
			name+" is "+article(dem)+" "+dem+" "+noun+", born on "+born+".",
		))
	}
	p.say("Early life", p.one(
		surname+" was born in "+p.link(city)+", "+p.link(country)+", on "+born+".",
		he+" was born on "+born+" in "+p.link(city)+", a city in "+p.link(country)+".",
		"Born in "+p.link(city)+" on "+born+", "+surname+" grew up in "+p.link(country)+".",
	))
	if u := int(x.ref[2]); u >= 0 {
		p.say("Early life", p.one(
			he+" studied at "+p.link(u)+".",
			he+" was educated at "+p.link(u)+".",
			"After school "+strings.ToLower(he)+" went on to "+p.link(u)+".",
		))
	}
	if q := int(x.ref[4]); q >= 0 {
		p.say("Early life", p.one(
			"As a young "+noun+", "+strings.ToLower(he)+" admired the work of the "+w.noun(q)+" "+p.link(q)+".",
			he+" was influenced by "+p.link(q)+".",
		))
	}
	// The best-known work, if any.
	for _, pr := range []string{"author", "director", "artist", "designer", "founder", "leader"} {
		subs, _ := w.referrers(e, pi(pr), 1)
		if len(subs) > 0 {
			s := subs[0]
			p.say("", p.one(
				he+" is best known for "+p.link(s)+" ("+strconv.Itoa(w.year(s))+").",
				his+" best-known work is "+p.link(s)+".",
			))
			break
		}
	}
	if s := int(x.ref[3]); s >= 0 {
		year := strconv.Itoa(int(x.date[2] >> 16))
		p.say(hPersonal, p.one(
			surname+" married "+p.link(s)+" in "+year+".",
			"In "+year+", "+strings.ToLower(he)+" married the "+w.noun(s)+" "+p.link(s)+".",
		))
	}
	if x.date[1] != 0 {
		age := int(x.date[1]/10000 - x.date[0]/10000)
		if x.date[1]%10000 < x.date[0]%10000 {
			age--
		}
		p.say(hPersonal, p.one(
			he+" died in "+p.link(int(x.ref[1]))+" on "+formatDate(x.date[1])+", at the age of "+strconv.Itoa(age)+".",
			surname+" died on "+formatDate(x.date[1])+" in "+p.link(int(x.ref[1]))+".",
		))
		p.cat(strconv.Itoa(int(x.date[1]/10000)) + " deaths")
	}
	if a := int(x.ref[5]); a >= 0 {
		p.say(hAwards, p.one(
			"In "+strconv.Itoa(int(x.date[2]&0xffff))+", "+strings.ToLower(he)+" received the "+p.link(a)+".",
			surname+" was awarded the "+p.link(a)+" in "+strconv.Itoa(int(x.date[2]&0xffff))+".",
		))
	}
	p.cat(strconv.Itoa(int(x.date[0]/10000)) + " births")
	p.cat(dem + " " + plural(noun))
	p.cat("People from " + w.name(city))
}

func (p *page) book() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	author := int(x.ref[0])
	noun := w.noun(e)
	year := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		name+" is "+article(year)+" "+year+" "+noun+" by the "+w.demonymOf(author)+" "+w.noun(author)+" "+p.link(author)+".",
		name+" is "+article(noun)+" "+noun+" written by "+p.link(author)+" and published in "+year+".",
	))
	if pub := int(x.ref[1]); pub >= 0 {
		p.say("", p.one(
			"It was published by "+p.link(pub)+".",
			"The first edition came out from "+p.link(pub)+".",
		))
	}
	p.say("", p.one("The book runs to "+num(x.num[0])+" pages.", "It has "+num(x.num[0])+" pages."))
	p.say(hReception, p.one(
		"Critics noted its careful structure.",
		"The "+noun+" found readers slowly at first.",
		"Reviewers praised its prose.",
		"It was reprinted several times.",
	))
	p.cat(year + " " + plural(noun))
	p.cat("Works by " + w.name(author))
}

func (p *page) film() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	dir := int(x.ref[0])
	year := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		name+" is "+article(year)+" "+year+" film directed by "+p.link(dir)+".",
		name+" is a film by the "+w.demonymOf(dir)+" director "+p.link(dir)+", released in "+year+".",
	))
	if s := int(x.ref[1]); s >= 0 {
		p.say("", "It was produced by "+p.link(s)+".")
	}
	if a := int(x.ref[2]); a >= 0 {
		p.say("", p.one("It stars "+p.link(a)+".", "The lead role is played by "+p.link(a)+"."))
	}
	p.say("", "The film runs for "+num(x.num[0])+" minutes.")
	if b := int(x.ref[3]); b >= 0 {
		p.say(hHistory, "The film is based on the "+strconv.Itoa(int(w.ents[b].date[0]))+" "+w.noun(b)+" "+
			p.link(b)+" by "+p.link(int(w.ents[b].ref[0]))+".")
	}
	p.cat(year + " films")
	p.cat("Films directed by " + w.name(dir))
}

func (p *page) album() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	artist := int(x.ref[0])
	year := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		name+" is an album by the "+w.noun(artist)+" "+p.link(artist)+", released in "+year+".",
		name+" is "+article(year)+" "+year+" album recorded by "+p.link(artist)+".",
	))
	if l := int(x.ref[1]); l >= 0 {
		p.say("", "It was released on "+p.link(l)+".")
	}
	p.say("", p.one("It has "+num(x.num[0])+" tracks.", "The album contains "+num(x.num[0])+" tracks."))
	p.cat(year + " albums")
}

func (p *page) product() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	noun := w.noun(e)
	year := strconv.Itoa(int(x.date[0]))
	if m := int(x.ref[0]); m >= 0 {
		p.say("", p.one(
			"The "+name+" is "+article(noun)+" "+noun+" made by "+p.link(m)+" and introduced in "+year+".",
			"The "+name+" is "+article(noun)+" "+noun+" introduced in "+year+" by "+p.link(m)+".",
		))
	} else {
		p.say("", "The "+name+" is "+article(noun)+" "+noun+" introduced in "+year+".")
	}
	if d := int(x.ref[1]); d >= 0 {
		p.say("", "It was designed by the "+w.noun(d)+" "+p.link(d)+".")
	}
	p.say(hHistory, p.one(
		num(x.num[0])+" units were sold.",
		"Sales reached "+num(x.num[0])+" units.",
	))
	p.cat("Products introduced in " + year)
	p.cat(capitalise(plural(noun)))
}

func (p *page) festival() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	city := int(x.ref[0])
	country := int(w.ents[city].ref[0])
	year := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		"The "+name+" is an annual festival held in "+p.link(city)+", "+p.link(country)+", since "+year+".",
		"The "+name+" is a festival in "+p.link(city)+", first held in "+year+".",
	))
	if o := int(x.ref[1]); o >= 0 {
		p.say("", "It is organised by "+p.link(o)+".")
	}
	p.say(hCulture, "The festival draws "+num(x.num[0])+" visitors each year.")
	p.cat("Festivals in " + w.name(country))
	p.cat("Recurring events established in " + year)
}

func (p *page) treaty() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	city, a, b := int(x.ref[0]), int(x.ref[1]), int(x.ref[2])
	p.say("", p.one(
		"The "+name+" was signed on "+formatDate(x.date[0])+" in "+p.link(city)+" by "+p.link(a)+" and "+p.link(b)+".",
		"The "+name+" is a treaty between "+p.link(a)+" and "+p.link(b)+", signed in "+p.link(city)+" on "+formatDate(x.date[0])+".",
	))
	p.say(hHistory, p.one(
		"Delegations of both states met in "+w.name(city)+" to sign it.",
		"It settled questions of trade and borders between the two states.",
	))
	p.cat("Treaties of " + w.name(a))
	p.cat("Treaties of " + w.name(b))
	p.cat(strconv.Itoa(int(x.date[0]/10000)) + " treaties")
}

func (p *page) expedition() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	leader, m := int(x.ref[0]), int(x.ref[1])
	year := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		"The "+name+" was an expedition led by the "+w.noun(leader)+" "+p.link(leader)+" to "+p.link(m)+" in "+year+".",
		"The "+name+" travelled to "+p.link(m)+" in "+year+" under "+p.link(leader)+".",
	))
	p.say("", "It had "+num(x.num[0])+" members.")
	mt := &w.ents[m]
	if int(mt.ref[1]) == leader && mt.date[0] == x.date[0] && w.firstExpedition(m) == e {
		p.say(hHistory, "The expedition made the first ascent of "+w.name(m)+".")
	} else if mt.ref[1] >= 0 {
		p.say(hHistory, "The first ascent of "+w.name(m)+" had been made by "+p.link(int(mt.ref[1]))+" in "+strconv.Itoa(int(mt.date[0]))+".")
	}
	p.cat("Expeditions")
	p.cat(year + " in exploration")
}

// firstExpedition returns the earliest expedition to mountain m (by year,
// then number), or -1.
func (w *World) firstExpedition(m int) int {
	subs, _ := w.referrers(m, pi("destination"), -1)
	best := -1
	for _, s := range subs {
		if best < 0 || w.ents[s].date[0] < w.ents[best].date[0] {
			best = s
		}
	}
	return best
}

func (p *page) award() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	org := int(x.ref[0])
	year := strconv.Itoa(int(x.date[0]))
	p.say("", p.one(
		"The "+name+" is an award presented by "+p.link(org)+" since "+year+".",
		"The "+name+" was established in "+year+" and is presented by "+p.link(org)+".",
	))
	p.cat("Awards established in " + year)
}

func (p *page) river() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	country := int(x.ref[0])
	p.say("", p.one(
		"The "+name+" is a river in "+p.link(country)+", "+num(x.num[0])+" kilometres long.",
		"The "+name+" is a "+num(x.num[0])+"-kilometre river of "+p.link(country)+".",
	))
	if c := int(x.ref[1]); c >= 0 {
		p.say(hGeography, "It reaches the sea at "+p.link(c)+".")
	}
	p.cat("Rivers of " + w.name(country))
}

func (p *page) mountain() {
	w, e, x := p.w, p.e, &p.w.ents[p.e]
	name := w.name(e)
	country := int(x.ref[0])
	p.say("", p.one(
		name+" is a mountain in "+p.link(country)+", "+num(x.num[0])+" metres high.",
		name+" rises "+num(x.num[0])+" metres in "+p.link(country)+".",
	))
	if l := int(x.ref[1]); l >= 0 {
		p.say(hHistory, "It was first climbed in "+strconv.Itoa(int(x.date[0]))+" by "+p.link(l)+".")
	} else {
		p.say(hHistory, "No ascent of the mountain is recorded.")
	}
	p.cat("Mountains of " + w.name(country))
}

// decadeDocument renders the article of the decade starting in year y:
// births, deaths, foundings, works and events of the decade.
func (w *World) decadeDocument(y int) corpus.Document {
	p := w.newPage(0, 2)
	title := decadeTitle(y)
	p.say("", "The "+title+" were the decade from "+strconv.Itoa(y)+" to "+strconv.Itoa(y+9)+".")
	limit := 2 * ListLimit
	type list struct {
		heading, intro string
		items          []string
		more           int
	}
	lists := []*list{
		{heading: "Births", intro: "People born in the " + title + " include "},
		{heading: "Deaths", intro: "People who died in the " + title + " include "},
		{heading: "Foundations", intro: "Founded in the " + title + ": "},
		{heading: "Works", intro: "Works of the " + title + " include "},
		{heading: "Events", intro: "Events of the " + title + " include "},
	}
	add := func(l *list, s string) {
		if len(l.items) < limit {
			l.items = append(l.items, s)
		} else {
			l.more++
		}
	}
	in := func(year int) bool { return year >= y && year < y+10 }
	for e := range w.ents {
		x := &w.ents[e]
		switch x.kind {
		case Person:
			if in(int(x.date[0] / 10000)) {
				add(lists[0], "the "+w.noun(e)+" "+p.link(e)+" ("+formatDate(x.date[0])+")")
			}
			if x.date[1] != 0 && in(int(x.date[1]/10000)) {
				add(lists[1], "the "+w.noun(e)+" "+p.link(e)+" ("+formatDate(x.date[1])+")")
			}
		case City, Company, University, Award:
			if in(int(x.date[0])) {
				add(lists[2], "the "+w.noun(e)+" "+p.link(e)+" ("+strconv.Itoa(int(x.date[0]))+")")
			}
		case Book, Film, Album:
			if in(int(x.date[0])) {
				add(lists[3], "the "+w.noun(e)+" "+p.link(e)+" ("+strconv.Itoa(int(x.date[0]))+")")
			}
		case Treaty, Expedition, Festival:
			if in(w.year(e)) {
				add(lists[4], p.link(e)+" ("+strconv.Itoa(w.year(e))+")")
			}
		}
	}
	var b strings.Builder
	b.WriteString(strings.Join(p.lead, " "))
	var sections []corpus.Section
	for _, l := range lists {
		if len(l.items) == 0 {
			continue
		}
		s := l.intro + joinList(l.items)
		if l.more > 0 {
			s += ", among " + strconv.Itoa(l.more) + " others"
		}
		sections = append(sections, corpus.Section{Title: l.heading, Level: 2})
		b.WriteString("\n\n" + l.heading + "\n\n" + s + ".")
	}
	return corpus.Document{
		ID:         decadeID(y),
		Title:      title,
		Text:       b.String(),
		Sections:   sections,
		Links:      p.links,
		Categories: []string{"Decades"},
	}
}
