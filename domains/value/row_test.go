package value_test

import (
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/value"
)

func intp(n int) *int { return &n }

// TestInfer: the type follows the strongest evidence, and a name means
// what its entity makes it mean.
func TestInfer(t *testing.T) {
	for _, tc := range []struct {
		h    value.Hints
		want value.Type
	}{
		{value.Hints{Name: "name", Table: "patient"}, value.PersonName},
		{value.Hints{Name: "name", Table: "company"}, value.CompanyName},
		{value.Hints{Name: "name", Table: "product"}, value.ProductName},
		{value.Hints{Name: "name", Table: "hotel"}, value.PlaceName},
		{value.Hints{Name: "name", Table: "city"}, value.City},
		{value.Hints{Name: "beneficiaryName", Table: "transfer"}, value.PersonName},
		{value.Hints{Name: "company_name", Table: "customer"}, value.CompanyName},
		{value.Hints{Name: "contact", Format: "email"}, value.Email},
		{value.Hints{Name: "code", Example: "AB-1234"}, value.Shape},
		{value.Hints{Name: "reference", Example: "DE89370400440532013000"}, value.IBAN},
		{value.Hints{Name: "when", Example: "2025-01-02T10:00:00Z"}, value.DateTime},
		{value.Hints{Name: "status", Enum: []any{"open", "closed"}}, value.Enum},
		{value.Hints{Name: "country", MaxLength: intp(2)}, value.CountryCode},
		{value.Hints{Name: "country"}, value.Country},
		{value.Hints{Name: "age", JSONType: "integer"}, value.Age},
		{value.Hints{Name: "total_price", JSONType: "number"}, value.Money},
		{value.Hints{Name: "seats_total", JSONType: "integer"}, value.Quantity},
		{value.Hints{Name: "check_in", Format: "date"}, value.Date},
		{value.Hints{Name: "dob"}, value.BirthDate},
		{value.Hints{Name: "record_locator"}, value.Locator},
		{value.Hints{Name: "seat_number"}, value.Seat},
		{value.Hints{Name: "isbn"}, value.ISBN},
		{value.Hints{Name: "anything", Description: "The IBAN to pay into"}, value.IBAN},
		{value.Hints{Name: "label", Pattern: `^[0-9]{3}-[a-z]{2}$`}, value.Pattern},
		{value.Hints{Name: "phone", Pattern: `^0[0-9]{9}$`}, value.Pattern},
	} {
		assert.Equal(t, tc.want, value.Infer(tc.h), "%+v", tc.h)
	}
}

func TestShapeOfExample(t *testing.T) {
	h := value.Hints{Name: "code", Example: "AB-1234"}
	f := gofakeit.New(1)
	for range 50 {
		assert.Regexp(t, `^[A-Z]{2}-[0-9]{4}$`, value.Generate(f, value.Shape, h))
	}
}

func field(name, table string, h value.Hints) value.Field {
	h.Name, h.Table = name, table
	return value.Field{Hints: h, Type: value.Infer(h)}
}

// TestRowTies: within a row the email is made from the name, money has
// its currency's decimals, the postcode is the country's, and dates
// come in the order their names say.
func TestRowTies(t *testing.T) {
	num := value.Hints{JSONType: "number"}
	date := value.Hints{Format: "date"}
	dt := value.Hints{Format: "date-time"}
	cases := map[string][]value.Field{
		"person": {field("email", "guest", value.Hints{}), field("first_name", "guest", value.Hints{}), field("last_name", "guest", value.Hints{}),
			field("country", "guest", value.Hints{MaxLength: intp(2)}), field("postcode", "guest", value.Hints{})},
		"money":  {field("amount", "payment", num), field("currency", "payment", value.Hints{Enum: nil}), field("fee", "payment", num)},
		"record": {field("updated_at", "order", dt), field("created_at", "order", dt)},
		"span":   {field("end_date", "lease", date), field("start_date", "lease", date)},
		"stay":   {field("check_out", "booking", date), field("check_in", "booking", date)},
		"flight": {field("arrival_time", "flight", dt), field("departure_time", "flight", dt)},
		"hotel":  {field("departure_date", "stay", date), field("arrival_date", "stay", date)},
		"clock":  {field("end_time", "slot", value.Hints{}), field("start_time", "slot", value.Hints{})},
	}
	for name, fields := range cases {
		t.Run(name, func(t *testing.T) {
			f := gofakeit.New(5)
			for range 300 {
				row := value.Row(f, fields, nil)
				for i, fd := range fields {
					require.NoError(t, value.Check(fd.Type, row[i], fd.Hints), "%s=%v", fd.Hints.Name, row[i])
				}
				require.Empty(t, value.CheckRow(fields, row), "%v", row)
				switch name {
				case "person":
					local := strings.ToLower(row[0].(string))
					assert.Contains(t, local, onlyLetters(row[2].(string)), "email from the last name")
				case "money":
					cur := row[1].(string)
					digits := map[string]int{"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3}[cur]
					if _, odd := map[string]bool{"JPY": true, "KRW": true, "ISK": true, "CLP": true, "VND": true, "KWD": true, "BHD": true, "JOD": true, "OMR": true, "TND": true}[cur]; !odd {
						digits = 2
					}
					p := math.Pow(10, float64(digits))
					for _, v := range []float64{row[0].(float64), row[2].(float64)} {
						assert.Equal(t, math.Round(v*p)/p, v, "%v %s has at most %d decimals", v, cur, digits)
					}
				case "hotel":
					a, _ := time.Parse("2006-01-02", row[1].(string))
					d, _ := time.Parse("2006-01-02", row[0].(string))
					assert.True(t, a.Before(d), "a guest arrives (%s) before departing (%s)", row[1], row[0])
				default:
					later, earlier := row[0].(string), row[1].(string)
					assert.Greater(t, later, earlier, "%s after %s", fields[0].Hints.Name, fields[1].Hints.Name)
				}
			}
		})
	}
}

func onlyLetters(s string) string {
	return regexp.MustCompile(`[^a-z0-9]`).ReplaceAllString(strings.ToLower(s), "")
}

func TestDeterministic(t *testing.T) {
	fields := []value.Field{field("name", "patient", value.Hints{}), field("email", "patient", value.Hints{}), field("iban", "account", value.Hints{})}
	draw := func() [][]any {
		f := gofakeit.New(42)
		var out [][]any
		for range 20 {
			out = append(out, value.Row(f, fields, nil))
		}
		return out
	}
	assert.True(t, reflect.DeepEqual(draw(), draw()), "same seed, same rows")
}

// FuzzInfer: any hints a spec may hold infer a type without panicking,
// and the value drawn for it is a string within the maximum length.
func FuzzInfer(f *testing.F) {
	f.Add("iban", "account", "", `^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`, "DE89370400440532013000", 34)
	f.Add("code", "x", "", `[A-Z]{3}`, "AB-12", 3)
	f.Add("email", "user", "email", "", "a@b.co", 0)
	f.Add("startTime", "slot", "time", "", "", 0)
	f.Fuzz(func(t *testing.T, name, table, format, pattern, example string, maxLen int) {
		h := value.Hints{Name: name, Table: table, Format: format, Pattern: pattern, Example: example}
		if maxLen > 0 && maxLen < 200 {
			h.MaxLength = &maxLen
		}
		typ := value.Infer(h)
		v := value.Generate(gofakeit.New(1), typ, h)
		s, ok := v.(string)
		if !ok {
			t.Fatalf("%s drew %T", typ, v)
		}
		if h.MaxLength != nil && len([]rune(s)) > *h.MaxLength {
			t.Fatalf("%s: %q is longer than %d", typ, s, *h.MaxLength)
		}
	})
}
