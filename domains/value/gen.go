package value

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/brianvoe/gofakeit/v7"
)

// Epoch anchors generated dates, so data never depends on the clock.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Field is one value of a row to draw: what the spec says and its type.
type Field struct {
	Hints Hints
	Type  Type
}

// row holds what the values of one row share: the person it is about,
// its country and its currency, drawn once on first use.
type row struct {
	f           *gofakeit.Faker
	first, last string
	nation      *country
	currency    string
}

func newRow(f *gofakeit.Faker) *row { return &row{f: f} }

func (r *row) person() (string, string) {
	if r.first == "" {
		for r.first == "" || slug(r.first) == "" {
			r.first = r.f.FirstName()
		}
		for r.last == "" || slug(r.last) == "" {
			r.last = r.f.LastName()
		}
	}
	return r.first, r.last
}

func (r *row) country() *country {
	if r.nation == nil {
		r.nation = &countries[r.f.IntRange(0, len(countries)-1)]
	}
	return r.nation
}

// Generate draws one value of type t satisfying h.
func Generate(f *gofakeit.Faker, t Type, h Hints) any {
	return drawFit(f, newRow(f), t, h)
}

// Row draws the values of one row. A non-nil preset value (a key, a
// reference) is kept. Values that depend on others are drawn after
// them (an email after the person's name, a postcode after the
// country) and dates are put in the order their names say (created
// before updated, check-in before check-out).
func Row(f *gofakeit.Faker, fields []Field, preset []any) []any {
	r := newRow(f)
	out := make([]any, len(fields))
	for pass := 0; pass < 3; pass++ {
		for i, fd := range fields {
			if drawPass(fd.Type) != pass {
				continue
			}
			if i < len(preset) && preset[i] != nil {
				out[i] = preset[i]
				r.learn(fd, preset[i])
				continue
			}
			out[i] = drawFit(f, r, fd.Type, fd.Hints)
			r.learn(fd, out[i])
		}
	}
	orderDates(f, fields, out)
	return out
}

// drawPass orders a row's draws: what others derive from first.
func drawPass(t Type) int {
	switch t {
	case PersonName, FirstName, LastName, Country, CountryCode, Currency:
		return 0
	case Email, Username, Postcode, Phone, IBAN, Money:
		return 1
	}
	return 2
}

// learn records what a drawn or given value says about the row.
func (r *row) learn(fd Field, v any) {
	s, _ := v.(string)
	switch fd.Type {
	case Currency:
		if _, ok := currencies[s]; ok {
			r.currency = s
		}
	case CountryCode:
		if c := countryByCode(s); c != nil {
			r.nation = c
		}
	case Country:
		if c := countryByName(s); c != nil {
			r.nation = c
		}
	case PersonName:
		if parts := strings.Fields(s); len(parts) >= 2 && r.first == "" {
			r.first, r.last = parts[0], parts[len(parts)-1]
		}
	}
}

// drawFit draws until a value fits h's pattern and lengths; the last
// resort is a value made from the pattern, or a clipped one.
func drawFit(f *gofakeit.Faker, r *row, t Type, h Hints) any {
	if t == Enum {
		// The enum is the allowed set, whatever else the spec says.
		return draw(f, r, t, h)
	}
	var v any
	for range 6 {
		v = draw(f, r, t, h)
		if fits(v, h) {
			return v
		}
	}
	s, ok := v.(string)
	if !ok {
		return v
	}
	if re := compile(h.Pattern); re != nil && !re.MatchString(s) {
		s = f.Regex(normPattern(h.Pattern))
	}
	if h.MaxLength != nil && utf8.RuneCountInString(s) > *h.MaxLength {
		s = strings.TrimSpace(string([]rune(s)[:max(*h.MaxLength, 0)]))
	}
	for h.MinLength != nil && utf8.RuneCountInString(s) < *h.MinLength {
		s += f.Digit()
	}
	return s
}

// patterns caches compiled spec patterns (a nil entry for one that is
// not RE2).
var patterns sync.Map

// jsDelimited matches a pattern written as a JavaScript literal,
// "/^[a-z]+$/i".
var jsDelimited = regexp.MustCompile(`^/(.+)/[gimsuy]*$`)

// normPattern strips the delimiters some specs wrap patterns in.
func normPattern(p string) string {
	if m := jsDelimited.FindStringSubmatch(p); m != nil {
		return m[1]
	}
	return p
}

// compile compiles a spec's pattern (nil when it is not RE2).
func compile(p string) *regexp.Regexp {
	if p == "" {
		return nil
	}
	p = normPattern(p)
	if re, ok := patterns.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		re = nil
	}
	patterns.Store(p, re)
	return re
}

// fits reports whether v satisfies h's pattern and length bounds.
func fits(v any, h Hints) bool {
	s, ok := v.(string)
	if !ok {
		return true
	}
	n := utf8.RuneCountInString(s)
	if h.MaxLength != nil && n > *h.MaxLength || h.MinLength != nil && n < *h.MinLength {
		return false
	}
	if re := compile(h.Pattern); re != nil && !re.MatchString(s) {
		return false
	}
	return true
}

func draw(f *gofakeit.Faker, r *row, t Type, h Hints) any {
	w := wordSet(words(h.Name))
	switch t {
	case Enum:
		if len(h.Enum) == 0 {
			return f.Noun()
		}
		return h.Enum[f.IntRange(0, len(h.Enum)-1)]
	case Boolean:
		return f.Bool()
	case Array:
		items := make([]string, f.IntRange(1, 3))
		for i := range items {
			items[i] = f.NounCommon()
		}
		return items
	case Object:
		return map[string]any{}
	case Integer, Number, Money, Age, Rating, Quantity, Year, Month, Duration, Percent, Lat, Lon:
		return number(f, r, t, h)
	case PersonName:
		first, last := r.person()
		return first + " " + last
	case FirstName:
		first, _ := r.person()
		return first
	case LastName:
		_, last := r.person()
		return last
	case CompanyName:
		return f.Company()
	case ProductName:
		if wordSet(words(h.Table)).has("category") || w.has("category") {
			return f.ProductCategory()
		}
		return f.ProductName()
	case PlaceName:
		kind := "Center"
		for _, x := range append(words(h.Table), w...) {
			for _, p := range placeWords {
				if x == p {
					kind = titleCase(x)
				}
			}
		}
		return f.City() + " " + kind
	case Title:
		tw := wordSet(words(h.Table))
		switch {
		case tw.has("movie", "film", "show"):
			return f.MovieName()
		case tw.has("book"):
			return f.BookTitle()
		case tw.has("song", "track", "album"):
			return f.SongName()
		case tw.has("product", "item", "listing", "offer", "article"):
			return f.ProductName()
		case tw.has("class", "course", "workout", "session", "program", "programme"):
			return titleCase(f.Hobby()) + " " + titleCase(tw.last())
		}
		return strings.TrimSuffix(f.Sentence(f.IntRange(2, 4)), ".")
	case Text:
		return f.Sentence(f.IntRange(5, 10))
	case Username:
		first, last := r.person()
		return slug(first) + "." + slug(last) + fmt.Sprint(f.IntRange(1, 99))
	case Email:
		first, last := r.person()
		return slug(first) + "." + slug(last) + emailSuffix(f)
	case Phone:
		c := r.country()
		return "+" + c.dial + fmt.Sprint(f.IntRange(2, 9)) + f.DigitN(uint(c.national-1))
	case URL:
		if w.has("image", "photo", "avatar", "logo", "thumbnail", "icon", "picture") {
			return fmt.Sprintf("https://images.%s.com/%s/%d.jpg", slug(f.Company()), f.UrlSlug(1), f.IntRange(100, 99999))
		}
		return fmt.Sprintf("https://www.%s.com/%s", slug(f.Company()), f.UrlSlug(f.IntRange(1, 2)))
	case UUID:
		return f.UUID()
	case IPv4:
		return f.IPv4Address()
	case IPv6:
		return f.IPv6Address()
	case Period:
		return fmt.Sprintf("P%dDT%dH", f.IntRange(0, 30), f.IntRange(1, 23))
	case Base64:
		return base64.StdEncoding.EncodeToString([]byte(f.Sentence(3)))
	case Pointer:
		return "/" + slug(f.Noun()) + "/" + fmt.Sprint(f.IntRange(0, 9))
	case Hostname:
		return "api." + slug(f.Company()) + ".com"
	case BirthDate:
		age := f.IntRange(18, 89)
		return Epoch.AddDate(-age, 0, -f.IntRange(1, 360)).Format("2006-01-02")
	case Date:
		return dateFor(f, w).Format("2006-01-02")
	case DateTime:
		return dateFor(f, w).Add(time.Duration(f.IntRange(0, 95)) * 15 * time.Minute).Format(time.RFC3339)
	case Time:
		v := fmt.Sprintf("%02d:%02d", f.IntRange(6, 20), 15*f.IntRange(0, 3))
		if h.Format == "time" {
			v += ":00Z"
		}
		return v
	case City:
		return f.City()
	case Street:
		return f.Street()
	case State:
		return f.State()
	case Country:
		return r.country().name
	case CountryCode:
		c := r.country()
		if h.MaxLength != nil && *h.MaxLength == 3 || exampleLen(h) == 3 {
			return c.alpha3
		}
		return c.alpha2
	case Postcode:
		c := r.country()
		for c.postcode == "" {
			c = &countries[f.IntRange(0, len(countries)-1)]
		}
		return f.Regex("^" + c.postcode + "$")
	case Currency:
		if f.IntRange(0, 1) == 0 {
			return isoCurrencies[f.IntRange(0, len(isoCurrencies)-1)]
		}
		return commonCurrencies[f.IntRange(0, len(commonCurrencies)-1)]
	case Language:
		if exampleLen(h) > 5 {
			return []string{"English", "German", "French", "Spanish", "Italian", "Japanese", "Korean", "Portuguese", "Hindi", "Mandarin"}[f.IntRange(0, 9)]
		}
		return []string{"en", "de", "fr", "es", "it", "nl", "pl", "pt", "sv", "ja"}[f.IntRange(0, 9)]
	case IBAN:
		return iban(f, r)
	case BIC:
		return strings.ToUpper(f.Lexify("????")) + r.country().alpha2 + strings.ToUpper(f.Regex("[A-Z0-9]{2}"))
	case Seat:
		return fmt.Sprintf("%d%c", f.IntRange(1, 45), "ABCDEFHJK"[f.IntRange(0, 8)])
	case Locator:
		return f.Regex("^[A-HJ-NP-Z2-9]{6}$")
	case Flight:
		return f.Regex("^[A-Z]{2}[1-9][0-9]{1,3}$")
	case Airport:
		return f.AirlineAirportIATA()
	case ISBN:
		return isbn(f)
	case Color:
		return f.Color()
	case AppName:
		return f.AppName()
	case Dish:
		return []func() string{f.Breakfast, f.Lunch, f.Dinner, f.Dessert, f.Drink}[f.IntRange(0, 4)]()
	case Aircraft:
		return f.AirlineAirplane()
	case CarMake:
		return f.CarMaker()
	case CarModel:
		return f.CarModel()
	case Status:
		return []string{"active", "pending", "completed", "cancelled"}[f.IntRange(0, 3)]
	case Category:
		return []string{"basic", "standard", "premium"}[f.IntRange(0, 2)]
	case Code:
		n := 6
		if h.MaxLength != nil && *h.MaxLength < n {
			n = max(*h.MaxLength, 1)
		}
		return f.Regex(fmt.Sprintf("^[A-Z][A-Z0-9]{%d}$", n-1))
	case ID:
		return f.Regex("^[a-z0-9]{12}$")
	case Shape:
		if ex, ok := exampleString(h); ok {
			return f.Regex(shapeOf(ex))
		}
	case Pattern:
		if h.Pattern != "" {
			return f.Regex(normPattern(h.Pattern))
		}
	}
	return f.Sentence(4)
}

func exampleLen(h Hints) int {
	s, _ := exampleString(h)
	return len(s)
}

func emailSuffix(f *gofakeit.Faker) string {
	n := ""
	if f.IntRange(0, 2) == 0 {
		n = fmt.Sprint(f.IntRange(1, 99))
	}
	return n + "@" + emailDomains[f.IntRange(0, len(emailDomains)-1)]
}

// shapeOf turns an example into the pattern of its shape: "AB-1234"
// gives two upper-case letters, a dash and four digits.
func shapeOf(ex string) string {
	var b strings.Builder
	b.WriteString("^")
	rs := []rune(ex)
	for i := 0; i < len(rs); {
		class := ""
		switch r := rs[i]; {
		case r >= '0' && r <= '9':
			class = "[0-9]"
		case r >= 'A' && r <= 'Z':
			class = "[A-Z]"
		case r >= 'a' && r <= 'z':
			class = "[a-z]"
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
			i++
			continue
		}
		j := i
		for j < len(rs) && sameClass(rs[i], rs[j]) {
			j++
		}
		fmt.Fprintf(&b, "%s{%d}", class, j-i)
		i = j
	}
	b.WriteString("$")
	return b.String()
}

func sameClass(a, b rune) bool {
	cls := func(r rune) int {
		switch {
		case r >= '0' && r <= '9':
			return 1
		case r >= 'A' && r <= 'Z':
			return 2
		case r >= 'a' && r <= 'z':
			return 3
		}
		return 0
	}
	return cls(a) != 0 && cls(a) == cls(b)
}

// dateFor draws a date whose range follows its meaning: records were
// made in the past, trips and appointments lie ahead.
func dateFor(f *gofakeit.Faker, w wordSet) time.Time {
	lo, hi := -365, 365
	switch {
	case w.has("created", "updated", "modified", "joined", "registered", "issued", "opened", "placed", "ordered",
		"paid", "signup", "since", "hired", "enrolled", "submitted", "booked", "last", "completed", "published", "released"):
		lo, hi = -3*365, -1
	case w.has("departure", "arrival", "depart", "arrive", "due", "expires", "expiry", "expiration", "scheduled",
		"appointment", "start", "end", "deadline", "return", "pickup", "dropoff", "until", "next", "event", "valid") ||
		w.joined("checkin") || w.joined("checkout"):
		lo, hi = 1, 365
	}
	return Epoch.AddDate(0, 0, f.IntRange(lo, hi))
}

func number(f *gofakeit.Faker, r *row, t Type, h Hints) any {
	lo, hi := 0.0, 1000.0
	digits := 2
	switch t {
	case Age:
		lo, hi = 18, 90
	case Rating:
		lo, hi, digits = 1, 5, 1
	case Quantity:
		lo, hi = 1, 10
	case Year:
		lo, hi = 1950, 2026
		if wordSet(words(h.Name)).has("expiry", "expiration", "expires", "exp", "valid", "until") {
			lo, hi = 2026, 2032
		}
	case Month:
		lo, hi = 1, 12
	case Duration:
		lo, hi = 5, 240
	case Percent:
		lo, hi = 0, 100
	case Lat:
		lo, hi, digits = -90, 90, 6
	case Lon:
		lo, hi, digits = -180, 180, 6
	case Money:
		lo, hi = 1, 1000
		if d, ok := currencies[r.currency]; ok {
			digits = d
		}
	}
	lo, hi = bounds(h, lo, hi)
	if h.JSONType == "integer" {
		lo, hi = math.Ceil(lo), math.Floor(hi)
		if hi < lo {
			hi = lo
		}
		return int64(lo) + int64(f.IntRange(0, int(hi-lo)))
	}
	v := round(f.Float64Range(lo, hi), digits)
	if v < lo || v > hi {
		v = lo
	}
	return v
}

// bounds narrows a default range [lo, hi] by a spec's minimum and
// maximum; a declared range outside the default one is used whole.
// Very wide ranges are kept to a readable window.
func bounds(h Hints, lo, hi float64) (float64, float64) {
	if h.Min != nil {
		lo = math.Max(lo, *h.Min)
	}
	if h.Max != nil {
		hi = math.Min(hi, *h.Max)
	}
	if hi < lo {
		switch {
		case h.Min != nil:
			lo = *h.Min
			hi = lo
			if h.Max != nil && *h.Max >= lo {
				hi = math.Min(*h.Max, lo+1000)
			}
		default:
			lo, hi = *h.Max, *h.Max
		}
	}
	const edge = 1 << 62
	return math.Max(lo, -edge), math.Min(hi, edge)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func titleCase(s string) string {
	ws := strings.Fields(s)
	for i, w := range ws {
		ws[i] = strings.ToUpper(w[:1]) + w[1:]
	}
	return strings.Join(ws, " ")
}

// slug keeps the lower-case ASCII letters and digits of s.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// iban draws an IBAN of a country that has them, with valid check
// digits.
func iban(f *gofakeit.Faker, r *row) string {
	c := r.country()
	if c.iban == 0 {
		var with []*country
		for i := range countries {
			if countries[i].iban > 0 {
				with = append(with, &countries[i])
			}
		}
		c = with[f.IntRange(0, len(with)-1)]
	}
	bban := strings.ToUpper(f.Lexify(strings.Repeat("?", c.ibanLetters))) + f.DigitN(uint(c.iban-4-c.ibanLetters))
	return c.alpha2 + fmt.Sprintf("%02d", 98-mod97(bban+c.alpha2+"00")) + bban
}

// mod97 is the ISO 7064 remainder of an IBAN's rearranged characters
// (letters count as 10..35).
func mod97(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			n = (n*10 + int(r-'0')) % 97
		case r >= 'A' && r <= 'Z':
			n = (n*100 + int(r-'A') + 10) % 97
		}
	}
	return n
}

// isbn draws an ISBN-13 with a valid check digit.
func isbn(f *gofakeit.Faker) string {
	body := "978" + f.DigitN(9)
	return body + fmt.Sprint(isbnCheck(body))
}

func isbnCheck(body string) int {
	sum := 0
	for i, r := range body {
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// orderDates puts a row's dates in the order their names say. A date
// may belong to two families (submitted_date_to), so moving one can
// break another: passes repeat until none moves a date.
func orderDates(f *gofakeit.Faker, fields []Field, vals []any) {
	for range 4 {
		moved := false
		for _, fam := range families {
			for _, clock := range []bool{false, true} {
				moved = orderFamily(f, fam, clock, fields, vals) || moved
			}
		}
		if !moved {
			return
		}
	}
}

// dated reports whether a field holds a date of the kind looked at:
// times of day (clock) or calendar dates and instants.
func dated(t Type, clock bool) bool {
	if clock {
		return t == Time
	}
	return t == Date || t == DateTime
}

func orderFamily(f *gofakeit.Faker, fam family, clock bool, fields []Field, vals []any) bool {
	moved := false
	var first time.Time
	var have bool
	for i, fd := range fields {
		if rank, ok := fam.rank(fd.Hints); ok && rank == 0 && dated(fd.Type, clock) {
			if t, ok := parseDate(vals[i]); ok && (!have || t.After(first)) {
				first, have = t, true
			}
		}
	}
	if !have {
		return false
	}
	for i, fd := range fields {
		rank, ok := fam.rank(fd.Hints)
		if !ok || rank != 1 || !dated(fd.Type, clock) {
			continue
		}
		t, ok := parseDate(vals[i])
		if !ok || t.After(first) {
			continue
		}
		s := vals[i].(string)
		switch fd.Type {
		case Time:
			t = first.Add(time.Duration(f.IntRange(1, 3)) * time.Hour)
			if t.Day() != first.Day() {
				t = time.Date(first.Year(), first.Month(), first.Day(), 23, 59, 0, 0, time.UTC)
			}
			out := t.Format("15:04")
			if strings.HasSuffix(s, "Z") {
				out += ":00Z"
			}
			vals[i] = out
		case Date:
			vals[i] = first.AddDate(0, 0, f.IntRange(1, 14)).Format("2006-01-02")
		default:
			vals[i] = first.Add(time.Duration(f.IntRange(1, 14*24)) * time.Hour).Format(time.RFC3339)
		}
		if !fits(vals[i], fd.Hints) {
			vals[i] = s
		} else {
			moved = true
		}
	}
	return moved
}

// family is a set of dates of one row with an order: rank 0 names
// come before rank 1 names.
type family struct {
	name          string
	before, after []string
}

var families = []family{
	{"record", []string{"created", "registered", "opened", "placed", "ordered", "joined", "issued", "submitted", "booked"}, []string{"updated", "modified", "changed", "edited"}},
	{"span", []string{"start", "starts", "begin", "begins", "from", "opens", "effective", "pickup"}, []string{"end", "ends", "finish", "until", "to", "closes", "expires", "expiry", "expiration", "dropoff"}},
	{"stay", []string{"checkin"}, []string{"checkout"}},
	{"travel", []string{"departure", "depart", "departs", "departing", "outbound"}, []string{"arrival", "arrive", "arrives", "arriving", "return", "inbound"}},
	{"loan", []string{"borrowed", "loaned", "lent"}, []string{"due", "returned"}},
	{"delivery", []string{"dispatched", "shipped", "sent"}, []string{"delivery", "delivered", "received"}},
}

// roleKey caches date roles by name and table.
type roleKey struct{ name, table, family string }

type role struct {
	rank int
	ok   bool
}

var roles sync.Map

func (fm family) rank(h Hints) (int, bool) {
	k := roleKey{h.Name, h.Table, fm.name}
	if r, ok := roles.Load(k); ok {
		return r.(role).rank, r.(role).ok
	}
	r, ok := 0, false
	if owner(h.Name) == fm.name {
		r, ok = fm.rankOf(h.Name)
		if ok && fm.name == "travel" && wordSet(words(h.Table)).has("stay", "hotel", "room", "lodging", "reservation") {
			// A guest arrives at a hotel before departing from it.
			r = 1 - r
		}
	}
	roles.Store(k, role{r, ok})
	return r, ok
}

// owner is the one family a date's name puts it in: the family of the
// last word that names one (end_created_at bounds a creation time, so
// it is ordered as a record date, not as the end of a span).
func owner(name string) string {
	w := words(name)
	best, at := "", -1
	for _, fm := range families {
		for i := range w {
			if _, ok := fm.rankOf(strings.Join(w[i:i+1], "_")); ok && i > at {
				best, at = fm.name, i
			}
		}
		if fm.name == "stay" && wordSet(w).joined("checkin") || fm.name == "stay" && wordSet(w).joined("checkout") {
			if at < len(w) {
				best, at = fm.name, len(w)
			}
		}
	}
	return best
}

func (fm family) rankOf(name string) (int, bool) {
	w := wordSet(words(name))
	if len(w) == 0 {
		return 0, false
	}
	j := strings.Join(w, "")
	if fm.name == "stay" {
		switch {
		case strings.Contains(j, "checkin"):
			return 0, true
		case strings.Contains(j, "checkout"):
			return 1, true
		}
		return 0, false
	}
	if fm.name == "span" && len(w) == 1 && w[0] == "to" {
		return 0, false
	}
	switch {
	case w.has(fm.before...):
		return 0, true
	case w.has(fm.after...):
		return 1, true
	}
	return 0, false
}

func parseDate(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02", "15:04:05Z", "15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			if layout == "15:04:05Z" || layout == "15:04" {
				t = t.AddDate(2000, 0, 0)
			}
			return t, true
		}
	}
	return time.Time{}, false
}
