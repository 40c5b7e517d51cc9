package simwiki

import (
	"strings"
)

// Prose that states no fact of the world: it gives articles the length
// and variety of real ones, and search engines words to wade through.
// Placeholders: {name}, {surname}, {He}, {he}, {him}, {his}, {noun},
// {nouns}, {country}, {dem}.
var filler = map[Kind]map[string][]string{
	Person: {
		hCareer: {
			"{surname}'s early work drew little notice outside {country}.",
			"Colleagues described {him} as patient and exacting.",
			"{He} spent long periods travelling, and kept detailed notebooks.",
			"{His} methods were widely discussed among {dem} {nouns}.",
			"{He} worked slowly, often returning to a project after years.",
			"Much of {his} correspondence survives in private collections.",
		},
		hLegacy: {
			"Critics have debated the place of {surname} among the {nouns} of {his} generation.",
			"Later in life {he} advised younger {nouns} informally.",
			"A street in {his} home town is named after {him}.",
			"{His} papers were catalogued after {his} death by a small group of admirers.",
		},
	},
	City: {
		hGeography: {
			"The old town is known for its narrow streets and stone bridges.",
			"Several parks lie along the edge of the old town.",
			"The surrounding countryside is given over to farms and orchards.",
			"Winters are cool and wet, and summers mild.",
		},
		hEconomy: {
			"Trade and crafts have long been the mainstays of the local economy.",
			"Rail and road links connect {name} with other cities of {country}.",
			"A weekly market draws traders from the surrounding villages.",
		},
		hCulture: {
			"The city has a small museum of local history.",
			"Its main square hosts concerts in the summer months.",
		},
	},
	Country: {
		hGeography: {
			"The landscape ranges from coastal plains to upland forests.",
			"{name} is divided into provinces, each with its own council.",
			"Most of the population lives in the lowlands.",
		},
		hEconomy: {
			"Agriculture, trade and light industry are the mainstays of the economy.",
			"The {dem} economy depends heavily on its ports and railways.",
		},
	},
	Company: {
		hHistory: {
			"The company grew steadily after its founding.",
			"It weathered several difficult years before returning to growth.",
			"Its first premises were a rented workshop.",
		},
		hEconomy: {
			"{name} is known in {country} for the quality of its work.",
			"The firm has opened offices in several cities.",
		},
	},
	University: {
		hEducation: {
			"The university is organised into faculties of arts, sciences and law.",
			"Its library holds a large collection of rare books.",
			"Students come from across {country} and abroad.",
		},
	},
	Book: {
		hReception: {
			"The {noun} follows several characters over many years.",
			"Its themes include memory, exile and family.",
			"Later editions added a foreword by the author.",
			"It has been translated into several languages.",
		},
	},
	Film: {
		hReception: {
			"Filming took place over several months.",
			"The score was praised by critics.",
			"A restored print was made later.",
			"Audiences were divided on its ending.",
		},
	},
	Album: {
		hReception: {
			"The songs were recorded over a few weeks.",
			"Critics singled out its closing track.",
			"The album was reissued with extra material.",
		},
	},
	Product: {
		hHistory: {
			"Its design was widely copied.",
			"Spare parts remain in demand among collectors.",
			"Several variants followed the original model.",
		},
	},
	Festival: {
		hCulture: {
			"The programme includes concerts, markets and parades.",
			"Volunteers from the city run much of the event.",
			"Each edition ends with a procession through the old town.",
		},
	},
	Treaty: {
		hHistory: {
			"Negotiations lasted several months.",
			"Historians still debate its long-term effects.",
		},
	},
	Expedition: {
		hHistory: {
			"The party faced harsh weather on the approach.",
			"Its members kept journals that were later published.",
			"Supplies were carried by porters from the valley below.",
		},
	},
	Award: {
		hAwards: {
			"The award honours distinguished work in its field.",
			"Winners receive a medal and a diploma.",
			"A jury of former winners chooses each recipient.",
		},
	},
	River: {
		hGeography: {
			"Its banks are lined with farmland and small villages.",
			"The river floods in most springs.",
			"Several bridges cross it along its lower course.",
		},
	},
	Mountain: {
		hGeography: {
			"The upper slopes are covered in snow for much of the year.",
			"Its lower flanks are forested.",
			"Climbers approach it from the valley to the south.",
		},
	},
}

// prose adds a few sentences of filler to the article.
func (p *page) prose() {
	w, e := p.w, p.e
	x := &w.ents[e]
	sections := filler[x.kind]
	if len(sections) == 0 {
		return
	}
	he, his := "it", "its"
	him := "it"
	if x.kind == Person {
		he, his = p.pronoun()
		him = "him"
		if x.flags&flagFemale != 0 {
			him = "her"
		}
	}
	country, dem := "", ""
	if c := w.countryOf(e); c >= 0 {
		country, dem = w.name(c), demonym(w.name(c))
	}
	noun := w.noun(e)
	r := strings.NewReplacer(
		"{name}", w.name(e), "{surname}", lastWord(w.name(e)),
		"{He}", he, "{he}", strings.ToLower(he), "{him}", him,
		"{His}", capitalise(his), "{his}", strings.ToLower(his),
		"{nouns}", plural(noun), "{noun}", noun, "{country}", country, "{dem}", dem,
	)
	// Headings in a fixed order, so that the draws do not depend on map
	// order.
	for _, h := range headingOrder {
		pool := sections[h]
		if len(pool) == 0 {
			continue
		}
		n := p.r.IntN(3) // zero to two sentences per section
		for _, i := range p.r.Perm(len(pool))[:min(n, len(pool))] {
			p.say(h, r.Replace(pool[i]))
		}
	}
}

// seeAlso lists a few entities that share a relation with this one:
// people born in the same city, works by the same author, companies of
// the same city, cities of the same country.
func (p *page) seeAlso() {
	w, e := p.w, p.e
	x := &w.ents[e]
	var via, pred int
	switch x.kind {
	case Person:
		via, pred = int(x.ref[0]), pi("birthplace")
	case City:
		via, pred = int(x.ref[0]), pi("country")
	case Company:
		via, pred = int(x.ref[1]), pi("headquarters")
	case Book:
		via, pred = int(x.ref[0]), pi("author")
	case Film:
		via, pred = int(x.ref[0]), pi("director")
	case Album:
		via, pred = int(x.ref[0]), pi("artist")
	default:
		return
	}
	subs, _ := w.referrers(via, pred, 4)
	var names []string
	for _, s := range subs {
		if s != e && len(names) < 3 {
			names = append(names, p.link(s))
		}
	}
	if len(names) > 0 {
		p.say(hSeeAlso, joinList(names)+".")
	}
}
