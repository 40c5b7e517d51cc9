// Package value infers what a column or an argument means (its semantic
// type: a person's name, an IBAN, a check-in date) from what its spec says,
// and draws values that satisfy all of it: the format, pattern, enum,
// example, bounds, the name and description, and the entity it belongs
// to. Draws are deterministic for a seeded gofakeit.Faker; Check tells
// whether a value satisfies its type, so generators can be tested.
package value

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/brianvoe/gofakeit/v7"
)

// Type is a semantic type.
type Type string

// The semantic types.
const (
	Enum     Type = "enum"
	Boolean  Type = "boolean"
	Array    Type = "array"
	Object   Type = "object"
	Integer  Type = "integer"
	Number   Type = "number"
	Money    Type = "money"
	Age      Type = "age"
	Rating   Type = "rating"
	Quantity Type = "quantity"
	Year     Type = "year"
	Month    Type = "month"
	Duration Type = "duration"
	Percent  Type = "percent"
	Lat      Type = "latitude"
	Lon      Type = "longitude"

	PersonName  Type = "person_name"
	FirstName   Type = "first_name"
	LastName    Type = "last_name"
	CompanyName Type = "company_name"
	ProductName Type = "product_name"
	PlaceName   Type = "place_name"
	Title       Type = "title"
	Text        Type = "text"
	Username    Type = "username"
	Email       Type = "email"
	Phone       Type = "phone"
	URL         Type = "url"
	UUID        Type = "uuid"
	IPv4        Type = "ipv4"
	IPv6        Type = "ipv6"
	Period      Type = "iso_duration"
	Base64      Type = "base64"
	Pointer     Type = "json_pointer"
	Hostname    Type = "hostname"
	Date        Type = "date"
	DateTime    Type = "date_time"
	Time        Type = "time"
	BirthDate   Type = "birth_date"
	City        Type = "city"
	Street      Type = "street"
	State       Type = "state"
	Country     Type = "country"
	CountryCode Type = "country_code"
	Postcode    Type = "postcode"
	Currency    Type = "currency"
	Language    Type = "language"
	IBAN        Type = "iban"
	BIC         Type = "bic"
	Seat        Type = "seat"
	Locator     Type = "booking_locator"
	Flight      Type = "flight_number"
	Airport     Type = "airport_code"
	ISBN        Type = "isbn"
	Color       Type = "color"
	Dish        Type = "dish"
	AppName     Type = "app_name"
	Aircraft    Type = "aircraft"
	CarMake     Type = "car_make"
	CarModel    Type = "car_model"
	Status      Type = "status"
	Category    Type = "category"
	Code        Type = "code"
	ID          Type = "id"
	Shape       Type = "shape"
	Pattern     Type = "pattern"
)

// Hints are what a spec says about one column or argument.
type Hints struct {
	// Name is the property or column name.
	Name string
	// Table is the entity it belongs to (singular snake_case).
	Table string
	// JSONType is the JSON Schema type; empty means string.
	JSONType    string
	Format      string
	Pattern     string
	Enum        []any
	Example     any
	Description string
	Min, Max    *float64
	MinLength   *int
	MaxLength   *int
}

// words splits a name into lower-case words at underscores, dashes,
// dots, spaces and camel-case humps.
func words(s string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && len(cur) > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
	}
	flush()
	return out
}

type wordSet []string

func (w wordSet) has(xs ...string) bool {
	for _, x := range xs {
		for _, y := range w {
			if x == y {
				return true
			}
		}
	}
	return false
}

func (w wordSet) last() string {
	if len(w) == 0 {
		return ""
	}
	return w[len(w)-1]
}

// joined reports whether the words, concatenated, contain s (so both
// "checkin" and "check_in" say check-in).
func (w wordSet) joined(s string) bool { return strings.Contains(strings.Join(w, ""), s) }

// Infer returns the semantic type of a column or argument. The spec's
// evidence is trusted in order: format, pattern, enum, example, bounds,
// name, description, entity.
func Infer(h Hints) Type {
	if len(h.Enum) > 0 {
		return Enum
	}
	w := wordSet(words(h.Name))
	switch h.JSONType {
	case "boolean":
		return Boolean
	case "array":
		return Array
	case "object":
		return Object
	case "integer", "number":
		return numberType(h, w)
	}
	t := formatType(h.Format, w)
	ex, hasEx := exampleString(h)
	named := nameType(w, h.Table)
	if named == "" {
		named = descriptionType(wordSet(words(h.Description)))
	}
	if t == "" && hasEx {
		if et := strongExample(ex); et != "" {
			t = refine(et, w)
		} else if et := weakExample(ex); et != "" && (named == "" || weak(named) || named == et || named == Country && et == CountryCode) {
			t = et
		}
	}
	if t == "" {
		t = named
	}
	if t == "" {
		t = Text
		if h.MaxLength != nil && *h.MaxLength <= 12 {
			t = Code
		}
	}
	if hasEx && shaped(ex) && (weak(t) || structured(t) && Check(t, ex, Hints{}) != nil && !looksLike(t, ex)) {
		t = Shape
	}
	if t == Country && h.MaxLength != nil && *h.MaxLength <= 3 {
		t = CountryCode
	}
	if !feasible(t, h) {
		if h.Pattern != "" && compile(h.Pattern) != nil {
			return Pattern
		}
		if t != Shape {
			return Code
		}
	}
	return t
}

// feasible reports whether most values of t drawn for h satisfy its
// pattern and length bounds.
func feasible(t Type, h Hints) bool {
	if h.Pattern == "" && h.MaxLength == nil && h.MinLength == nil {
		return true
	}
	f := gofakeit.New(7)
	ok := 0
	for range 8 {
		if fits(draw(f, newRow(f), t, h), h) {
			ok++
		}
	}
	return ok >= 6
}

// weak types are guesses a spec's example may overrule.
func weak(t Type) bool {
	switch t {
	case Text, Code, ID, Title, Category, Status:
		return true
	}
	return false
}

// structured types have a fixed shape; an example of another shape
// overrules them.
func structured(t Type) bool {
	switch t {
	case Phone, Postcode, Seat, Locator, Flight, Airport, ISBN, BIC, IBAN:
		return true
	}
	return false
}

var (
	reLooseIBAN = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
	reLooseISBN = regexp.MustCompile(`^97[89][0-9-]{10,14}$`)
)

// looksLike reports whether an example that fails t's checks still has
// t's shape (an IBAN with made-up check digits): the type then stands.
func looksLike(t Type, ex string) bool {
	switch t {
	case IBAN:
		return reLooseIBAN.MatchString(ex)
	case ISBN:
		return reLooseISBN.MatchString(ex)
	}
	return false
}

func numberType(h Hints, w wordSet) Type {
	switch {
	case w.has("lat", "latitude"):
		return Lat
	case w.has("lon", "lng", "longitude"):
		return Lon
	case w.has("age") && !w.has("page", "usage"):
		return Age
	case w.has("rating", "stars", "score"):
		return Rating
	case w.has("quantity", "qty", "count", "seats", "guests", "nights", "capacity", "baggages", "bags", "pages", "floor", "rooms", "passengers", "adults", "children", "copies", "party", "size", "years", "stock", "remaining", "available", "position", "rank", "priority", "renewals", "attempts"):
		return Quantity
	case w.has("level", "tier"):
		return Integer
	case w.has("rate") && w.has("hourly", "nightly", "daily", "weekly", "monthly", "base", "room", "flat"):
		return Money
	case w.has("percent", "percentage", "pct", "rate") && h.JSONType == "number":
		return Percent
	case w.has("amount", "price", "total", "balance", "fee", "fees", "cost", "salary", "fare", "subtotal", "tax", "payment", "refund", "charge", "deposit", "credit", "debit", "limit", "tip", "discount", "owed", "due", "paid", "rent", "wage") && !w.has("count", "id", "number"):
		return Money
	case w.has("month") && h.JSONType == "integer":
		return Month
	case w.has("year"):
		return Year
	case w.has("duration", "minutes", "mins"):
		return Duration
	}
	if h.JSONType == "integer" {
		return Integer
	}
	return Number
}

func formatType(format string, w wordSet) Type {
	switch strings.ToLower(format) {
	case "date":
		if birth(w) {
			return BirthDate
		}
		return Date
	case "date-time", "datetime", "timestamp":
		return DateTime
	case "time":
		return Time
	case "email", "idn-email":
		return Email
	case "uri", "url", "uri-reference", "iri", "iri-reference":
		return URL
	case "uuid", "guid":
		return UUID
	case "ipv4", "ip":
		return IPv4
	case "hostname", "idn-hostname":
		return Hostname
	case "ipv6":
		return IPv6
	case "duration":
		return Period
	case "byte", "base64":
		return Base64
	case "json-pointer":
		return Pointer
	case "iban":
		return IBAN
	case "bic", "swift":
		return BIC
	case "phone", "tel", "e164", "phone-number":
		return Phone
	case "iso-4217", "currency", "currency-code":
		return Currency
	case "iso-3166", "country", "country-code", "iso-3166-1-alpha-2":
		return CountryCode
	case "isbn":
		return ISBN
	}
	return ""
}

func birth(w wordSet) bool {
	return w.has("dob", "birthday", "birthdate", "birth", "born")
}

// refine narrows a type read from an example by the name (a date named
// birth_date is a birth date).
func refine(t Type, w wordSet) Type {
	if (t == Date || t == DateTime) && birth(w) {
		return BirthDate
	}
	return t
}

func exampleString(h Hints) (string, bool) {
	s, ok := h.Example.(string)
	return s, ok && s != ""
}

var (
	reEmail    = regexp.MustCompile(`^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$`)
	reUUID     = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	reDate     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	reDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$`)
	reTime     = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?(Z|[+-]\d{2}:?\d{2})?$`)
	rePhone    = regexp.MustCompile(`^\+[1-9]\d{7,14}$`)
	reSeat     = regexp.MustCompile(`^[1-9]\d?[A-K]$`)
	reLocator  = regexp.MustCompile(`^[A-Z0-9]{6}$`)
	reFlight   = regexp.MustCompile(`^[A-Z0-9]{2}\d{1,4}$`)
	reAirport  = regexp.MustCompile(`^[A-Z]{3}$`)
	reBIC      = regexp.MustCompile(`^[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	reLang     = regexp.MustCompile(`^[a-z]{2}(-[A-Z]{2})?$`)
	reUsername = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	reID       = regexp.MustCompile(`^[A-Za-z0-9_.:-]+$`)
	reCode     = regexp.MustCompile(`^[A-Z0-9-]+$`)
)

// strongExample recognises an example whose shape says what it is.
func strongExample(s string) Type {
	switch {
	case checkIBAN(s) == nil:
		return IBAN
	case reEmail.MatchString(s):
		return Email
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return URL
	case reUUID.MatchString(s):
		return UUID
	case reDateTime.MatchString(s) && strings.Contains(s, "T"):
		return DateTime
	case reDate.MatchString(s):
		return Date
	case checkISBN(s) == nil:
		return ISBN
	}
	return ""
}

// weakExample recognises short codes an example may be (a currency, a
// country, an E.164 phone).
func weakExample(s string) Type {
	if _, ok := currencies[s]; ok {
		return Currency
	}
	if c := countryByCode(s); c != nil {
		return CountryCode
	}
	if rePhone.MatchString(s) {
		return Phone
	}
	return ""
}

// shaped reports whether an example has a recognisable shape: a code
// of letters and digits (with separators), not words.
func shaped(s string) bool {
	if strings.Contains(s, "XXXX") || strings.Contains(s, "xxxx") || strings.Contains(s, "****") {
		// A masked example (an IBAN's last four) shows no shape.
		return false
	}
	if len(s) < 2 || len(s) > 40 || strings.ContainsAny(s, "\t\n") || strings.Contains(s, "  ") {
		return false
	}
	digits, upper, lower, other := 0, 0, 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r >= 'A' && r <= 'Z':
			upper++
		case r >= 'a' && r <= 'z':
			lower++
		case strings.ContainsRune("-_./:# ", r):
			other++
		default:
			return false
		}
	}
	if strings.Contains(s, " ") && lower > 0 {
		return false
	}
	return lower <= 3 && (digits > 0 || lower == 0 && upper > 1)
}

var personTables = map[string]bool{"user": true, "customer": true, "patient": true, "person": true, "member": true,
	"employee": true, "student": true, "guest": true, "passenger": true, "driver": true, "doctor": true, "author": true,
	"owner": true, "contact": true, "client": true, "staff": true, "teacher": true, "instructor": true, "rider": true,
	"trainer": true, "agent": true, "account_holder": true, "player": true, "subscriber": true, "attendee": true,
	"physician": true, "nurse": true, "traveler": true, "traveller": true, "tenant": true, "beneficiary": true,
	"recipient": true, "applicant": true, "candidate": true, "borrower": true, "reader": true, "visitor": true,
	"holder": true, "cardholder": true, "payee": true, "athlete": true, "coach": true, "volunteer": true, "artist": true,
	"patron": true, "shopper": true, "diner": true, "moviegoer": true, "buyer": true, "participant": true}

var companyWords = []string{"company", "organization", "organisation", "org", "vendor", "supplier", "merchant", "airline",
	"bank", "brand", "manufacturer", "publisher", "employer", "carrier", "partner", "business", "provider", "insurer",
	"firm", "corporation", "agency", "studio", "label", "operator", "distributor", "retailer", "seller", "shipper", "tenant_company"}

var placeWords = []string{"hotel", "restaurant", "venue", "cinema", "theater", "theatre", "gym", "clinic", "hospital",
	"library", "branch", "store", "shop", "location", "site", "office", "station", "warehouse", "school", "campus",
	"park", "museum", "stadium", "property", "building", "facility", "center", "centre", "cafe", "bar", "club", "studio_location"}

var personRoles = []string{"passenger", "beneficiary", "holder", "cardholder", "customer", "guest", "contact", "driver",
	"recipient", "sender", "patient", "doctor", "author", "owner", "employee", "member", "user", "person", "traveler",
	"traveller", "payee", "payer", "tenant", "applicant", "student", "teacher", "instructor", "physician", "rider",
	"emergency", "primary", "legal", "full", "display", "given", "account", "borrower", "manager", "representative",
	"diner", "moviegoer", "patron", "shopper", "buyer", "requester", "caller", "visitor", "attendee", "guardian",
	"cardholder", "signer", "assignee", "reviewer", "host", "participant", "subscriber", "traveler", "pilot", "coach"}

// nameType reads a type from the name's words and the entity.
func nameType(w wordSet, table string) Type {
	tw := wordSet(words(table))
	isPerson := personTables[table] || len(tw) > 0 && personTables[tw.last()]
	last := w.last()
	switch {
	case w.has("iban"):
		return IBAN
	case w.has("bic", "swift"):
		return BIC
	case w.has("isbn", "isbn13"):
		return ISBN
	case w.has("email", "mail") && !w.has("verified", "status", "count", "type", "sent", "opt", "template", "subject", "body"):
		return Email
	case w.has("phone", "mobile", "tel", "telephone", "msisdn", "fax") && !w.has("type", "verified", "country"):
		return Phone
	case w.has("url", "uri", "website", "homepage", "link", "href", "avatar", "image", "photo", "logo", "thumbnail", "icon", "picture"):
		return URL
	case w.has("uuid", "guid"):
		return UUID
	case w.has("ip") && !w.has("zip", "tip"):
		return IPv4
	case w.has("hostname", "host", "domain") && !w.has("name") || w.has("hostname"):
		return Hostname
	case birth(w):
		return BirthDate
	case w.has("seat") && !w.has("count", "seats", "number", "class", "type", "map", "price"):
		return Seat
	case w.has("seat") && w.has("number"):
		return Seat
	case w.has("locator", "pnr") || w.joined("bookingref") || w.joined("bookingcode") || w.joined("confirmationcode") || w.joined("confirmationnumber") || w.joined("recordlocator") || w.joined("bookingreference"):
		return Locator
	case w.has("flight") && (w.has("number", "no", "code") || last == "flight"):
		return Flight
	case (w.has("iata", "airport") || w.has("origin", "destination") && tw.has("flight", "airline", "itinerary", "leg", "route", "fare")) && !w.has("name", "city"):
		return Airport
	case w.has("currency"):
		return Currency
	case w.has("country"):
		if w.has("code", "iso") {
			return CountryCode
		}
		return Country
	case w.has("nationality", "residency", "citizenship"):
		return CountryCode
	case w.has("language", "lang", "locale"):
		return Language
	case w.has("zip", "postal", "postcode", "zipcode"):
		return Postcode
	case last == "date" || last == "on" || last == "day" || w.has("deadline"):
		return Date
	case last == "at" || last == "time" || last == "timestamp" || last == "datetime" || w.has("datetime", "departure", "arrival", "checkin", "checkout") || w.joined("checkin") || w.joined("checkout"):
		if last == "time" && !w.has("date") && !w.has("departure", "arrival") {
			return Time
		}
		return DateTime
	case w.has("username", "login", "handle", "screen") || w.has("user") && w.has("name"):
		return Username
	case w.has("first", "given", "forename") && w.has("name") || last == "firstname":
		return FirstName
	case w.has("last", "surname", "family") && w.has("name") || w.has("surname") || last == "lastname":
		return LastName
	case w.has("city", "town"):
		return City
	case w.has("street", "address", "addr") && !w.has("email", "ip", "mac", "web"):
		return Street
	case w.has("state", "province", "region", "county") && !w.has("status"):
		return State
	case w.has("aircraft", "airplane", "plane", "equipment") && (w.has("type", "model") || last == "aircraft"):
		return Aircraft
	case wordSet(words(table)).has("vehicle", "car", "automobile") && w.has("make", "manufacturer", "brand"):
		return CarMake
	case wordSet(words(table)).has("vehicle", "car", "automobile") && last == "model":
		return CarModel
	case w.has("company", "employer", "organization", "organisation", "merchant", "vendor", "supplier", "manufacturer", "brand", "airline", "publisher", "carrier", "bank", "insurer"):
		return CompanyName
	case w.has("color", "colour"):
		return Color
	case w.has("status", "state"):
		return Status
	case w.has("description", "notes", "note", "comment", "comments", "summary", "bio", "message", "body", "content", "text", "reason", "details", "remarks", "instructions", "review", "feedback"):
		return Text
	case w.has("title", "headline", "subject", "nickname", "label", "alias"):
		return Title
	case w.has("sku", "ticker", "symbol", "code"):
		return Code
	case last == "id" || w.has("number", "no", "ref", "reference", "key", "token"):
		return ID
	case w.has("type", "kind", "category", "tier", "class", "level", "plan", "cabin", "genre", "specialty", "specialization", "department"):
		return Category
	case w.has("name", "fullname", "author", "director", "pilot"):
		if len(w) > 1 && w.has(personRoles...) || w.has("author", "director", "pilot", "fullname") {
			return PersonName
		}
		if len(w) > 1 {
			if t := entityName(w[:len(w)-1]); t != "" {
				return t
			}
		}
		if isPerson {
			return PersonName
		}
		if t := entityName(tw); t != "" {
			return t
		}
		return ProductName
	}
	return ""
}

// entityName is the kind of name an entity's name is.
func entityName(tw wordSet) Type {
	switch {
	case len(tw) > 0 && personTables[tw.last()]:
		return PersonName
	case tw.has(companyWords...):
		return CompanyName
	case tw.has("city", "town"):
		return City
	case tw.has("street"):
		return Street
	case tw.has("country"):
		return Country
	case tw.has("menu", "dish", "meal", "recipe", "food", "drink", "beverage"):
		return Dish
	case tw.has("app", "application", "project", "repository", "repo", "service", "workspace", "bucket", "cluster",
		"pipeline", "job", "queue", "topic", "database", "environment", "webhook", "integration", "plugin", "bot",
		"channel", "board", "space", "server", "instance", "container", "function", "deployment", "package",
		"module", "dashboard", "report", "template", "workflow", "model", "dataset", "index", "key", "token", "tag"):
		return AppName
	case tw.has(placeWords...):
		return PlaceName
	case tw.has("movie", "film", "book", "song", "track", "album", "show", "episode", "course", "class", "event", "session", "workout", "program", "programme"):
		return Title
	}
	if len(tw) > 0 {
		return ProductName
	}
	return ""
}

// descriptionType reads a type from the strongest words of a
// description, when the name says nothing.
func descriptionType(d wordSet) Type {
	switch {
	case d.has("iban"):
		return IBAN
	case d.has("bic", "swift"):
		return BIC
	case d.has("isbn"):
		return ISBN
	case d.has("email") && d.has("address"):
		return Email
	case d.has("phone") && d.has("number"):
		return Phone
	case d.has("url", "uri"):
		return URL
	case d.has("currency") && d.has("code", "iso", "4217"):
		return Currency
	case d.has("country") && d.has("code", "iso", "3166"):
		return CountryCode
	}
	return ""
}
