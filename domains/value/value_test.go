package value_test

import (
	"encoding/json"
	"math/big"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/currency"
	"golang.org/x/text/language"

	"github.com/simgym/simgym/domains/value"
)

// fragment is a real property schema from the apisguru sample.
type fragment struct {
	Source string `json:"source"`
	Name   string `json:"name"`
	Table  string `json:"table"`
	Want   string `json:"want"`
	Schema struct {
		Type        string   `json:"type"`
		Format      string   `json:"format"`
		Pattern     string   `json:"pattern"`
		Example     any      `json:"example"`
		Description string   `json:"description"`
		MaxLength   *int     `json:"maxLength"`
		MinLength   *int     `json:"minLength"`
		Minimum     *float64 `json:"minimum"`
		Maximum     *float64 `json:"maximum"`
	} `json:"schema"`
}

func (f fragment) hints() value.Hints {
	s := f.Schema
	return value.Hints{Name: f.Name, Table: f.Table, JSONType: s.Type, Format: s.Format, Pattern: s.Pattern,
		Example: s.Example, Description: s.Description, MaxLength: s.MaxLength, MinLength: s.MinLength,
		Min: s.Minimum, Max: s.Maximum}
}

var (
	e164    = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	uuidRe  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	seatRe  = regexp.MustCompile(`^[1-9][0-9]?[A-K]$`)
	bicRe   = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	ibanLen = map[string]int{"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16, "AT": 20, "CH": 21,
		"IE": 22, "PT": 25, "PL": 28, "SE": 24, "NO": 15, "DK": 18, "FI": 18, "CZ": 24, "GR": 27, "HU": 28, "LU": 20,
		"BR": 29, "TR": 26, "AE": 23, "IL": 23}
)

// validIBAN checks an IBAN independently of the package: its country's
// length and the ISO 7064 mod-97 remainder of 1.
func validIBAN(s string) bool {
	if n, ok := ibanLen[s[:2]]; !ok || len(s) != n {
		return false
	}
	var digits strings.Builder
	for _, r := range s[4:] + s[:4] {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			digits.WriteString(big.NewInt(int64(r - 'A' + 10)).String())
		default:
			return false
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

func validISBN13(s string) bool {
	d := strings.ReplaceAll(s, "-", "")
	if len(d) != 13 || !strings.HasPrefix(d, "978") && !strings.HasPrefix(d, "979") {
		return false
	}
	sum := 0
	for i, r := range d {
		if r < '0' || r > '9' {
			return false
		}
		w := 1
		if i%2 == 1 {
			w = 3
		}
		sum += int(r-'0') * w
	}
	return sum%10 == 0
}

// valid asserts what a value of each type must be, without the
// package's own checks.
func valid(t *testing.T, typ value.Type, v any, where string) {
	t.Helper()
	s, _ := v.(string)
	switch typ {
	case value.IBAN:
		assert.True(t, validIBAN(s), "%s: %q is a valid IBAN", where, s)
	case value.BIC:
		assert.Regexp(t, bicRe, s, where)
	case value.Currency:
		_, err := currency.ParseISO(s)
		assert.NoError(t, err, "%s: %q is ISO 4217", where, s)
	case value.CountryCode:
		r, err := language.ParseRegion(s)
		assert.NoError(t, err, "%s: %q is ISO 3166", where, s)
		assert.True(t, r.IsCountry(), "%s: %q is a country", where, s)
	case value.Phone:
		assert.Regexp(t, e164, s, where)
	case value.Email:
		a, err := mail.ParseAddress(s)
		assert.NoError(t, err, where)
		if err == nil {
			assert.Equal(t, s, a.Address, where)
		}
	case value.URL:
		u, err := url.Parse(s)
		assert.NoError(t, err, where)
		if err == nil {
			assert.Contains(t, []string{"http", "https"}, u.Scheme, where)
			assert.Contains(t, u.Host, ".", where)
		}
	case value.DateTime:
		_, err := time.Parse(time.RFC3339, s)
		assert.NoError(t, err, where)
	case value.UUID:
		assert.Regexp(t, uuidRe, s, where)
	case value.BirthDate:
		d, err := time.Parse("2006-01-02", s)
		require.NoError(t, err, where)
		age := value.Epoch.Sub(d).Hours() / 24 / 365.25
		assert.True(t, age >= 18 && age <= 90, "%s: born %s is %.1f years old", where, s, age)
	case value.Seat:
		assert.Regexp(t, seatRe, s, where)
	case value.ISBN:
		assert.True(t, validISBN13(s), "%s: %q is an ISBN-13", where, s)
	case value.Locator:
		assert.Regexp(t, `^[A-Z0-9]{6}$`, s, where)
	}
}

// TestRealFragments: for real property schemas, the inferred type is
// the one the field means, and every drawn value is valid for it (check
// digits, ISO lists, ranges) and matches the schema's pattern and
// lengths.
func TestRealFragments(t *testing.T) {
	data, err := os.ReadFile("testdata/fragments.json")
	require.NoError(t, err)
	var frags []fragment
	require.NoError(t, json.Unmarshal(data, &frags))
	require.NotEmpty(t, frags)
	for _, fr := range frags {
		t.Run(fr.Source+"/"+fr.Name, func(t *testing.T) {
			h := fr.hints()
			typ := value.Infer(h)
			require.Equal(t, fr.Want, string(typ), "inferred type")
			f := gofakeit.New(11)
			distinct := map[any]bool{}
			for i := range 200 {
				v := value.Generate(f, typ, h)
				where := fr.Name + " draw " + string(rune('0'+i%10))
				valid(t, typ, v, where)
				assert.NoError(t, value.Check(typ, v, h), where)
				s := v.(string)
				if h.Pattern != "" {
					assert.Regexp(t, h.Pattern, s, where)
				}
				if h.MaxLength != nil {
					assert.LessOrEqual(t, len([]rune(s)), *h.MaxLength, where)
				}
				if h.MinLength != nil {
					assert.GreaterOrEqual(t, len([]rune(s)), *h.MinLength, where)
				}
				if typ == value.Shape {
					ex := h.Example.(string)
					assert.Len(t, s, len(ex), "%s: %q has the example's length", where, s)
				}
				distinct[v] = true
			}
			assert.Greater(t, len(distinct), 20, "values vary")
		})
	}
}
