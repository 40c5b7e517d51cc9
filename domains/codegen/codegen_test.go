package codegen_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/simgym/simgym/domains/codegen"
	"github.com/simgym/simgym/domains/schema"
	"github.com/simgym/simgym/tools"
	"github.com/simgym/simgym/tools/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/<case>/out")

// goldenDir is the folder of a case holding the expected files.
const goldenDir = "out"

// loadCase reads a testdata/<case> folder into a request: each spec file
// in it (OpenAPI, OpenAI tools, ...) is one domain named after the file.
func loadCase(t *testing.T, dir string) codegen.Request {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	cat := &tools.Catalog{}
	fileOf := map[*tools.Tool]string{}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), "README") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		ts, skipped := spec.ReadDocument(e.Name(), data)
		require.Empty(t, skipped, "input %s reads cleanly", e.Name())
		for _, tl := range ts {
			fileOf[tl] = e.Name()
		}
		cat.Tools = append(cat.Tools, ts...)
	}
	require.NotEmpty(t, cat.Tools, "case %s has an input spec", dir)
	// Names are unique across the whole world, as in the pipeline.
	cat.Finalize()
	byFile := map[string][]*tools.Tool{}
	for _, tl := range cat.Tools {
		byFile[fileOf[tl]] = append(byFile[fileOf[tl]], tl)
	}
	name := filepath.Base(dir)
	req := codegen.Request{ImportPath: "example.com/" + name, Source: "testdata/" + name}
	for file, ts := range byFile {
		req.Domains = append(req.Domains, codegen.Domain{Name: strings.TrimSuffix(file, filepath.Ext(file)), Tools: ts})
	}
	return req
}

func caseDirs(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob("testdata/*")
	require.NoError(t, err)
	var out []string
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			out = append(out, d)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// TestGolden generates every testdata/<case> and compares the files with
// testdata/<case>/out. Adding a case is adding a folder with spec files;
// go test -update writes its expected output.
func TestGolden(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			resp, err := codegen.Generate(context.Background(), loadCase(t, dir))
			require.NoError(t, err)
			out := filepath.Join(dir, goldenDir)
			if *update {
				require.NoError(t, os.RemoveAll(out))
				for _, f := range resp.Files {
					p := filepath.Join(out, filepath.FromSlash(f.Path))
					require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
					require.NoError(t, os.WriteFile(p, f.Content, 0o644))
				}
			}
			want := map[string]bool{}
			for _, f := range resp.Files {
				p := filepath.Join(out, filepath.FromSlash(f.Path))
				want[p] = true
				golden, err := os.ReadFile(p)
				if !assert.NoError(t, err, "missing golden file; run go test -update") {
					continue
				}
				sameText(t, string(golden), string(f.Content), p)
			}
			err = filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && !want[p] {
					t.Errorf("golden file %s is no longer generated; run go test -update", p)
				}
				return err
			})
			require.NoError(t, err)
		})
	}
}

// sameText fails with the first differing lines of a golden file and the
// output, rather than both texts whole.
func sameText(t *testing.T, want, got, file string) {
	t.Helper()
	if want == got {
		return
	}
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	i := 0
	for i < len(wl) && i < len(gl) && wl[i] == gl[i] {
		i++
	}
	show := func(lines []string) string {
		lo, hi := max(0, i-3), min(len(lines), i+4)
		return strings.Join(lines[lo:hi], "\n")
	}
	t.Errorf("%s differs from the output at line %d (run go test -update and review the diff)\n--- golden:\n%s\n--- output:\n%s",
		file, i+1, show(wl), show(gl))
}

// TestOutputWellFormed checks every generated file: Go files are gofmt'd,
// parse, carry the generated-code header and their source; schema.sql
// runs in SQLite and every SQL constant of tools.go prepares against it;
// model.json is the inferred model.
func TestOutputWellFormed(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			req := loadCase(t, dir)
			resp, err := codegen.Generate(context.Background(), req)
			require.NoError(t, err)
			files := map[string][]byte{}
			paths := make([]string, len(resp.Files))
			for i, f := range resp.Files {
				files[f.Path] = f.Content
				paths[i] = f.Path
			}
			assert.True(t, sort.StringsAreSorted(paths), "files are sorted by path")
			assert.Equal(t, 3*len(req.Domains)+1, len(resp.Files), "tools.go, schema.sql, model.json per domain, and world.go")
			require.Contains(t, files, "world.go")
			tables, ops := 0, 0
			for _, f := range resp.Files {
				switch {
				case strings.HasSuffix(f.Path, ".go"):
					checkGoFile(t, f, req.Source)
				case strings.HasSuffix(f.Path, "/schema.sql"):
					assert.True(t, strings.HasPrefix(string(f.Content), "-- Code generated by simgym. DO NOT EDIT.\n"), "%s header", f.Path)
				case strings.HasSuffix(f.Path, "/model.json"):
					var m schema.Model
					require.NoError(t, json.Unmarshal(f.Content, &m), f.Path)
					tables += len(m.Tables)
					ops += len(m.Ops)
					pkg := strings.TrimSuffix(f.Path, "/model.json")
					assert.Equal(t, m.DDL(), string(files[pkg+"/schema.sql"]), "schema.sql renders model.json")
					checkSQL(t, string(files[pkg+"/schema.sql"]), files[pkg+"/tools.go"], pkg)
				default:
					t.Errorf("unexpected file %s", f.Path)
				}
			}
			assert.Equal(t, tables, resp.Tables)
			assert.Equal(t, ops, resp.Tools)
			n := 0
			for _, d := range req.Domains {
				n += len(d.Tools)
			}
			assert.Equal(t, n, resp.Tools, "one op per tool")
		})
	}
}

func checkGoFile(t *testing.T, f codegen.File, source string) {
	t.Helper()
	src := string(f.Content)
	assert.True(t, strings.HasPrefix(src, codegen.Header+"\n"), "%s starts with the generated-code header", f.Path)
	assert.Contains(t, src, "\n// source: "+source+"\n", "%s names its source", f.Path)
	formatted, err := format.Source(f.Content)
	require.NoError(t, err, "%s parses", f.Path)
	assert.Equal(t, src, string(formatted), "%s is gofmt'd", f.Path)
	// go/ast's notion of generated code (what tools that skip
	// generated files rely on).
	file, err := parser.ParseFile(token.NewFileSet(), f.Path, f.Content, parser.ParseComments)
	require.NoError(t, err)
	assert.True(t, ast.IsGenerated(file), "%s is recognised as generated", f.Path)
}

// checkSQL loads schema.sql in SQLite and prepares every string constant
// of tools.go ending in "SQL", so a generated query naming a column or
// table that does not exist fails here rather than at call time.
func checkSQL(t *testing.T, ddl string, code []byte, pkg string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:codegen-"+strings.ReplaceAll(t.Name(), "/", "-")+"-"+pkg+"?mode=memory")
	require.NoError(t, err)
	defer db.Close()
	db.SetMaxOpenConns(1)
	_, err = db.Exec(ddl)
	require.NoError(t, err, "%s/schema.sql runs", pkg)
	file, err := parser.ParseFile(token.NewFileSet(), pkg+"/tools.go", code, 0)
	require.NoError(t, err)
	n := 0
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING || !strings.HasSuffix(name.Name, "SQL") {
					continue
				}
				q, err := strconv.Unquote(lit.Value)
				require.NoError(t, err)
				stmt, err := db.Prepare(q)
				if assert.NoError(t, err, "%s.%s prepares: %s", pkg, name.Name, q) {
					stmt.Close()
				}
				n++
			}
		}
	}
	assert.Positive(t, n, "%s has SQL constants", pkg)
}

// TestDeterministic generates each case twice, and once more from
// shuffled inputs: the files are byte-identical.
func TestDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			first, err := codegen.Generate(context.Background(), loadCase(t, dir))
			require.NoError(t, err)
			for i := range 3 {
				req := loadCase(t, dir)
				if i > 0 {
					r.Shuffle(len(req.Domains), func(a, b int) { req.Domains[a], req.Domains[b] = req.Domains[b], req.Domains[a] })
					for _, d := range req.Domains {
						r.Shuffle(len(d.Tools), func(a, b int) { d.Tools[a], d.Tools[b] = d.Tools[b], d.Tools[a] })
					}
				}
				again, err := codegen.Generate(context.Background(), req)
				require.NoError(t, err)
				require.Equal(t, len(first.Files), len(again.Files))
				for j := range first.Files {
					assert.Equal(t, first.Files[j].Path, again.Files[j].Path)
					assert.True(t, bytes.Equal(first.Files[j].Content, again.Files[j].Content), "run %d: %s differs", i, first.Files[j].Path)
				}
			}
		})
	}
}

func TestPackageNames(t *testing.T) {
	req := loadCase(t, "testdata/two_domains")
	resp, err := codegen.Generate(context.Background(), req)
	require.NoError(t, err)
	var dirs []string
	for _, f := range resp.Files {
		if strings.HasSuffix(f.Path, "/tools.go") {
			dirs = append(dirs, strings.TrimSuffix(f.Path, "/tools.go"))
			pkg := "package " + strings.TrimSuffix(f.Path, "/tools.go") + "\n"
			assert.Contains(t, string(f.Content), pkg, "the package is named after its folder")
		}
	}
	// "shop-a" and "shop_a" both want shopa; "json" would shadow
	// encoding/json in the generated code.
	assert.Equal(t, []string{"jsondomain", "shopa", "shopa2"}, dirs)
	world := string(resp.Files[len(resp.Files)-1].Content)
	for _, d := range dirs {
		assert.Contains(t, world, `_ "example.com/two_domains/`+d+`"`)
	}
	assert.Contains(t, world, "package two_domains\n")
}

func TestGoName(t *testing.T) {
	for in, want := range map[string]string{
		"get_pet_by_id": "GetPetByID",
		"getPetById":    "GetPetByID",
		"user_url":      "UserURL",
		"HTTPServer":    "HTTPServer",
		"sku_code":      "SKUCode",
		"e-mail":        "EMail",
		"a,b":           "AB",
		"2fa_code":      "N2FaCode",
		"":              "X",
		"ÅÉÎ":           "X",
	} {
		assert.Equal(t, want, codegen.GoName(in), "GoName(%q)", in)
	}
}

func TestGenerateErrors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := loadCase(t, "testdata/garage")
	_, err := codegen.Generate(ctx, req)
	assert.ErrorIs(t, err, context.Canceled)

	// A model naming a tool the domain lacks is an error naming both.
	d := req.Domains[0]
	m := schema.Infer(d.Name, d.Tools, schema.Options{})
	m.Ops = append(m.Ops, &schema.Op{Tool: "no_such_tool", Kind: schema.Get, Table: m.Tables[0].Name})
	_, err = codegen.Generate(context.Background(), codegen.Request{ImportPath: "x/y", Domains: []codegen.Domain{{Name: d.Name, Tools: d.Tools, Model: m}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no_such_tool")
	assert.Contains(t, err.Error(), d.Name)
}

func TestGivenModelAndRows(t *testing.T) {
	d := loadCase(t, "testdata/garage").Domains[0]
	resp, err := codegen.Generate(context.Background(), codegen.Request{ImportPath: "x/world", Rows: 7, Domains: []codegen.Domain{{Name: d.Name, Tools: d.Tools, Description: "Cars and their repairs."}}})
	require.NoError(t, err)
	var m schema.Model
	require.NoError(t, json.Unmarshal(resp.Files[0].Content, &m))
	for _, tb := range m.Tables {
		assert.Equal(t, 7, tb.Rows, "Request.Rows reaches the model")
	}
	assert.Contains(t, string(resp.Files[2].Content), `Description: "Cars and their repairs.",`)
	assert.Contains(t, string(resp.Files[3].Content), "package world\n", "the package defaults to the import path's last element")

	// A given model is used as is.
	given := schema.Infer(d.Name, d.Tools, schema.Options{Rows: 2})
	given.Tables[0].Rows = 11
	resp, err = codegen.Generate(context.Background(), codegen.Request{ImportPath: "x/world", Package: "pkgname", Domains: []codegen.Domain{{Name: d.Name, Tools: d.Tools, Model: given}}})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(resp.Files[0].Content, &m))
	assert.Equal(t, 11, m.Tables[0].Rows)
	assert.Contains(t, string(resp.Files[3].Content), "package pkgname\n")
}

func TestFromDomainFile(t *testing.T) {
	req := loadCase(t, "testdata/two_domains")
	f := &tools.DomainFile{Version: tools.DomainsVersion}
	for _, d := range req.Domains {
		dom := tools.Domain{Name: d.Name, Keywords: []string{"item", d.Name}}
		for _, tl := range d.Tools {
			dom.Tools = append(dom.Tools, tl.Name)
			f.Tools = append(f.Tools, tl)
		}
		f.Domains = append(f.Domains, dom)
	}
	got := codegen.FromDomainFile(f, "example.com/w", "specs/", 9)
	assert.Equal(t, "example.com/w", got.ImportPath)
	assert.Equal(t, "specs/", got.Source)
	assert.Equal(t, 9, got.Rows)
	require.Len(t, got.Domains, len(req.Domains))
	for i, d := range got.Domains {
		assert.Equal(t, req.Domains[i].Name, d.Name)
		assert.Equal(t, "tools about item, "+d.Name+".", d.Description)
		assert.Equal(t, req.Domains[i].Tools, d.Tools)
	}
}

func TestWorldPackageName(t *testing.T) {
	d := loadCase(t, "testdata/garage").Domains[0]
	for path, want := range map[string]string{
		"example.com/world":        "world",
		"example.com/my_world":     "my_world",
		"example.com/my-world":     "my_world",
		"example.com/2024.worlds":  "n2024_worlds",
		"example.com/type":         "world",
		"example.com/v2/Generated": "Generated",
	} {
		resp, err := codegen.Generate(context.Background(), codegen.Request{ImportPath: path, Domains: []codegen.Domain{d}})
		require.NoError(t, err, path)
		world := resp.Files[len(resp.Files)-1]
		require.Equal(t, "world.go", world.Path)
		assert.Contains(t, string(world.Content), "\npackage "+want+"\n", path)
		assert.Contains(t, string(world.Content), `_ "`+path+`/garage"`)
	}
}
