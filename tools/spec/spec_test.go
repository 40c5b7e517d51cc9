package spec

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/tools"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestReadersGolden reads each hand-written spec under testdata/input with
// the whole pipeline (detection, reader, finalize) and compares the
// normalized tools with testdata/golden.
func TestReadersGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/input/*")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			cat, err := Read(context.Background(), []string{in}, Options{Workers: 1})
			require.NoError(t, err)
			assert.Empty(t, cat.Skipped, "nothing in a good input is skipped")
			require.NotEmpty(t, cat.Tools)
			got, err := json.MarshalIndent(cat.Tools, "", "  ")
			require.NoError(t, err)
			golden := filepath.Join("testdata", "golden", filepath.Base(in)+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test -update to create golden files")
			assert.Equal(t, string(want), string(got)+"\n")
		})
	}
}

func TestFormatsDetectedByContent(t *testing.T) {
	cases := map[string]string{
		"clinic_openapi30.yaml":  FormatOpenAPI3,
		"library_openapi31.json": FormatOpenAPI3,
		"garage_swagger2.yaml":   FormatSwagger2,
		"weather_openai.json":    FormatOpenAI,
		"notes_openai.jsonl":     FormatOpenAI,
		"bfcl_question.json":     FormatBFCL,
		"toolbench_tool.json":    FormatToolBench,
	}
	for file, format := range cases {
		data, err := os.ReadFile(filepath.Join("testdata/input", file))
		require.NoError(t, err)
		// A neutral name: detection must not lean on the extension.
		ts, sk := ReadDocument("doc.bin", data)
		require.Empty(t, sk, file)
		for _, tl := range ts {
			assert.Equal(t, format, tl.Source.Format, file)
		}
	}
}

func TestOpenAPIDetails(t *testing.T) {
	cat, err := Read(context.Background(), []string{"testdata/input/clinic_openapi30.yaml", "testdata/input/library_openapi31.json", "testdata/input/garage_swagger2.yaml"}, Options{})
	require.NoError(t, err)
	byName := map[string]*tools.Tool{}
	for _, tl := range cat.Tools {
		byName[tl.Name] = tl
	}
	// Path-item parameters are inherited and required.
	gp := byName["get_patient"]
	require.NotNil(t, gp)
	assert.Equal(t, []string{"patientId"}, gp.Parameters.Required)
	assert.Equal(t, "path", gp.Parameters.Properties["patientId"].In)
	// A recursive model ends instead of looping.
	require.NotNil(t, gp.Result)
	assert.Equal(t, "object", gp.Result.Properties["guardian"].Type)
	// Headers are transport detail; enums, ranges and defaults survive.
	la := byName["list_appointments"]
	assert.NotContains(t, la.Parameters.Properties, "X-Trace")
	assert.Equal(t, []any{"booked", "cancelled", "done"}, la.Parameters.Properties["status"].Enum)
	assert.Equal(t, 100.0, *la.Parameters.Properties["limit"].Maximum)
	// allOf is merged in results.
	assert.Contains(t, la.Result.Items.Properties, "patient")
	assert.Contains(t, la.Result.Items.Properties, "status")
	// Request-body properties become arguments.
	ba := byName["book_appointment"]
	assert.Equal(t, []string{"patient_id", "starts_at"}, ba.Parameters.Required)
	assert.Equal(t, "date-time", ba.Parameters.Properties["starts_at"].Format)
	assert.Equal(t, "body", ba.Parameters.Properties["notes"].In)
	// 3.1 type arrays become nullable types; const becomes a one-value enum.
	sb := byName["get_books"]
	require.NotNil(t, sb, "an operation without operationId is named from method and path")
	assert.Equal(t, "integer", sb.Parameters.Properties["year"].Type)
	assert.True(t, sb.Parameters.Properties["year"].Nullable)
	assert.Equal(t, []any{"book"}, sb.Result.Items.Properties["kind"].Enum)
	assert.NotNil(t, byName["return_loan"])
	// Swagger 2.0 body parameters are converted.
	ar := byName["add_repair"]
	require.NotNil(t, ar)
	assert.Contains(t, ar.Parameters.Properties, "part")
	assert.Contains(t, ar.Parameters.Required, "plate")
	assert.Equal(t, []string{"healthcare"}, gp.Categories)
}

func TestBFCLTypesMapped(t *testing.T) {
	data, err := os.ReadFile("testdata/input/bfcl_question.json")
	require.NoError(t, err)
	ts, sk := ReadDocument("q.json", data)
	require.Empty(t, sk)
	require.Len(t, ts, 1)
	p := ts[0].Parameters
	assert.Equal(t, "object", p.Type)
	assert.Equal(t, "number", p.Properties["height"].Type)
	assert.Equal(t, "array", p.Properties["corners"].Type)
	assert.Equal(t, "number", p.Properties["corners"].Items.Type)
	assert.Equal(t, "", p.Properties["meta"].Type)
	assert.Equal(t, []string{"base", "height"}, p.Required)
}

func TestUniqueIdentifierNames(t *testing.T) {
	cat, err := Read(context.Background(), []string{"testdata/input"}, Options{})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, tl := range cat.Tools {
		assert.Regexp(t, `^[a-z_][a-z0-9_]*$`, tl.Name)
		assert.False(t, seen[tl.Name], "duplicate name %s", tl.Name)
		seen[tl.Name] = true
	}
	assert.True(t, seen["get_forecast"] && seen["get_forecast_2"], "clashing names get a suffix")
}

func TestBrokenInputsSkippedWithReasons(t *testing.T) {
	want := map[string]string{
		"truncated.json":   "invalid JSON at line 1",
		"bad_version.yaml": `unsupported OpenAPI version "2.5.0" at $.openapi`,
		"no_paths.json":    "$.paths: no operations",
		"unknown.json":     "unrecognised document",
		"binary.bin":       "not UTF-8",
		"empty.json":       "empty document",
		"partly_bad.json":  "#/1",
	}
	cat, err := Read(context.Background(), []string{"testdata/broken"}, Options{})
	require.NoError(t, err, "broken specs never stop a run")
	reasons := map[string][]string{}
	for _, s := range cat.Skipped {
		base := filepath.Base(strings.SplitN(s.File, "#", 2)[0])
		reasons[base] = append(reasons[base], s.Reason)
		assert.Contains(t, s.File, "testdata/broken/", "the reason names the file")
	}
	for file, part := range want {
		assert.Contains(t, strings.Join(reasons[file], " | ")+" "+fileOf(cat, file), part, file)
	}
	// The good function in partly_bad.json is kept; its two bad siblings
	// are skipped with their JSON paths.
	// dangling_ref.json is read after repair: its tool is kept, without
	// the parameter that pointed nowhere, and the repair is reported.
	require.Len(t, cat.Tools, 2)
	assert.Equal(t, "get_a", cat.Tools[0].Name)
	assert.Empty(t, cat.Tools[0].Parameters.Properties)
	assert.Equal(t, "ok", cat.Tools[1].Name)
	require.Len(t, cat.Repaired, 1)
	assert.Contains(t, cat.Repaired[0].File, "dangling_ref.json")
	assert.Contains(t, cat.Repaired[0].Reason, "Missing")
	assert.Len(t, reasons["partly_bad.json"], 2)
	assert.Contains(t, strings.Join(reasons["partly_bad.json"], " "), "/name")
	assert.Contains(t, strings.Join(reasons["partly_bad.json"], " "), "/parameters/properties/x/type")
}

// fileOf returns the skipped File entries naming base, so paths like
// "x.json#/1" can be matched too.
func fileOf(cat *tools.Catalog, base string) string {
	var out []string
	for _, s := range cat.Skipped {
		if strings.Contains(s.File, base) {
			out = append(out, s.File)
		}
	}
	return strings.Join(out, " ")
}

func TestTarGzArchive(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, f := range []string{"weather_openai.json", "garage_swagger2.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata/input", f))
		require.NoError(t, err)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "specs/" + f, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err = tw.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, zw.Close())
	// No .tar.gz in the name: archives are recognised by content.
	path := filepath.Join(t.TempDir(), "bundle.dat")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	cat, err := Read(context.Background(), []string{path}, Options{})
	require.NoError(t, err)
	assert.Equal(t, 2, cat.Specs)
	assert.Len(t, cat.Tools, 3)
	assert.Contains(t, cat.Tools[0].Source.File, "bundle.dat!specs/")

	// A truncated archive keeps what it could read and says why.
	trunc := filepath.Join(t.TempDir(), "cut.tar.gz")
	require.NoError(t, os.WriteFile(trunc, buf.Bytes()[:buf.Len()/2], 0o644))
	cat, err = Read(context.Background(), []string{trunc}, Options{})
	require.NoError(t, err)
	require.NotEmpty(t, cat.Skipped)
	assert.Contains(t, cat.Skipped[len(cat.Skipped)-1].Reason, "archive")
}

func TestMissingPathFails(t *testing.T) {
	_, err := Read(context.Background(), []string{"testdata/nope.json"}, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "testdata/nope.json")
}

func TestRepairMendsCommonBreakage(t *testing.T) {
	doc := `{"openapi":"3.0.0","info":{"title":"x","version":"1"},
	"paths":{"/a/{id}":{"get":{"operationId":"getA",
	  "parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string","pattern":12}}],
	  "responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"#/paths/~1b/get/responses/200/content/application~1json/schema"}}}}}}},
	 "/b":{"get":{"operationId":"getB","responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"type":"object","properties":{"ext":{"$ref":"other.yaml#/X"},"n":{"type":"integer"}}}}}}}}}}}`
	ts, sk, rep := ReadDocumentRepaired("repair.json", []byte(doc))
	require.Empty(t, sk)
	require.Len(t, rep, 1)
	require.Len(t, ts, 2)
	assert.Equal(t, "12", ts[0].Parameters.Properties["id"].Pattern)
	assert.Equal(t, "integer", ts[0].Result.Properties["n"].Type, "a $ref into paths is inlined")
}
