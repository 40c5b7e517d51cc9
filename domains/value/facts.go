package value

import "sort"

// Facts about countries and currencies the generators and checks share.
// They are public standards (ISO 3166, ISO 4217, ITU E.164, the IBAN
// registry, national postcode formats), kept to the countries simgym's
// data draws from.

// country is one ISO 3166 country and what its formats are.
type country struct {
	alpha2, alpha3, name string
	// dial is the E.164 country calling code; national the digits that
	// follow it.
	dial     string
	national int
	// iban is the IBAN length, 0 where the country has none; ibanLetters
	// the count of letters that open its BBAN (a bank code such as GB's).
	iban, ibanLetters int
	// postcode is the shape of a postcode (a regular expression without
	// anchors), empty where there is none.
	postcode string
	currency string
}

var countries = []country{
	{"US", "USA", "United States", "1", 10, 0, 0, `[0-9]{5}`, "USD"},
	{"GB", "GBR", "United Kingdom", "44", 10, 22, 4, `[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}`, "GBP"},
	{"DE", "DEU", "Germany", "49", 11, 22, 0, `[0-9]{5}`, "EUR"},
	{"FR", "FRA", "France", "33", 9, 27, 0, `[0-9]{5}`, "EUR"},
	{"ES", "ESP", "Spain", "34", 9, 24, 0, `[0-9]{5}`, "EUR"},
	{"IT", "ITA", "Italy", "39", 10, 27, 1, `[0-9]{5}`, "EUR"},
	{"NL", "NLD", "Netherlands", "31", 9, 18, 4, `[1-9][0-9]{3} [A-Z]{2}`, "EUR"},
	{"BE", "BEL", "Belgium", "32", 9, 16, 0, `[1-9][0-9]{3}`, "EUR"},
	{"AT", "AUT", "Austria", "43", 10, 20, 0, `[1-9][0-9]{3}`, "EUR"},
	{"CH", "CHE", "Switzerland", "41", 9, 21, 0, `[1-9][0-9]{3}`, "CHF"},
	{"IE", "IRL", "Ireland", "353", 9, 22, 4, `[A-Z][0-9]{2} [A-Z0-9]{4}`, "EUR"},
	{"PT", "PRT", "Portugal", "351", 9, 25, 0, `[1-9][0-9]{3}-[0-9]{3}`, "EUR"},
	{"PL", "POL", "Poland", "48", 9, 28, 0, `[0-9]{2}-[0-9]{3}`, "PLN"},
	{"SE", "SWE", "Sweden", "46", 9, 24, 0, `[1-9][0-9]{2} [0-9]{2}`, "SEK"},
	{"NO", "NOR", "Norway", "47", 8, 15, 0, `[0-9]{4}`, "NOK"},
	{"DK", "DNK", "Denmark", "45", 8, 18, 0, `[1-9][0-9]{3}`, "DKK"},
	{"FI", "FIN", "Finland", "358", 9, 18, 0, `[0-9]{5}`, "EUR"},
	{"CZ", "CZE", "Czechia", "420", 9, 24, 0, `[1-7][0-9]{2} [0-9]{2}`, "CZK"},
	{"GR", "GRC", "Greece", "30", 10, 27, 0, `[1-8][0-9]{2} [0-9]{2}`, "EUR"},
	{"HU", "HUN", "Hungary", "36", 9, 28, 0, `[1-9][0-9]{3}`, "HUF"},
	{"LU", "LUX", "Luxembourg", "352", 9, 20, 0, `[0-9]{4}`, "EUR"},
	{"CA", "CAN", "Canada", "1", 10, 0, 0, `[ABCEGHJKLMNPRSTVXY][0-9][A-Z] [0-9][A-Z][0-9]`, "CAD"},
	{"AU", "AUS", "Australia", "61", 9, 0, 0, `[0-9]{4}`, "AUD"},
	{"NZ", "NZL", "New Zealand", "64", 9, 0, 0, `[0-9]{4}`, "NZD"},
	{"JP", "JPN", "Japan", "81", 10, 0, 0, `[0-9]{3}-[0-9]{4}`, "JPY"},
	{"IN", "IND", "India", "91", 10, 0, 0, `[1-9][0-9]{5}`, "INR"},
	{"BR", "BRA", "Brazil", "55", 11, 29, 0, `[0-9]{5}-[0-9]{3}`, "BRL"},
	{"MX", "MEX", "Mexico", "52", 10, 0, 0, `[0-9]{5}`, "MXN"},
	{"SG", "SGP", "Singapore", "65", 8, 0, 0, `[0-9]{6}`, "SGD"},
	{"KR", "KOR", "South Korea", "82", 10, 0, 0, `[0-9]{5}`, "KRW"},
	{"ZA", "ZAF", "South Africa", "27", 9, 0, 0, `[0-9]{4}`, "ZAR"},
	{"TR", "TUR", "Turkey", "90", 10, 26, 0, `[0-9]{5}`, "TRY"},
	{"AE", "ARE", "United Arab Emirates", "971", 9, 23, 0, ``, "AED"},
	{"IL", "ISR", "Israel", "972", 9, 23, 0, `[0-9]{7}`, "ILS"},
	{"CN", "CHN", "China", "86", 11, 0, 0, `[1-9][0-9]{5}`, "CNY"},
}

// currencies maps ISO 4217 codes to their minor-unit digits.
var currencies = map[string]int{
	"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "CHF": 2, "CAD": 2, "AUD": 2, "NZD": 2,
	"CNY": 2, "INR": 2, "BRL": 2, "MXN": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2,
	"CZK": 2, "HUF": 2, "KRW": 0, "SGD": 2, "HKD": 2, "ZAR": 2, "TRY": 2, "AED": 2,
	"ILS": 2, "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3, "ISK": 0, "CLP": 0,
	"VND": 0, "ARS": 2, "THB": 2, "RON": 2, "SAR": 2, "QAR": 2, "EGP": 2, "IDR": 2,
	"MYR": 2, "PHP": 2, "TWD": 2, "COP": 2, "PEN": 2, "UAH": 2, "NGN": 2, "KES": 2,
}

// commonCurrencies are the codes drawn when nothing says which (the
// world's most traded, and a few without two decimals).
var commonCurrencies = []string{"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "SEK", "PLN", "SGD", "KWD"}

// isoCurrencies are the codes of currencies, sorted.
var isoCurrencies = func() []string {
	out := make([]string, 0, len(currencies))
	for c := range currencies {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}()

func countryByCode(code string) *country {
	for i := range countries {
		if countries[i].alpha2 == code || countries[i].alpha3 == code {
			return &countries[i]
		}
	}
	return nil
}

func countryByName(name string) *country {
	for i := range countries {
		if countries[i].name == name {
			return &countries[i]
		}
	}
	return nil
}

// emailDomains are the mail providers generated addresses use.
var emailDomains = []string{"gmail.com", "outlook.com", "yahoo.com", "proton.me", "icloud.com", "mail.com"}
