package simwiki

import (
	"errors"
	"fmt"
)

// ErrInconsistent wraps what Check finds wrong.
var ErrInconsistent = errors.New("simwiki: inconsistent world")

// maxProblems is how many problems Check reports.
const maxProblems = 20

// objectKinds are the kinds a relation's objects may have.
var objectKinds = map[string][]Kind{
	"capital": {City}, "country": {Country}, "university_city": {City}, "founder": {Person},
	"headquarters": {City}, "birthplace": {City}, "deathplace": {City}, "alma_mater": {University},
	"spouse": {Person}, "influenced_by": {Person}, "award": {Award}, "author": {Person},
	"publisher": {Company}, "director": {Person}, "studio": {Company}, "starring": {Person},
	"based_on": {Book}, "artist": {Person}, "label": {Company}, "manufacturer": {Company},
	"designer": {Person}, "festival_city": {City}, "organiser": {Company, University},
	"signed_at": {City}, "first_signatory": {Country}, "second_signatory": {Country},
	"leader": {Person}, "destination": {Mountain}, "presenter": {Company, University},
	"river_country": {Country}, "mouth": {City}, "mountain_country": {Country},
	"first_ascent_by": {Person},
}

// Check verifies the world's consistency: every relation points at an
// entity of the right kind; dates are in order (no one founds a company
// before coming of age or after dying, a work appears while its author
// lives and after its publisher is founded, a city is founded before
// anyone is born in it, a film comes after the book it adapts, a
// mountain's first ascent is its earliest expedition); places nest (a
// city lies in one country, a capital in its own country, a river's
// mouth in the river's country, a treaty is signed in a signatory's city);
// marriages are mutual; and titles are unique. It returns nil or an error
// wrapping ErrInconsistent that lists the first problems.
func (w *World) Check() error {
	var probs []error
	bad := func(e int, format string, args ...any) {
		if len(probs) < maxProblems {
			probs = append(probs, fmt.Errorf("%s %s: %s", w.ents[e].kind, w.title(e), fmt.Sprintf(format, args...)))
		}
	}
	titles := make(map[string]int, len(w.ents)+len(w.decades))
	for e := range w.ents {
		t := w.title(e)
		if other, dup := titles[t]; dup {
			bad(e, "title also used by entity %d", other)
		}
		titles[t] = e
	}
	for _, y := range w.decades {
		if _, dup := titles[decadeTitle(y)]; dup {
			probs = append(probs, fmt.Errorf("decade title %s is an entity's", decadeTitle(y)))
		}
	}
	for e := range w.ents {
		x := &w.ents[e]
		for _, p := range kindPreds[x.kind] {
			d := &preds[p]
			if d.slot != slotRef {
				continue
			}
			o := int(x.ref[d.idx])
			if o < -1 || o >= len(w.ents) {
				bad(e, "%s points outside the world", d.Name)
				continue
			}
			if o >= 0 && !kindIn(w.ents[o].kind, objectKinds[d.Name]) {
				bad(e, "%s is a %s", d.Name, w.ents[o].kind)
			}
		}
		w.checkEntity(e, bad)
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrInconsistent, errors.Join(probs...))
}

func kindIn(k Kind, ks []Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// checkEntity checks the facts of one entity against those of the
// entities they name.
func (w *World) checkEntity(e int, bad func(int, string, ...any)) {
	x := &w.ents[e]
	year := w.year(e)
	founded := func(o int) int { return int(w.ents[o].date[0]) }
	born := func(p int) int { return int(w.ents[p].date[0] / 10000) }
	lives := func(p int) int {
		if d := w.died(p); d > 0 {
			return d
		}
		return lastYear
	}
	// active checks that person p was between from and to years old, and
	// alive, in year y.
	active := func(what string, p, y, from, to int) {
		if y < born(p)+from || y > born(p)+to || y > lives(p) {
			bad(e, "%s %s (born %d, lived to %d) in %d", what, w.title(p), born(p), lives(p), y)
		}
	}
	if year > lastYear {
		bad(e, "dated %d, after %d", year, lastYear)
	}
	switch x.kind {
	case Country:
		c := int(x.ref[0])
		if int(w.ents[c].ref[0]) != e {
			bad(e, "capital %s lies in another country", w.title(c))
		}
		if x.num[0] <= w.ents[c].num[0] {
			bad(e, "population %d not above its capital's %d", x.num[0], w.ents[c].num[0])
		}
	case University:
		if c := int(x.ref[0]); founded(c) >= year {
			bad(e, "founded %d, not after its city (%d)", year, founded(c))
		}
	case Person:
		b := born(e)
		if c := int(x.ref[0]); founded(c) >= b {
			bad(e, "born %d in a city founded %d", b, founded(c))
		}
		if x.date[1] != 0 {
			if x.date[1] <= x.date[0] {
				bad(e, "died %d before being born %d", x.date[1], x.date[0])
			}
			if c := int(x.ref[1]); c < 0 || founded(c) >= w.died(e) {
				bad(e, "died %d in a city not yet founded", w.died(e))
			}
		} else if x.ref[1] >= 0 {
			bad(e, "has a place of death but no death")
		}
		if u := int(x.ref[2]); u >= 0 && founded(u) > b+18 {
			bad(e, "studied at %s, founded %d, after coming of age", w.title(u), founded(u))
		}
		if s := int(x.ref[3]); s >= 0 {
			m := int(x.date[2] >> 16)
			if int(w.ents[s].ref[3]) != e {
				bad(e, "married to %s, who is not married to them", w.title(s))
			}
			if m < max(b, born(s))+18 || m > min(lives(e), lives(s)) {
				bad(e, "married in %d", m)
			}
		}
		if q := int(x.ref[4]); q >= 0 && (born(q) > b-10 || q == e) {
			bad(e, "influenced by %s, born %d", w.title(q), born(q))
		}
		if a := int(x.ref[5]); a >= 0 {
			y := int(x.date[2] & 0xffff)
			if y < founded(a) {
				bad(e, "received %s in %d, before it was established", w.title(a), y)
			}
			active("received the award:", e, y, 20, 200)
		}
	case Company:
		if year < industries[x.sub].minYear {
			bad(e, "founded %d, before its industry", year)
		}
		if f := int(x.ref[0]); f >= 0 {
			active("founder", f, year, 20, 200)
		}
		if c := int(x.ref[1]); founded(c) >= year {
			bad(e, "founded %d in a city founded %d", year, founded(c))
		}
	case Book:
		active("author", int(x.ref[0]), year, 18, 200)
		if p := int(x.ref[1]); p >= 0 && (founded(p) > year || w.ents[p].sub != indPublishing) {
			bad(e, "published %d by %s", year, w.title(p))
		}
	case Film:
		active("director", int(x.ref[0]), year, 20, 200)
		if s := int(x.ref[1]); s >= 0 && (founded(s) > year || w.ents[s].sub != indFilm) {
			bad(e, "produced %d by %s", year, w.title(s))
		}
		if a := int(x.ref[2]); a >= 0 {
			active("actor", a, year, 10, 200)
		}
		if bk := int(x.ref[3]); bk >= 0 && (founded(bk) >= year || w.name(bk) != w.name(e)) {
			bad(e, "based on %s of %d", w.title(bk), founded(bk))
		}
	case Album:
		active("artist", int(x.ref[0]), year, 16, 200)
		if l := int(x.ref[1]); l >= 0 && (founded(l) > year || w.ents[l].sub != indMusic) {
			bad(e, "released %d on %s", year, w.title(l))
		}
	case Product:
		if m := int(x.ref[0]); m >= 0 && founded(m) > year {
			bad(e, "introduced %d by %s, founded %d", year, w.title(m), founded(m))
		}
		if year < productTypes[x.sub].minYear {
			bad(e, "introduced %d, before its kind of product", year)
		}
		if d := int(x.ref[1]); d >= 0 {
			active("designer", d, year, 20, 200)
		}
	case Festival:
		c := int(x.ref[0])
		if founded(c) >= year {
			bad(e, "first held %d in a city founded %d", year, founded(c))
		}
		if o := int(x.ref[1]); o >= 0 {
			where := int(w.ents[o].ref[0])
			if w.ents[o].kind == Company {
				where = int(w.ents[o].ref[1])
			}
			if founded(o) > year || where != c {
				bad(e, "organised by %s, founded %d elsewhere", w.title(o), founded(o))
			}
		}
	case Treaty:
		c, a, b := int(x.ref[0]), int(x.ref[1]), int(x.ref[2])
		if a == b || founded(a) > year || founded(b) > year {
			bad(e, "signed %d by %s and %s", year, w.title(a), w.title(b))
		}
		if int(w.ents[c].ref[0]) != a || founded(c) >= year {
			bad(e, "signed in %s, not a city of %s in %d", w.title(c), w.title(a), year)
		}
	case Expedition:
		active("leader", int(x.ref[0]), year, 20, 65)
	case Award:
		if o := int(x.ref[0]); founded(o) > year {
			bad(e, "established %d by %s, founded %d", year, w.title(o), founded(o))
		}
	case River:
		if c := int(x.ref[1]); c >= 0 && w.ents[c].ref[0] != x.ref[0] {
			bad(e, "mouth %s lies in another country", w.title(c))
		}
	case Mountain:
		first := w.firstExpedition(e)
		switch {
		case first < 0 && x.ref[1] >= 0:
			bad(e, "first climbed without an expedition")
		case first >= 0 && (x.ref[1] != w.ents[first].ref[0] || x.date[0] != w.ents[first].date[0]):
			bad(e, "first ascent does not match its earliest expedition %s", w.title(first))
		}
	}
}
