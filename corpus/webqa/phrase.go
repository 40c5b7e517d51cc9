package webqa

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// constraint restricts an entity by one of its values: a range of years,
// dates or numbers (inclusive), or a text.
type constraint struct {
	pred   int
	lo, hi int64
	text   string
	// phrase is the value as the question gives it: "in the early
	// 1870s", "between 40,000 and 50,000".
	phrase string
	fuzzy  bool
	vtype  ValueType
	// level orders constraints from vague to exact, for tightening.
	level int
}

// holds reports whether v satisfies c.
func (c *constraint) holds(v Value) bool {
	if v.Type == TypeText {
		return v.Text == c.text
	}
	return v.Num >= c.lo && v.Num <= c.hi
}

// Fuzz levels: how precisely a constraint gives its value.
const (
	levelVague = iota // a decade, a bracket of numbers
	levelClose        // part of a decade, "about"
	levelExact        // the value itself
)

// makeConstraint gives value v of predicate pred at a precision of about
// level (it may be more precise when the value allows no vaguer form).
func makeConstraint(r *rand.Rand, pred int, v Value, level int) constraint {
	c := constraint{pred: pred, lo: v.Num, hi: v.Num, level: levelExact, vtype: v.Type}
	switch v.Type {
	case TypeText:
		c.text, c.phrase = v.Text, v.Text
		return c
	case TypeYear, TypeDate:
		return yearConstraint(r, c, v, level)
	case TypeNumber:
		return numberConstraint(r, c, v, level)
	}
	return c
}

// dateRange turns a range of years into one of Num values of v's type.
func dateRange(v Value, y0, y1 int) (int64, int64) {
	if v.Type == TypeDate {
		return int64(y0) * 10000, int64(y1)*10000 + 9999
	}
	return int64(y0), int64(y1)
}

func yearConstraint(r *rand.Rand, c constraint, v Value, level int) constraint {
	y := v.Year()
	decade := y - y%10
	ds := strconv.Itoa(decade) + "s"
	switch level {
	case levelVague:
		c.fuzzy, c.level = true, levelVague
		switch r.IntN(3) {
		case 0:
			c.phrase = "in the " + ds
			c.lo, c.hi = dateRange(v, decade, decade+9)
		case 1:
			a := y - r.IntN(6)
			b := a + 5 + r.IntN(4)
			c.phrase = "between " + strconv.Itoa(a) + " and " + strconv.Itoa(b)
			c.lo, c.hi = dateRange(v, a, b)
		default:
			part, a, b := decadePart(y)
			c.phrase = "in the " + part + ds
			c.lo, c.hi = dateRange(v, a, b)
		}
		return c
	case levelClose:
		c.fuzzy, c.level = true, levelClose
		if v.Type == TypeDate && r.IntN(2) == 0 {
			m := int(v.Num / 100 % 100)
			c.phrase = "in " + MonthName(m) + " " + strconv.Itoa(y)
			c.lo, c.hi = int64(y*10000+m*100), int64(y*10000+m*100+99)
			return c
		}
		if v.Type == TypeDate {
			c.phrase = "in " + strconv.Itoa(y)
			c.lo, c.hi = dateRange(v, y, y)
			return c
		}
		a := y - r.IntN(3)
		c.phrase = "between " + strconv.Itoa(a) + " and " + strconv.Itoa(a+2)
		c.lo, c.hi = dateRange(v, a, a+2)
		return c
	}
	if v.Type == TypeDate {
		c.phrase = "on " + v.String()
	} else {
		c.phrase = "in " + v.String()
	}
	return c
}

// decadePart places year y in its decade: early (0-3), mid (4-6) or
// late (7-9), with the bounds of that part.
func decadePart(y int) (string, int, int) {
	d := y - y%10
	switch {
	case y%10 <= 3:
		return "early ", d, d + 3
	case y%10 <= 6:
		return "mid-", d + 4, d + 6
	}
	return "late ", d + 7, d + 9
}

func numberConstraint(r *rand.Rand, c constraint, v Value, level int) constraint {
	n := v.Num
	if n < 20 || level == levelExact {
		c.phrase = v.String()
		return c
	}
	mag := int64(math.Pow(10, math.Floor(math.Log10(float64(n)))))
	switch level {
	case levelVague:
		c.fuzzy, c.level = true, levelVague
		if r.IntN(4) == 0 {
			lo := n / mag * mag
			c.phrase = "more than " + FormatNumber(lo)
			if lo == n {
				lo--
				c.phrase = "more than " + FormatNumber(lo)
			}
			c.lo, c.hi = lo+1, math.MaxInt64
			return c
		}
		lo := n / mag * mag
		c.phrase = "between " + FormatNumber(lo) + " and " + FormatNumber(lo+mag)
		c.lo, c.hi = lo, lo+mag
		return c
	}
	c.fuzzy, c.level = true, levelClose
	step := max(1, mag/10)
	if mag < 100 {
		step = mag / 2
	}
	about := (n + step/2) / step * step
	c.phrase = "about " + FormatNumber(about)
	c.lo, c.hi = about-step/2, about+step/2-1+step%2
	if c.lo > n || c.hi < n { // cannot happen with rounding to the nearest step
		c.lo, c.hi = n, n
	}
	return c
}
