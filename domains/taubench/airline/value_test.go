package airline

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		1200:        "1200.0",
		597:         "597.0",
		0.1:         "0.1",
		2.5:         "2.5",
		-3:          "-3.0",
		1e16:        "1e+16",
		1.5e16:      "1.5e+16",
		1e15:        "1000000000000000.0",
		0.0001:      "0.0001",
		0.00001:     "1e-05",
		1.25e-7:     "1.25e-07",
		123.456:     "123.456",
		1e22:        "1e+22",
		math.Inf(1): "inf",
	} {
		assert.Equal(t, want, pyFloat(f), "%v", f)
	}
	assert.Equal(t, "-0.0", pyFloat(math.Copysign(0, -1)))
}

func TestNumPythonArithmetic(t *testing.T) {
	a, err := parseNum("250")
	require.NoError(t, err)
	b, err := parseNum("5.0")
	require.NoError(t, err)
	assert.Equal(t, "255", a.add(intNum(5)).String(), "int + int stays int")
	assert.Equal(t, "255.0", a.add(b).String(), "int + float is float")
	assert.Equal(t, "-250", a.neg().String())
	assert.Equal(t, 0, a.cmp(num{f: 250, float: true}))
	assert.Equal(t, -1, b.cmp(a))
	assert.True(t, a.sub(a).isZero())
	_, err = parseNum("99999999999999999999")
	assert.Error(t, err)
}

func TestDecodeKeepsOrderAndNumbers(t *testing.T) {
	in := `{"b": 1, "a": [1.0, "x\u00e9\ud83d\ude00", null, true, false, {}], "c": {"z": -2, "y": 3e2}}`
	v, err := decodeValue([]byte(in))
	require.NoError(t, err)
	o := v.(*object)
	assert.Equal(t, []string{"b", "a", "c"}, o.keys)
	assert.Equal(t, `{"b":1,"a":[1.0,"x\u00e9\ud83d\ude00",null,true,false,{}],"c":{"z":-2,"y":300.0}}`, string(encodeValue(o)))
	o.set("b", intNum(2))
	o.set("d", "new")
	o.del("a")
	assert.Equal(t, []string{"b", "c", "d"}, o.keys)
	// A repeated key keeps its first place and its last value, as in Python.
	v, err = decodeValue([]byte(`{"k": 1, "j": 2, "k": 3}`))
	require.NoError(t, err)
	assert.Equal(t, `{"k":3,"j":2}`, string(encodeValue(v)))
	for _, bad := range []string{``, `{`, `{"a" 1}`, `[1,]`, `01`, `"\x"`, `{"a":1} x`, `tru`, `"a` + "\n" + `"`} {
		_, err := decodeValue([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
}

func TestRepr(t *testing.T) {
	v, err := decodeValue([]byte(`{"b": [1], "a": {"x": "it's", "y": "say \"hi\"", "z": "both ' \""}, "c": [], "d": null, "e": 1.5, "f": true}`))
	require.NoError(t, err)
	var b bytes.Buffer
	writeRepr(&b, v)
	assert.Equal(t, `(('a', (('x', "it's"), ('y', 'say "hi"'), ('z', 'both \' "'))), ('b', (1,)), ('c', ()), ('d', None), ('e', 1.5), ('f', True))`, b.String())
	b.Reset()
	writePyString(&b, "tab\there\nnl\\ \x01 é \u00a0")
	assert.Equal(t, `'tab\there\nnl\\ \x01 é \xa0'`, b.String())
}

// FuzzDecodeValue checks the record and argument parser against
// encoding/json: it accepts what is valid JSON, its values agree, and
// what it writes reads back the same.
func FuzzDecodeValue(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5, "x"], "b": {"c": null}}`, `[]`, `"\u00e9"`, `-0.0`, `1e400`, `{"a":1,"a":2}`, `[[[[]]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decodeValue(data)
		var std any
		stdErr := json.Unmarshal(data, &std)
		if err != nil {
			return // stricter is fine (numbers out of range, deep nesting)
		}
		if stdErr != nil {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		out := encodeValue(v)
		var back any
		if err := json.Unmarshal(out, &back); err != nil {
			if bytes.Contains(out, []byte("Infinity")) || bytes.Contains(out, []byte("NaN")) {
				return // Python writes these too
			}
			t.Fatalf("wrote invalid JSON %q from %q: %v", out, data, err)
		}
		v2, err := decodeValue(out)
		if err != nil || !bytes.Equal(encodeValue(v2), out) {
			t.Fatalf("round trip of %q: %q, %v", data, out, err)
		}
		if !reflect.DeepEqual(normalizeJSON(std), normalizeJSON(back)) {
			t.Fatalf("%q: read %v, encoding/json %v", data, back, std)
		}
	})
}

// normalizeJSON makes values from encoding/json comparable after a
// round trip (duplicate keys aside, which both resolve to the last).
func normalizeJSON(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}
