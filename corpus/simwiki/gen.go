package simwiki

import (
	"cmp"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// gen generates a world's entities in dependency order, so that every
// fact is drawn only among entities that make it consistent: a city is
// founded before anyone is born there, a company after its founder comes
// of age and before they die, a book while its author lives and after
// its publisher was founded, and so on. Check verifies all of it.
type gen struct {
	w *World
	r *rand.Rand

	cityPick   weighted  // cities by population
	byCountry  [][]int32 // cities of each country (index from 0)
	orgsByCity [][]int32 // companies and universities of each city (index from 0)
	byOcc      [][]int32 // persons by occupation
	byInd      [][]int32 // companies by industry
	unisBy     [][]int32 // universities by country
	oldestCity int
}

// weighted picks indexes with given weights.
type weighted struct{ cum []float64 }

func newWeighted(ws []float64) weighted {
	cum := make([]float64, len(ws))
	t := 0.0
	for i, x := range ws {
		t += x
		cum[i] = t
	}
	return weighted{cum}
}

func (p weighted) pick(r *rand.Rand) int {
	x := r.Float64() * p.cum[len(p.cum)-1]
	i := sort.SearchFloat64s(p.cum, x)
	return min(i, len(p.cum)-1)
}

// generate fills w with n entities.
func generate(w *World, n int) {
	g := &gen{w: w, r: rand.New(rand.NewPCG(uint64(w.seed), 0x51a1c0de))}
	counts := kindCounts(n)
	id := 0
	for k := range numKinds {
		w.first[k] = id
		id += counts[k]
	}
	w.first[numKinds] = id
	w.ents = make([]entity, n)
	for k := range numKinds {
		for e := w.first[k]; e < w.first[k+1]; e++ {
			x := &w.ents[e]
			x.kind = k
			for i := range x.ref {
				x.ref[i] = -1
			}
		}
	}
	w.names = make([]byte, 0, n*14)
	g.countries()
	g.cities()
	g.countryFacts()
	g.universities()
	g.persons()
	g.companies()
	g.awards()
	g.personLinks()
	g.books()
	g.films()
	g.albums()
	g.products()
	g.festivals()
	g.treaties()
	g.mountains()
	g.expeditions()
	g.rivers()
	g.titles()
}

// kindCounts splits n entities among the kinds.
func kindCounts(n int) [numKinds]int {
	var c [numKinds]int
	c[Country] = max(5, min(300, int(math.Round(math.Sqrt(float64(n))/4))))
	rest := n - c[Country]
	for k := range numKinds {
		if share[k] > 0 {
			c[k] = max(1, int(share[k]*float64(n)))
			rest -= c[k]
		}
	}
	c[Person] = rest
	return c
}

func (g *gen) setName(e int, name string) {
	if len(name) > 255 {
		name = name[:255]
	}
	x := &g.w.ents[e]
	x.nameOff = uint32(len(g.w.names))
	x.nameLen = uint8(len(name))
	g.w.names = append(g.w.names, name...)
}

// shareName gives e the name of other, without copying it.
func (g *gen) shareName(e, other int) {
	x, o := &g.w.ents[e], &g.w.ents[other]
	x.nameOff, x.nameLen = o.nameOff, o.nameLen
}

func (g *gen) span(k Kind) (int, int) { return g.w.first[k], g.w.first[k+1] }

// in returns a random entity of kind k.
func (g *gen) in(k Kind) int {
	lo, hi := g.span(k)
	return lo + g.r.IntN(hi-lo)
}

// between returns a random integer in [lo, hi].
func (g *gen) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.r.IntN(hi-lo+1)
}

// lognormal returns a random number around median, clamped to [lo, hi].
func (g *gen) lognormal(median, sigma float64, lo, hi int) uint32 {
	v := median * math.Exp(sigma*g.r.NormFloat64())
	return uint32(max(float64(lo), min(float64(hi), math.Round(v))))
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// date returns a random day of year as yyyymmdd.
func (g *gen) date(year int) int32 {
	m := 1 + g.r.IntN(12)
	d := 1 + g.r.IntN(daysIn(year, m))
	return int32(year*10000 + m*100 + d)
}

func (g *gen) countries() {
	lo, hi := g.span(Country)
	seen := map[string]bool{}
	for e := lo; e < hi; e++ {
		name := countryName(g.r)
		for seen[name] {
			name = countryName(g.r)
		}
		seen[name] = true
		g.setName(e, name)
		x := &g.w.ents[e]
		x.date[0] = int32(g.between(1200, 1990))
		x.num[1] = g.lognormal(90_000, 1.2, 2_000, 3_000_000)
	}
}

func (g *gen) cities() {
	w := g.w
	clo, chi := g.span(Country)
	nc := chi - clo
	cw := make([]float64, nc)
	for i := range cw {
		cw[i] = 1 / float64(i+2)
	}
	countryPick := newWeighted(cw)
	lo, hi := g.span(City)
	g.byCountry = make([][]int32, nc)
	pops := make([]float64, hi-lo)
	g.oldestCity = lo
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		c := (e - lo) % nc // every country gets a city first
		if e-lo >= nc {
			c = countryPick.pick(g.r)
		}
		x.ref[0] = int32(clo + c)
		g.byCountry[c] = append(g.byCountry[c], int32(e))
		x.date[0] = int32(600 + int(1350*math.Pow(g.r.Float64(), 1.4)))
		x.num[0] = g.lognormal(25_000, 1.5, 800, 12_000_000)
		x.num[1] = uint32(math.Round(math.Abs(g.r.NormFloat64()) * 400))
		if x.num[1] == 0 {
			x.num[1] = 1
		}
		pops[e-lo] = math.Sqrt(float64(x.num[0]))
		if x.date[0] < w.ents[g.oldestCity].date[0] {
			g.oldestCity = e
		}
		// A few cities share the name of a city elsewhere.
		if e-lo > 10 && g.r.IntN(100) < 4 {
			other := lo + g.r.IntN(e-lo)
			if w.ents[other].ref[0] != x.ref[0] {
				g.shareName(e, other)
				continue
			}
		}
		g.setName(e, placeName(g.r))
	}
	g.cityPick = newWeighted(pops)
}

// countryFacts sets each country's capital (its most populous city) and
// population (more than its cities').
func (g *gen) countryFacts() {
	w := g.w
	clo, _ := g.span(Country)
	for c, cities := range g.byCountry {
		x := &w.ents[clo+c]
		best, sum := cities[0], 0.0
		for _, city := range cities {
			if w.ents[city].num[0] > w.ents[best].num[0] {
				best = city
			}
			sum += float64(w.ents[city].num[0])
		}
		x.ref[0] = best
		x.num[0] = uint32(min(4e9, sum*(1.5+1.5*g.r.Float64())))
	}
}

// city returns a random city (weighted by population) founded before year.
func (g *gen) city(year int) int {
	lo, _ := g.span(City)
	for range 20 {
		c := lo + g.cityPick.pick(g.r)
		if int(g.w.ents[c].date[0]) < year {
			return c
		}
	}
	return g.oldestCity
}

// cityIn returns a random city of country c founded before year, or -1.
func (g *gen) cityIn(c, year int) int {
	clo, _ := g.span(Country)
	cities := g.byCountry[c-clo]
	for range 10 {
		city := int(cities[g.r.IntN(len(cities))])
		if int(g.w.ents[city].date[0]) < year {
			return city
		}
	}
	return -1
}

func (g *gen) addOrg(city, org int) {
	lo, _ := g.span(City)
	if g.orgsByCity == nil {
		g.orgsByCity = make([][]int32, g.w.Count(City))
	}
	g.orgsByCity[city-lo] = append(g.orgsByCity[city-lo], int32(org))
}

func (g *gen) universities() {
	w := g.w
	lo, hi := g.span(University)
	clo, _ := g.span(Country)
	g.unisBy = make([][]int32, w.Count(Country))
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		lo, _ := g.span(City)
		city := lo + g.cityPick.pick(g.r)
		x.ref[0] = int32(city)
		x.date[0] = int32(g.between(max(int(w.ents[city].date[0])+1, 1088), 1995))
		x.num[0] = g.lognormal(9_000, 0.9, 300, 90_000)
		g.addOrg(city, e)
		country := int(w.ents[city].ref[0])
		g.unisBy[country-clo] = append(g.unisBy[country-clo], int32(e))
		cityName := w.name(city)
		switch g.r.IntN(5) {
		case 0, 1:
			g.setName(e, "University of "+cityName)
		case 2:
			g.setName(e, cityName+" Polytechnic")
		case 3:
			g.setName(e, familyName(g.r)+" College")
		default:
			g.setName(e, cityName+" Institute of "+pick(g.r, []string{"Technology", "Science", "Arts", "Letters"}))
		}
	}
}

func (g *gen) persons() {
	w := g.w
	lo, hi := g.span(Person)
	ow := make([]float64, numOccupations)
	for i, o := range occupations {
		ow[i] = float64(o.weight)
	}
	occPick := newWeighted(ow)
	g.byOcc = make([][]int32, numOccupations)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		occ := occPick.pick(g.r)
		x.sub = uint8(occ)
		if g.r.IntN(2) == 0 {
			x.flags |= flagFemale
		}
		city := g.city(lastYear - 20)
		x.ref[0] = int32(city)
		minBorn := max(occupations[occ].minBorn, int(w.ents[city].date[0])+1)
		born := minBorn + int(float64(lastYear-20-minBorn)*math.Sqrt(g.r.Float64()))
		x.date[0] = g.date(born)
		if age := g.between(30, 96); born+age <= lastYear {
			x.date[1] = g.date(born + age)
			death := city
			if g.r.IntN(2) == 0 {
				death = g.city(born + age)
			}
			x.ref[1] = int32(death)
		}
		g.byOcc[occ] = append(g.byOcc[occ], int32(e))
		// A few persons share another's name.
		if e-lo > 20 && g.r.IntN(100) < 3 {
			g.shareName(e, lo+g.r.IntN(e-lo))
			continue
		}
		g.setName(e, givenName(g.r, x.flags&flagFemale != 0)+" "+familyName(g.r))
	}
	// Education, once universities and births are known.
	clo, _ := g.span(Country)
	for e := lo; e < hi; e++ {
		if g.r.IntN(10) >= 7 {
			continue
		}
		x := &w.ents[e]
		by := int(x.date[0]/10000) + 18
		country := int(w.ents[x.ref[0]].ref[0])
		for try := range 8 {
			var u int
			if local := g.unisBy[country-clo]; try < 4 && len(local) > 0 {
				u = int(local[g.r.IntN(len(local))])
			} else {
				u = g.in(University)
			}
			if int(w.ents[u].date[0]) <= by {
				x.ref[2] = int32(u)
				break
			}
		}
	}
}

// born returns person e's birth year; lives returns the last year of
// their life (the present for the living).
func (g *gen) born(e int) int { return int(g.w.ents[e].date[0] / 10000) }

func (g *gen) lives(e int) int {
	if d := g.w.died(e); d > 0 {
		return d
	}
	return lastYear
}

// person returns a random person of one of occs whose years from
// born+from to born+to (and while alive, and within [lo, hi]) are not
// empty, with that window; or -1.
func (g *gen) person(occs []int, from, to, lo, hi int) (int, int, int) {
	for range 30 {
		list := g.byOcc[occs[g.r.IntN(len(occs))]]
		if len(list) == 0 {
			continue
		}
		p := int(list[g.r.IntN(len(list))])
		a := max(g.born(p)+from, lo)
		b := min(g.born(p)+to, g.lives(p), hi)
		if a <= b {
			return p, a, b
		}
	}
	return -1, 0, 0
}

var (
	allOccupations = func() []int {
		out := make([]int, numOccupations)
		for i := range out {
			out[i] = i
		}
		return out
	}()
	founderOccs  = []int{occEntrepreneur, occEntrepreneur, occEntrepreneur, occEngineer, occInventor, occArchitect, occChemist, occDirector, occSinger, occNovelist}
	writerOccs   = []int{occNovelist, occNovelist, occNovelist, occPoet, occHistorian}
	designerOccs = []int{occEngineer, occInventor, occArchitect}
	artistOccs   = []int{occSinger, occSinger, occComposer}
)

func (g *gen) companies() {
	w := g.w
	lo, hi := g.span(Company)
	iw := make([]float64, numIndustries)
	for i, ind := range industries {
		iw[i] = float64(ind.weight)
	}
	indPick := newWeighted(iw)
	g.byInd = make([][]int32, numIndustries)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		ind := indPick.pick(g.r)
		x.sub = uint8(ind)
		founder, a, b := g.person(founderOccs, 20, 75, industries[ind].minYear, lastYear)
		if founder < 0 {
			founder, a, b = g.person(allOccupations, 20, 80, industries[ind].minYear, lastYear)
		}
		var year int
		if founder >= 0 {
			x.ref[0] = int32(founder)
			year = g.between(a, b)
		} else {
			year = g.between(industries[ind].minYear, lastYear)
		}
		x.date[0] = int32(year)
		hq := -1
		if founder >= 0 && g.r.IntN(10) < 6 {
			if bp := int(w.ents[founder].ref[0]); int(w.ents[bp].date[0]) < year {
				hq = bp
			}
		}
		if hq < 0 {
			hq = g.city(year)
		}
		x.ref[1] = int32(hq)
		g.addOrg(hq, e)
		x.num[0] = g.lognormal(400, 1.8, 5, 400_000)
		g.byInd[ind] = append(g.byInd[ind], int32(e))
		word := pick(g.r, industries[ind].words)
		switch {
		case founder >= 0 && g.r.IntN(10) < 4:
			g.setName(e, lastWord(w.name(founder))+" "+word)
		case g.r.IntN(2) == 0:
			g.setName(e, w.name(hq)+" "+word)
		default:
			g.setName(e, coined(g.r)+" "+word)
		}
	}
}

// company returns a random company of industry ind founded by year, or -1.
func (g *gen) company(ind, year int) int {
	list := g.byInd[ind]
	if len(list) == 0 {
		return -1
	}
	for range 12 {
		c := int(list[g.r.IntN(len(list))])
		if int(g.w.ents[c].date[0]) <= year {
			return c
		}
	}
	return -1
}

func (g *gen) awards() {
	w := g.w
	lo, hi := g.span(Award)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		var org int
		for {
			if g.r.IntN(2) == 0 {
				org = g.in(University)
			} else {
				org = g.in(Company)
			}
			if w.ents[org].date[0] <= 2015 {
				break
			}
		}
		x.ref[0] = int32(org)
		x.date[0] = int32(g.between(int(w.ents[org].date[0]), 2015))
		switch g.r.IntN(4) {
		case 0:
			g.setName(e, coined(g.r)+" Prize")
		case 1:
			g.setName(e, familyName(g.r)+" Medal")
		case 2:
			g.setName(e, firstWord(w.name(org))+" "+pick(g.r, []string{"Award", "Prize", "Medal"}))
		default:
			g.setName(e, "Order of the "+pick(g.r, adjectives)+" "+coined(g.r))
		}
	}
}

// personLinks adds awards, marriages and influences.
func (g *gen) personLinks() {
	w := g.w
	lo, hi := g.span(Person)
	for e := lo; e < hi; e++ {
		if g.r.IntN(100) >= 15 {
			continue
		}
		x := &w.ents[e]
		for range 8 {
			a := g.in(Award)
			from := max(int(w.ents[a].date[0]), g.born(e)+20)
			to := g.lives(e)
			if from <= to {
				x.ref[5] = int32(a)
				x.date[2] |= int32(g.between(from, to))
				break
			}
		}
	}
	// Marriages: neighbours in a random order, of similar age.
	order := make([]int32, hi-lo)
	for i := range order {
		order[i] = int32(lo + i)
	}
	g.r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for i := 0; i+1 < len(order); i += 2 {
		a, b := int(order[i]), int(order[i+1])
		if g.r.IntN(10) >= 4 || abs(g.born(a)-g.born(b)) > 15 {
			continue
		}
		from := max(g.born(a), g.born(b)) + 18
		to := min(g.lives(a), g.lives(b))
		if from > to {
			continue
		}
		year := int32(g.between(from, to))
		w.ents[a].ref[3], w.ents[b].ref[3] = int32(b), int32(a)
		w.ents[a].date[2] |= year << 16
		w.ents[b].date[2] |= year << 16
	}
	// Influences: an elder of the same occupation.
	for occ := range g.byOcc {
		list := slices.Clone(g.byOcc[occ])
		slices.SortStableFunc(list, func(a, b int32) int { return cmp.Compare(w.ents[a].date[0], w.ents[b].date[0]) })
		for _, p := range g.byOcc[occ] {
			if g.r.IntN(10) >= 3 {
				continue
			}
			limit := int32((g.born(int(p)) - 10) * 10000)
			n := sort.Search(len(list), func(i int) bool { return w.ents[list[i]].date[0] >= limit })
			if n == 0 {
				continue
			}
			q := list[g.r.IntN(n)]
			if q != p && w.ents[p].ref[3] != q {
				w.ents[p].ref[4] = q
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (g *gen) books() {
	w := g.w
	lo, hi := g.span(Book)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		author, a, b := g.person(writerOccs, 18, 90, firstYear, lastYear)
		if author < 0 {
			author, a, b = g.person(allOccupations, 18, 90, firstYear, lastYear)
		}
		year := g.between(a, b)
		x.ref[0] = int32(author)
		x.date[0] = int32(year)
		switch w.ents[author].sub {
		case occPoet:
			x.sub = 1
		case occHistorian:
			x.sub = 2
		}
		if p := g.company(indPublishing, year); p >= 0 {
			x.ref[1] = int32(p)
		}
		x.num[0] = uint32(g.between(60, 900))
		g.setName(e, workTitle(g.r))
	}
}

func (g *gen) films() {
	w := g.w
	lo, hi := g.span(Film)
	blo, bhi := g.span(Book)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		director, a, b := g.person([]int{occDirector}, 20, 85, 1900, lastYear)
		if director < 0 {
			director, a, b = g.person(allOccupations, 20, 85, 1900, lastYear)
		}
		year := g.between(a, b)
		x.ref[0] = int32(director)
		x.date[0] = int32(year)
		if s := g.company(indFilm, year); s >= 0 {
			x.ref[1] = int32(s)
		}
		if actor, _, _ := g.person([]int{occActor}, 10, 90, year, year); actor >= 0 {
			x.ref[2] = int32(actor)
		}
		x.num[0] = uint32(g.between(70, 190))
		if g.r.IntN(5) == 0 && bhi > blo {
			for range 10 {
				book := blo + g.r.IntN(bhi-blo)
				if int(w.ents[book].date[0]) < year {
					x.ref[3] = int32(book)
					g.shareName(e, book)
					break
				}
			}
			if x.ref[3] >= 0 {
				continue
			}
		}
		g.setName(e, workTitle(g.r))
	}
}

func (g *gen) albums() {
	w := g.w
	lo, hi := g.span(Album)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		artist, a, b := g.person(artistOccs, 16, 85, 1900, lastYear)
		if artist < 0 {
			artist, a, b = g.person(allOccupations, 16, 85, 1900, lastYear)
		}
		year := g.between(a, b)
		x.ref[0] = int32(artist)
		x.date[0] = int32(year)
		if l := g.company(indMusic, year); l >= 0 {
			x.ref[1] = int32(l)
		}
		x.num[0] = uint32(g.between(6, 22))
		if g.r.IntN(4) == 0 {
			g.setName(e, "Songs from "+w.name(g.city(year)))
		} else {
			g.setName(e, workTitle(g.r))
		}
	}
}

func (g *gen) products() {
	w := g.w
	lo, hi := g.span(Product)
	var makers []int32 // industries' companies that make products
	types := map[int][]int{}
	for i, t := range productTypes {
		types[t.industry] = append(types[t.industry], i)
	}
	for ind, list := range g.byInd {
		if len(types[ind]) > 0 {
			makers = append(makers, list...)
		}
	}
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		maker, kind, year := -1, 0, 0
		for range 30 {
			if len(makers) == 0 {
				break
			}
			c := int(makers[g.r.IntN(len(makers))])
			ts := types[int(w.ents[c].sub)]
			t := ts[g.r.IntN(len(ts))]
			from := max(int(w.ents[c].date[0]), productTypes[t].minYear)
			if from <= lastYear {
				maker, kind, year = c, t, g.between(from, lastYear)
				break
			}
		}
		if maker < 0 { // no maker: an independent product
			kind = g.r.IntN(len(productTypes))
			year = g.between(productTypes[kind].minYear, lastYear)
		} else {
			x.ref[0] = int32(maker)
		}
		x.sub = uint8(kind)
		x.date[0] = int32(year)
		if g.r.IntN(10) < 7 {
			if d, _, _ := g.person(designerOccs, 20, 90, year, year); d >= 0 {
				x.ref[1] = int32(d)
			}
		}
		x.num[0] = g.lognormal(20_000, 1.6, 50, 20_000_000)
		brand := coined(g.r)
		if maker >= 0 {
			brand = firstWord(w.name(maker))
		}
		g.setName(e, brand+" "+productModel(g.r))
	}
}

func (g *gen) festivals() {
	w := g.w
	lo, hi := g.span(Festival)
	clo, _ := g.span(City)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		city := clo + g.cityPick.pick(g.r)
		year := g.between(max(int(w.ents[city].date[0])+1, 1750), 2020)
		x.ref[0] = int32(city)
		x.date[0] = int32(year)
		if orgs := g.orgsByCity[city-clo]; len(orgs) > 0 && g.r.IntN(10) < 7 {
			o := int(orgs[g.r.IntN(len(orgs))])
			if int(w.ents[o].date[0]) <= year {
				x.ref[1] = int32(o)
			}
		}
		x.num[0] = g.lognormal(8_000, 1.4, 200, 2_000_000)
		g.setName(e, w.name(city)+" "+pick(g.r, festivalThemes)+" Festival")
	}
}

func (g *gen) treaties() {
	w := g.w
	lo, hi := g.span(Treaty)
	clo, chi := g.span(Country)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		a := clo + g.r.IntN(chi-clo)
		b := clo + g.r.IntN(chi-clo-1)
		if b >= a {
			b++
		}
		year := g.between(max(int(w.ents[a].date[0]), int(w.ents[b].date[0]), 1600), 2020)
		city := g.cityIn(a, year)
		if city < 0 {
			city = int(w.ents[a].ref[0]) // the capital, possibly younger
			year = max(year, int(w.ents[city].date[0])+1)
		}
		x.ref[0], x.ref[1], x.ref[2] = int32(city), int32(a), int32(b)
		x.date[0] = g.date(year)
		g.setName(e, "Treaty of "+w.name(city))
	}
}

func (g *gen) mountains() {
	w := g.w
	lo, hi := g.span(Mountain)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		x.ref[0] = int32(g.in(Country))
		x.num[0] = uint32(g.between(600, 8_600))
		if g.r.IntN(2) == 0 {
			g.setName(e, "Mount "+coined(g.r))
		} else {
			g.setName(e, coined(g.r)+" Peak")
		}
	}
}

// expeditions are led to mountains; the earliest expedition to a
// mountain made its first ascent, which the mountain's facts record.
func (g *gen) expeditions() {
	w := g.w
	lo, hi := g.span(Expedition)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		leader, a, b := g.person([]int{occExplorer}, 20, 65, firstYear, lastYear)
		if leader < 0 {
			leader, a, b = g.person(allOccupations, 20, 65, firstYear, lastYear)
		}
		year := g.between(a, b)
		m := g.in(Mountain)
		x.ref[0], x.ref[1] = int32(leader), int32(m)
		x.date[0] = int32(year)
		x.num[0] = uint32(g.between(3, 60))
		if g.r.IntN(2) == 0 {
			g.setName(e, lastWord(w.name(leader))+" expedition")
		} else {
			g.setName(e, w.name(m)+" expedition")
		}
		mt := &w.ents[m]
		if mt.ref[1] < 0 || int(mt.date[0]) > year {
			mt.ref[1], mt.date[0] = int32(leader), int32(year)
		}
	}
}

func (g *gen) rivers() {
	w := g.w
	lo, hi := g.span(River)
	clo, _ := g.span(Country)
	for e := lo; e < hi; e++ {
		x := &w.ents[e]
		c := g.in(Country)
		x.ref[0] = int32(c)
		if g.r.IntN(10) < 8 {
			cities := g.byCountry[c-clo]
			x.ref[1] = cities[g.r.IntN(len(cities))]
		}
		x.num[0] = uint32(g.between(15, 4_000))
		if g.r.IntN(2) == 0 {
			g.setName(e, coined(g.r)+" River")
		} else {
			g.setName(e, "River "+coined(g.r))
		}
	}
}

// titles finds the entities that share a name and gives their titles
// qualifiers, as few as tell them apart.
func (g *gen) titles() {
	w := g.w
	n := len(w.ents)
	hashes := make([]uint64, n)
	ids := make([]int32, n)
	for e := range n {
		h := fnv.New64a()
		x := &w.ents[e]
		h.Write(w.names[x.nameOff : x.nameOff+uint32(x.nameLen)])
		hashes[e], ids[e] = h.Sum64(), int32(e)
	}
	slices.SortFunc(ids, func(a, b int32) int {
		if c := cmp.Compare(hashes[a], hashes[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(w.name(int(a)), w.name(int(b))); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	w.homOf = map[int32]int32{}
	w.titleNum = map[int32]int32{}
	for i := 0; i < n; {
		j := i + 1
		for j < n && hashes[ids[j]] == hashes[ids[i]] && w.name(int(ids[j])) == w.name(int(ids[i])) {
			j++
		}
		if j-i > 1 {
			group := ids[i:j] // sorted by entity
			gi := int32(len(w.homOff))
			w.homOff = append(w.homOff, int32(len(w.homIDs)))
			w.homIDs = append(w.homIDs, group...)
			for _, e := range group {
				w.homOf[e] = gi
			}
			g.qualify(group)
		}
		i = j
	}
	w.homOff = append(w.homOff, int32(len(w.homIDs)))
}

// qualify sets the title levels of a group of entities sharing a name.
func (g *gen) qualify(group []int32) {
	w := g.w
	setLevel := func(e int32, l int) {
		w.ents[e].flags = w.ents[e].flags&^levelMask | uint8(l<<levelShift)
	}
	q1 := map[string][]int32{}
	for _, e := range group {
		a, _ := w.qualifiers(int(e))
		q1[a] = append(q1[a], e)
	}
	for _, e := range group {
		a, _ := w.qualifiers(int(e))
		if len(q1[a]) == 1 {
			setLevel(e, 1)
			continue
		}
		q2 := map[string][]int32{}
		for _, f := range q1[a] {
			_, b := w.qualifiers(int(f))
			q2[b] = append(q2[b], f)
		}
		_, b := w.qualifiers(int(e))
		same := q2[b]
		if len(same) == 1 {
			setLevel(e, 2)
			continue
		}
		setLevel(e, 3)
		w.titleNum[e] = int32(slices.Index(same, e) + 1)
	}
}
