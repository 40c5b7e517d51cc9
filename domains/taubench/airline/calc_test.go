package airline

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluate(t *testing.T) {
	for expr, want := range map[string]string{
		"2 * ((350 - 122) + (499 - 127))": "1200.0", // recorded by tau-bench
		"430 + 412 - (136 + 109)":         "597.0",
		"(65 + 83) * 2":                   "296.0",
		"2 + 2":                           "4.0",
		"1 / 3":                           "0.33",
		"2.675 * 1":                       "2.67", // round() sees the binary value 2.67499...
		"-2 ** 2":                         "-4.0",
		"2 ** -1":                         "0.5",
		"2 ** 3 ** 2":                     "512.0",
		"7 // 2":                          "3.0",
		"-7 // 2":                         "-4.0",
		"10 - 2 - 3":                      "5.0",
		"+(.5 + 1.)":                      "1.5",
		" 3*4/2 ":                         "6.0",
		"-0.001":                          "-0.0",
	} {
		v, err := evaluate(expr)
		require.NoError(t, err, expr)
		assert.Equal(t, want, pyFloat(v), expr)
	}
	for expr, want := range map[string]error{
		"2 + x":      errCalcChars,
		"import os":  errCalcChars,
		"1 / 0":      errCalcZero,
		"1 // (2-2)": errCalcZero,
		"(1 + 2":     errCalcSyntax,
		"1 2":        errCalcSyntax,
		"":           errCalcSyntax,
		"1..2":       errCalcSyntax,
		"*3":         errCalcSyntax,
	} {
		_, err := evaluate(expr)
		assert.ErrorIs(t, err, want, expr)
	}
}

// FuzzEvaluate checks that no expression crashes the calculator.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{"2 * (3 + 4)", "1/0", "((((", "-2**-2**.5", "9" + string(make([]byte, 10))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		_, _ = evaluate(expr)
	})
}
