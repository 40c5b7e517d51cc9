package runner

import (
	"bytes"
	"testing"
)

// FuzzLog: reading a damaged episode log never panics, and the offset it
// keeps is the end of a whole line within the data.
func FuzzLog(f *testing.F) {
	f.Add([]byte(`{"toolset":"e","tools":[{"type":"function","function":{"name":"f","description":"","parameters":{}}}]}` + "\n" +
		`{"env":"e","task":"t","trial":0,"policy":"p","reward":1,"success":true}` + "\n" + `{"env":"e","ta`))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte(`{"toolset":"e","tools":7}` + "\n"))
	f.Add([]byte(`not json` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, off, _, err := readResults(bytes.NewReader(data), "log")
		if err != nil {
			return
		}
		if off < 0 || off > int64(len(data)) || (off > 0 && data[off-1] != '\n') {
			t.Fatalf("offset %d of %d", off, len(data))
		}
		for _, r := range rs {
			_ = r.Key()
		}
	})
}
