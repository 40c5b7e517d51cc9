package value

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7/data"
)

// ErrInvalid is wrapped by every error Check returns.
var ErrInvalid = errors.New("invalid value")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

var (
	firstNames = set(data.Person["first"])
	lastNames  = set(data.Person["last"])
	cityNames  = set(data.Address["city"])
	stateNames = set(data.Address["state"])
)

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Check reports whether v is a valid value of type t under h: check
// digits, ranges, shapes, and h's enum, pattern and lengths. A nil
// value (a reference left empty) is valid.
func Check(t Type, v any, h Hints) error {
	if v == nil {
		return nil
	}
	if s, ok := v.(string); ok && t != Enum {
		if !fits(s, h) {
			return invalid("%q breaks the pattern or length bounds", s)
		}
	}
	switch t {
	case Enum:
		for _, e := range h.Enum {
			if fmt.Sprint(e) == fmt.Sprint(v) {
				return nil
			}
		}
		return invalid("%v is not in the enum", v)
	case Boolean:
		switch v.(type) {
		case bool, int64:
			return nil
		}
		return invalid("%v is not a boolean", v)
	case Array, Object:
		if s, ok := v.(string); ok && !json.Valid([]byte(s)) {
			return invalid("%q is not JSON", s)
		}
		return nil
	case Integer, Number, Money, Age, Rating, Quantity, Year, Month, Duration, Percent, Lat, Lon:
		return checkNumber(t, v, h)
	}
	s, ok := v.(string)
	if !ok {
		return invalid("%v is not a string", v)
	}
	switch t {
	case PersonName:
		parts := strings.Fields(s)
		if len(parts) < 2 || !firstNames[parts[0]] || !lastNames[parts[len(parts)-1]] {
			return invalid("%q is not a first and a last name", s)
		}
	case FirstName:
		if !firstNames[s] {
			return invalid("%q is not a first name", s)
		}
	case LastName:
		if !lastNames[s] {
			return invalid("%q is not a last name", s)
		}
	case City:
		if !cityNames[s] {
			return invalid("%q is not a city", s)
		}
	case State:
		if !stateNames[s] {
			return invalid("%q is not a state", s)
		}
	case Street:
		if !compile(`^\d+ \S.*$`).MatchString(s) {
			return invalid("%q is not a street address", s)
		}
	case Title:
		if strings.TrimSpace(s) == "" {
			return invalid("an empty title")
		}
	case CompanyName, ProductName, PlaceName, Text, Color, Status, Category, CarMake, CarModel, Dish, Aircraft, AppName:
		if strings.TrimSpace(s) == "" || !strings.ContainsAny(strings.ToLower(s), "abcdefghijklmnopqrstuvwxyz") {
			return invalid("%q has no words", s)
		}
	case Username:
		return match(reUsername, s, "a username")
	case Email:
		return match(reEmail, s, "an email address")
	case Phone:
		return match(rePhone, s, "an E.164 phone number")
	case URL:
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" || !strings.Contains(u.Host, ".") {
			return invalid("%q is not an http(s) URL", s)
		}
	case UUID:
		return match(reUUID, s, "a UUID")
	case IPv4:
		if ip := net.ParseIP(s); ip == nil || ip.To4() == nil {
			return invalid("%q is not an IPv4 address", s)
		}
	case IPv6:
		if ip := net.ParseIP(s); ip == nil || !strings.Contains(s, ":") {
			return invalid("%q is not an IPv6 address", s)
		}
	case Period:
		return match(compile(`^P(\d+D)?(T\d+H)?$`), s, "an ISO 8601 duration")
	case Base64:
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return invalid("%q is not base64", s)
		}
	case Pointer:
		return match(compile(`^(/[^/]*)*$`), s, "a JSON pointer")
	case Hostname:
		return match(compile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`), s, "a hostname")
	case Date:
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return invalid("%q is not a date", s)
		}
	case BirthDate:
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return invalid("%q is not a date", s)
		}
		if age := Epoch.Sub(d).Hours() / 24 / 365.25; age < 18 || age > 90 {
			return invalid("birth date %s gives an age of %.0f", s, age)
		}
	case DateTime:
		if _, err := time.Parse(time.RFC3339, s); err != nil {
			return invalid("%q is not an RFC 3339 date-time", s)
		}
	case Time:
		return match(reTime, s, "a time of day")
	case Country:
		if countryByName(s) == nil {
			return invalid("%q is not a country", s)
		}
	case CountryCode:
		if countryByCode(s) == nil {
			return invalid("%q is not an ISO 3166 code", s)
		}
	case Postcode:
		for _, c := range countries {
			if c.postcode != "" && compile("^"+c.postcode+"$").MatchString(s) {
				return nil
			}
		}
		return invalid("%q is no country's postcode", s)
	case Currency:
		if _, ok := currencies[s]; !ok {
			return invalid("%q is not an ISO 4217 code", s)
		}
	case Language:
		if !reLang.MatchString(s) && !compile(`^[A-Z][a-z]+( [A-Z][a-z]+)*$`).MatchString(s) {
			return invalid("%q is not a language", s)
		}
	case IBAN:
		return checkIBAN(s)
	case BIC:
		return match(reBIC, s, "a BIC")
	case Seat:
		return match(reSeat, s, "a seat")
	case Locator:
		return match(reLocator, s, "a booking locator")
	case Flight:
		return match(reFlight, s, "a flight number")
	case Airport:
		return match(reAirport, s, "an IATA airport code")
	case ISBN:
		return checkISBN(s)
	case Code:
		return match(reCode, s, "a code")
	case ID:
		return match(reID, s, "an identifier")
	case Shape:
		if ex, ok := exampleString(h); ok {
			return match(compile(shapeOf(ex)), s, "of the example's shape")
		}
	case Pattern:
		if re := compile(h.Pattern); re != nil {
			return match(re, s, "a match of "+h.Pattern)
		}
	}
	return nil
}

func match(re *regexp.Regexp, s, what string) error {
	if !re.MatchString(s) {
		return invalid("%q is not %s", s, what)
	}
	return nil
}

func checkNumber(t Type, v any, h Hints) error {
	var x float64
	switch n := v.(type) {
	case int64:
		x = float64(n)
	case int:
		x = float64(n)
	case float64:
		x = n
	default:
		return invalid("%v is not a number", v)
	}
	if h.Min != nil && x < *h.Min || h.Max != nil && x > *h.Max {
		return invalid("%v is outside [%v, %v]", v, h.Min, h.Max)
	}
	if h.JSONType == "integer" && x != math.Trunc(x) {
		return invalid("%v is not an integer", v)
	}
	lo, hi := -math.MaxFloat64, math.MaxFloat64
	switch t {
	case Age:
		lo, hi = 18, 90
	case Rating:
		lo, hi = 0, 5
	case Lat:
		lo, hi = -90, 90
	case Lon:
		lo, hi = -180, 180
	case Percent:
		lo, hi = 0, 100
	case Money, Quantity, Duration:
		lo = 0
	case Year:
		lo, hi = 1900, 2100
	case Month:
		lo, hi = 1, 12
	}
	if h.Min == nil && h.Max == nil && (x < lo || x > hi) {
		return invalid("%v is outside the range of a %s", v, t)
	}
	return nil
}

// CheckMoney reports whether an amount has no more decimals than its
// currency allows (two when the currency is unknown).
func CheckMoney(amount float64, currency string) error {
	d, ok := currencies[currency]
	if !ok {
		d = 2
	}
	if round(amount, d) != amount {
		return invalid("%v has more than %d decimals for %s", amount, d, currency)
	}
	return nil
}

func checkIBAN(s string) error {
	if len(s) < 15 || len(s) > 34 {
		return invalid("%q has no IBAN length", s)
	}
	c := countryByCode(s[:2])
	if c == nil || c.iban == 0 {
		return invalid("%q has no IBAN country", s)
	}
	if len(s) != c.iban {
		return invalid("%q is not %d characters long, as %s IBANs are", s, c.iban, c.alpha2)
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') {
			return invalid("%q has a character IBANs never have", s)
		}
	}
	if mod97(s[4:]+s[:4]) != 1 {
		return invalid("%q fails the IBAN check digits", s)
	}
	return nil
}

func checkISBN(s string) error {
	d := strings.ReplaceAll(s, "-", "")
	if len(d) != 13 || !strings.HasPrefix(d, "978") && !strings.HasPrefix(d, "979") {
		return invalid("%q is not an ISBN-13", s)
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return invalid("%q is not an ISBN-13", s)
		}
	}
	if isbnCheck(d[:12]) != int(d[12]-'0') {
		return invalid("%q fails the ISBN check digit", s)
	}
	return nil
}

// CheckRow checks what ties a row's values together: an email made from
// the row's person name, a postcode of the row's country, money with its
// currency's decimals, and dates in the order their names say.
func CheckRow(fields []Field, vals []any) []error {
	var errs []error
	var first, last, currency string
	var nation *country
	for i, fd := range fields {
		s, _ := vals[i].(string)
		switch fd.Type {
		case PersonName:
			if p := strings.Fields(s); len(p) >= 2 && first == "" {
				first, last = p[0], p[len(p)-1]
			}
		case FirstName:
			first = s
		case LastName:
			last = s
		case Currency:
			currency = s
		case CountryCode:
			nation = countryByCode(s)
		case Country:
			nation = countryByName(s)
		}
	}
	for i, fd := range fields {
		s, _ := vals[i].(string)
		switch {
		case fd.Type == Email && last != "" && s != "":
			if !strings.Contains(strings.ToLower(s), slug(last)) {
				errs = append(errs, invalid("%s %q is not made from the row's name %s %s", fd.Hints.Name, s, first, last))
			}
		case fd.Type == Postcode && nation != nil && nation.postcode != "" && s != "":
			if !compile("^" + nation.postcode + "$").MatchString(s) {
				errs = append(errs, invalid("%s %q is not a postcode of %s", fd.Hints.Name, s, nation.alpha2))
			}
		case fd.Type == Money && currency != "":
			if x, ok := vals[i].(float64); ok {
				if err := CheckMoney(x, currency); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	for _, fam := range families {
		for _, clock := range []bool{false, true} {
			var before []int
			for i, fd := range fields {
				if r, ok := fam.rank(fd.Hints); ok && r == 0 && dated(fd.Type, clock) {
					before = append(before, i)
				}
			}
			for i, fd := range fields {
				r, ok := fam.rank(fd.Hints)
				if !ok || r != 1 || !dated(fd.Type, clock) {
					continue
				}
				t1, ok1 := parseDate(vals[i])
				for _, j := range before {
					t0, ok0 := parseDate(vals[j])
					if ok0 && ok1 && !t1.After(t0) {
						errs = append(errs, invalid("%s %v is not after %s %v", fd.Hints.Name, vals[i], fields[j].Hints.Name, vals[j]))
					}
				}
			}
		}
	}
	return errs
}
