package simwiki

import "github.com/simgym/simgym/corpus/webqa"

// Kind is an entity type.
type Kind uint8

// Entity kinds. Entities of one kind have consecutive numbers, in this
// order.
const (
	Country Kind = iota
	City
	University
	Company
	Person
	Book
	Film
	Album
	Product
	Festival
	Treaty
	Expedition
	Award
	River
	Mountain
	numKinds
)

var kindNames = [numKinds]string{"country", "city", "university", "company", "person", "book",
	"film", "album", "product", "festival", "treaty", "expedition", "award", "river", "mountain"}

func (k Kind) String() string { return kindNames[k] }

// share is the fraction of entities of each kind; countries are counted
// apart and persons take what is left.
var share = [numKinds]float64{
	City: 0.08, University: 0.015, Company: 0.08, Book: 0.10, Film: 0.07, Album: 0.05,
	Product: 0.06, Festival: 0.02, Treaty: 0.01, Expedition: 0.01, Award: 0.01, River: 0.015,
	Mountain: 0.015,
}

// occupation is what a person does.
type occupation struct {
	noun   string
	weight int
	// minBorn is the earliest birth year for the occupation (film needs
	// the twentieth century).
	minBorn int
}

// Occupations; the order is fixed (persons store an index).
const (
	occNovelist = iota
	occPoet
	occHistorian
	occPainter
	occComposer
	occSinger
	occDirector
	occActor
	occEngineer
	occInventor
	occArchitect
	occEntrepreneur
	occExplorer
	occPhysicist
	occChemist
	occMathematician
	numOccupations
)

var occupations = [numOccupations]occupation{
	occNovelist:      {"novelist", 12, 1700},
	occPoet:          {"poet", 6, 1700},
	occHistorian:     {"historian", 4, 1700},
	occPainter:       {"painter", 6, 1700},
	occComposer:      {"composer", 5, 1700},
	occSinger:        {"singer", 8, 1860},
	occDirector:      {"film director", 7, 1860},
	occActor:         {"actor", 8, 1860},
	occEngineer:      {"engineer", 7, 1700},
	occInventor:      {"inventor", 4, 1700},
	occArchitect:     {"architect", 4, 1700},
	occEntrepreneur:  {"entrepreneur", 9, 1700},
	occExplorer:      {"explorer", 4, 1700},
	occPhysicist:     {"physicist", 3, 1700},
	occChemist:       {"chemist", 3, 1700},
	occMathematician: {"mathematician", 3, 1700},
}

// Book genres follow the author's occupation.
var bookNouns = [3]string{"novel", "poetry collection", "history book"}

// industry is what a company does.
type industry struct {
	name  string // the infobox's industry
	noun  string // how text names such a company
	words []string
	// minYear is the earliest founding year.
	minYear int
	weight  int
}

// Industries; the order is fixed.
const (
	indPublishing = iota
	indFilm
	indMusic
	indMotor
	indElectronics
	indOptics
	indShipping
	indRailways
	indBrewing
	indTextiles
	indBanking
	indAviation
	indMachinery
	numIndustries
)

var industries = [numIndustries]industry{
	indPublishing:  {"publishing", "publishing house", []string{"Press", "Books", "Publishing"}, 1720, 12},
	indFilm:        {"film production", "film studio", []string{"Pictures", "Studios", "Films"}, 1896, 8},
	indMusic:       {"recorded music", "record label", []string{"Records", "Sound", "Music"}, 1895, 8},
	indMotor:       {"motor vehicles", "carmaker", []string{"Motors", "Motor Works", "Cycles"}, 1870, 6},
	indElectronics: {"electronics", "electronics maker", []string{"Electric", "Electronics", "Radio Works"}, 1880, 6},
	indOptics:      {"optics", "optics firm", []string{"Optics", "Optical", "Lens Works"}, 1720, 4},
	indShipping:    {"shipping", "shipping line", []string{"Shipping", "Lines", "Navigation"}, 1720, 6},
	indRailways:    {"railways", "railway company", []string{"Railway", "Rail", "Locomotive Works"}, 1826, 5},
	indBrewing:     {"brewing", "brewery", []string{"Brewery", "Breweries", "Ales"}, 1720, 5},
	indTextiles:    {"textiles", "textile mill", []string{"Textiles", "Mills", "Weavers"}, 1720, 4},
	indBanking:     {"banking", "bank", []string{"Bank", "Savings Bank", "Trust"}, 1720, 5},
	indAviation:    {"aviation", "aircraft maker", []string{"Aircraft", "Aeroworks", "Aviation"}, 1906, 4},
	indMachinery:   {"machinery", "machine maker", []string{"Machine Works", "Engineering", "Manufacturing"}, 1760, 5},
}

// productType is what a product is, and who makes it.
type productType struct {
	noun     string
	industry int
	minYear  int
}

var productTypes = []productType{
	{"bicycle", indMotor, 1870},
	{"car", indMotor, 1890},
	{"motorcycle", indMotor, 1896},
	{"radio", indElectronics, 1920},
	{"television", indElectronics, 1936},
	{"calculator", indElectronics, 1965},
	{"camera", indOptics, 1880},
	{"telescope", indOptics, 1720},
	{"aircraft", indAviation, 1910},
	{"typewriter", indMachinery, 1870},
	{"sewing machine", indMachinery, 1850},
	{"locomotive", indRailways, 1830},
}

// slot says where an entity keeps a predicate's object.
type slot uint8

const (
	slotRef     slot = iota // ref[i]
	slotDate                // date[i]: a year, or yyyymmdd for dates
	slotNum                 // num[i]
	slotSub                 // the occupation, industry or product type, as text
	slotLang                // a country's language
	slotCurrent             // a country's currency
)

// pred is a predicate of the world: what webqa sees, and where the
// entity keeps it.
type pred struct {
	webqa.Predicate
	kind Kind
	slot slot
	idx  uint8
	// list introduces, in the object's article, the entities that have
	// this fact about it: "People born in {o} include {list}." Empty for
	// values.
	list string
	// heading is the section of the object's article that lists them.
	heading string
}

// Section headings.
const (
	hPeople    = "Notable people"
	hEconomy   = "Economy"
	hCulture   = "Culture"
	hHistory   = "History"
	hGeography = "Geography"
	hEducation = "Education"
	hWorks     = "Works"
	hLegacy    = "Legacy"
	hAwards    = "Awards"
	hPersonal  = "Personal life"
	hCareer    = "Career"
	hProducts  = "Products"
	hReception = "Reception"
	hExped     = "Expeditions"
	hSeeAlso   = "See also"
)

func rel(kind Kind, idx uint8, name, key, clause, reverse, list, heading string) pred {
	return pred{Predicate: webqa.Predicate{Name: name, Key: key, Type: webqa.TypeEntity, Clause: clause, Reverse: reverse},
		kind: kind, slot: slotRef, idx: idx, list: list, heading: heading}
}

func val(kind Kind, s slot, idx uint8, t webqa.ValueType, name, key, clause, describe, ask, event string) pred {
	return pred{Predicate: webqa.Predicate{Name: name, Key: key, Type: t, Clause: clause, Describe: describe, Ask: ask, Event: event},
		kind: kind, slot: s, idx: idx}
}

// preds are the world's predicates, grouped by subject kind in the order
// of the kinds; each kind's infobox shows its facts in this order.
var preds = []pred{
	rel(Country, 0, "capital", "Capital", "{s} has its capital at {o}", "{o} is the capital of {s}", "", ""),
	val(Country, slotDate, 0, webqa.TypeYear, "established", "Established", "{s} was established {o}", "established {o}", "In what year was {s} established?", "the establishment of {s}"),
	val(Country, slotNum, 0, webqa.TypeNumber, "country_population", "Population", "{s} has a population of {o}", "with a population of {o}", "What is the population of {s}?", ""),
	val(Country, slotNum, 1, webqa.TypeNumber, "area", "Area (square kilometres)", "{s} covers {o} square kilometres", "covering {o} square kilometres", "How many square kilometres does {s} cover?", ""),
	val(Country, slotLang, 0, webqa.TypeText, "language", "Official language", "the official language of {s} is {o}", "whose official language is {o}", "What is the official language of {s}?", ""),
	val(Country, slotCurrent, 0, webqa.TypeText, "currency", "Currency", "the currency of {s} is the {o}", "whose currency is the {o}", "What is the currency of {s} called?", ""),

	rel(City, 0, "country", "Country", "{s} lies in {o}", "{o} contains {s}", "Cities of {o} include {list}.", hGeography),
	val(City, slotDate, 0, webqa.TypeYear, "city_founded", "Founded", "{s} was founded {o}", "founded {o}", "In what year was {s} founded?", "the founding of {s}"),
	val(City, slotNum, 0, webqa.TypeNumber, "city_population", "Population", "{s} has a population of {o}", "with a population of {o}", "What is the population of {s}?", ""),
	val(City, slotNum, 1, webqa.TypeNumber, "elevation", "Elevation (metres)", "{s} lies {o} metres above sea level", "lying {o} metres above sea level", "At how many metres above sea level does {s} lie?", ""),

	rel(University, 0, "university_city", "Location", "{s} is located in {o}", "{o} is home to {s}", "Universities in {o} include {list}.", hEducation),
	val(University, slotDate, 0, webqa.TypeYear, "university_founded", "Founded", "{s} was founded {o}", "founded {o}", "In what year was {s} founded?", "the founding of {s}"),
	val(University, slotNum, 0, webqa.TypeNumber, "students", "Students", "{s} has {o} students", "with {o} students", "How many students does {s} have?", ""),

	rel(Company, 0, "founder", "Founder", "{s} was founded by {o}", "{o} founded {s}", "{o} founded {list}.", hCareer),
	rel(Company, 1, "headquarters", "Headquarters", "{s} is headquartered in {o}", "{o} is the home of {s}", "Companies based in {o} include {list}.", hEconomy),
	val(Company, slotDate, 0, webqa.TypeYear, "company_founded", "Founded", "{s} was founded {o}", "founded {o}", "In what year was {s} founded?", "the founding of {s}"),
	val(Company, slotNum, 0, webqa.TypeNumber, "employees", "Employees", "{s} employs {o} people", "employing {o} people", "How many people does {s} employ?", ""),
	val(Company, slotSub, 0, webqa.TypeText, "industry", "Industry", "{s} works in {o}", "", "", ""),

	rel(Person, 0, "birthplace", "Place of birth", "{s} was born in {o}", "{o} is the birthplace of {s}", "People born in {o} include {list}.", hPeople),
	rel(Person, 1, "deathplace", "Place of death", "{s} died in {o}", "{o} is where {s} died", "People who died in {o} include {list}.", hPeople),
	rel(Person, 2, "alma_mater", "Alma mater", "{s} studied at {o}", "{o} counts {s} among its alumni", "Alumni of {o} include {list}.", hEducation),
	rel(Person, 3, "spouse", "Spouse", "{s} was married to {o}", "{o} was married to {s}", "", ""),
	rel(Person, 4, "influenced_by", "Influenced by", "{s} was influenced by {o}", "{o} influenced {s}", "{o} influenced {list}.", hLegacy),
	rel(Person, 5, "award", "Award", "{s} received {o}", "{o} was awarded to {s}", "Recipients of {o} include {list}.", hAwards),
	val(Person, slotDate, 0, webqa.TypeDate, "born", "Born", "{s} was born {o}", "born {o}", "When was {s} born?", "the birth of {s}"),
	val(Person, slotDate, 1, webqa.TypeDate, "died", "Died", "{s} died {o}", "who died {o}", "When did {s} die?", "the death of {s}"),
	val(Person, slotSub, 0, webqa.TypeText, "occupation", "Occupation", "{s} worked as {o}", "", "", ""),

	rel(Book, 0, "author", "Author", "{s} was written by {o}", "{o} wrote {s}", "Works by {o} include {list}.", hWorks),
	rel(Book, 1, "publisher", "Publisher", "{s} was published by {o}", "{o} published {s}", "Books published by {o} include {list}.", hProducts),
	val(Book, slotDate, 0, webqa.TypeYear, "published", "Published", "{s} was published {o}", "published {o}", "In what year was {s} published?", "the publication of {s}"),
	val(Book, slotNum, 0, webqa.TypeNumber, "pages", "Pages", "{s} runs to {o} pages", "of {o} pages", "How many pages does {s} have?", ""),

	rel(Film, 0, "director", "Directed by", "{s} was directed by {o}", "{o} directed {s}", "Films directed by {o} include {list}.", hWorks),
	rel(Film, 1, "studio", "Studio", "{s} was produced by {o}", "{o} produced {s}", "Films produced by {o} include {list}.", hProducts),
	rel(Film, 2, "starring", "Starring", "{s} stars {o}", "{o} starred in {s}", "{o} starred in {list}.", hCareer),
	rel(Film, 3, "based_on", "Based on", "{s} is based on {o}", "{o} was adapted as {s}", "{o} was adapted for the screen as {list}.", hLegacy),
	val(Film, slotDate, 0, webqa.TypeYear, "film_released", "Released", "{s} was released {o}", "released {o}", "In what year was {s} released?", "the release of {s}"),
	val(Film, slotNum, 0, webqa.TypeNumber, "running_time", "Running time (minutes)", "{s} runs for {o} minutes", "running {o} minutes", "How long, in minutes, is {s}?", ""),

	rel(Album, 0, "artist", "Artist", "{s} was recorded by {o}", "{o} recorded {s}", "Albums by {o} include {list}.", hWorks),
	rel(Album, 1, "label", "Label", "{s} was released on {o}", "{o} released {s}", "Albums released by {o} include {list}.", hProducts),
	val(Album, slotDate, 0, webqa.TypeYear, "album_released", "Released", "{s} was released {o}", "released {o}", "In what year was {s} released?", "the release of {s}"),
	val(Album, slotNum, 0, webqa.TypeNumber, "tracks", "Tracks", "{s} has {o} tracks", "with {o} tracks", "How many tracks does {s} have?", ""),

	rel(Product, 0, "manufacturer", "Manufacturer", "{s} was made by {o}", "{o} made {s}", "Products of {o} include {list}.", hProducts),
	rel(Product, 1, "designer", "Designer", "{s} was designed by {o}", "{o} designed {s}", "{o} designed {list}.", hCareer),
	val(Product, slotDate, 0, webqa.TypeYear, "introduced", "Introduced", "{s} was introduced {o}", "introduced {o}", "In what year was {s} introduced?", "the introduction of {s}"),
	val(Product, slotNum, 0, webqa.TypeNumber, "units_sold", "Units sold", "{s} sold {o} units", "that sold {o} units", "How many units of {s} were sold?", ""),
	val(Product, slotSub, 0, webqa.TypeText, "product_type", "Type", "{s} is a {o}", "", "", ""),

	rel(Festival, 0, "festival_city", "Location", "{s} is held in {o}", "{o} hosts {s}", "Festivals held in {o} include {list}.", hCulture),
	rel(Festival, 1, "organiser", "Organiser", "{s} is organised by {o}", "{o} organises {s}", "{o} organises {list}.", hCulture),
	val(Festival, slotDate, 0, webqa.TypeYear, "first_held", "First held", "{s} was first held {o}", "first held {o}", "In what year was {s} first held?", "the first edition of {s}"),
	val(Festival, slotNum, 0, webqa.TypeNumber, "attendance", "Attendance", "{s} draws {o} visitors", "drawing {o} visitors", "How many visitors does {s} draw?", ""),

	rel(Treaty, 0, "signed_at", "Signed at", "{s} was signed in {o}", "{o} is where {s} was signed", "Treaties signed in {o} include {list}.", hHistory),
	rel(Treaty, 1, "first_signatory", "First signatory", "{s} was signed by {o}", "{o} signed {s}", "{o} signed {list}.", hHistory),
	rel(Treaty, 2, "second_signatory", "Second signatory", "{s} was also signed by {o}", "{o} was the other party to {s}", "{o} was the second party to {list}.", hHistory),
	val(Treaty, slotDate, 0, webqa.TypeDate, "signed", "Signed", "{s} was signed {o}", "signed {o}", "When was {s} signed?", "the signing of {s}"),

	rel(Expedition, 0, "leader", "Leader", "{s} was led by {o}", "{o} led {s}", "{o} led {list}.", hCareer),
	rel(Expedition, 1, "destination", "Destination", "{s} travelled to {o}", "{o} was the destination of {s}", "Expeditions to {o} include {list}.", hExped),
	val(Expedition, slotDate, 0, webqa.TypeYear, "expedition_year", "Year", "{s} took place {o}", "that took place {o}", "In what year did {s} take place?", "{s}"),
	val(Expedition, slotNum, 0, webqa.TypeNumber, "members", "Members", "{s} had {o} members", "with {o} members", "How many members did {s} have?", ""),

	rel(Award, 0, "presenter", "Presented by", "{s} is presented by {o}", "{o} presents {s}", "{o} presents {list}.", hAwards),
	val(Award, slotDate, 0, webqa.TypeYear, "award_established", "Established", "{s} was established {o}", "established {o}", "In what year was {s} established?", "the establishment of {s}"),

	rel(River, 0, "river_country", "Country", "{s} flows through {o}", "{o} is crossed by {s}", "Rivers of {o} include {list}.", hGeography),
	rel(River, 1, "mouth", "Mouth", "{s} reaches the sea at {o}", "{o} lies at the mouth of {s}", "{o} lies at the mouth of {list}.", hGeography),
	val(River, slotNum, 0, webqa.TypeNumber, "length", "Length (kilometres)", "{s} is {o} kilometres long", "{o} kilometres long", "How long, in kilometres, is {s}?", ""),

	rel(Mountain, 0, "mountain_country", "Country", "{s} rises in {o}", "{o} is the home of {s}", "Mountains of {o} include {list}.", hGeography),
	rel(Mountain, 1, "first_ascent_by", "First ascent by", "{s} was first climbed by {o}", "{o} made the first ascent of {s}", "{o} made the first ascent of {list}.", hCareer),
	val(Mountain, slotDate, 0, webqa.TypeYear, "first_ascent", "First ascent", "{s} was first climbed {o}", "first climbed {o}", "In what year was {s} first climbed?", "the first ascent of {s}"),
	val(Mountain, slotNum, 0, webqa.TypeNumber, "height", "Height (metres)", "{s} is {o} metres high", "{o} metres high", "How high, in metres, is {s}?", ""),
}

// Predicate indexes by kind: kindPreds[k] are the indexes of the
// predicates whose subjects are of kind k, in infobox order.
var (
	kindPreds  [numKinds][]int
	webqaPreds []webqa.Predicate
	predByName = indexPredicates()
)

func indexPredicates() map[string]int {
	byName := map[string]int{}
	for i := range preds {
		p := &preds[i]
		if p.Name == "spouse" {
			p.Symmetric = true
		}
		kindPreds[p.kind] = append(kindPreds[p.kind], i)
		webqaPreds = append(webqaPreds, p.Predicate)
		byName[p.Name] = i
	}
	return byName
}

// pi returns the index of a predicate by name; it panics on a typo, at
// init time.
func pi(name string) int {
	i, ok := predByName[name]
	if !ok {
		panic("simwiki: no predicate " + name)
	}
	return i
}
