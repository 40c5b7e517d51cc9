package simwiki_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/simgym/simgym/corpus/simwiki"
)

// Write makes what `simgym corpus simwiki` makes: an index, tasks and a
// manifest.
func ExampleWrite() {
	tmp, err := os.MkdirTemp("", "simwiki-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	sum, err := simwiki.Write(context.Background(), filepath.Join(tmp, "out"), simwiki.Options{Articles: 500, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Articles, sum.Entities, sum.Tasks)
	// Output: 500 500 50
}

// A world's first article.
func ExampleWorld_Document() {
	w, err := simwiki.New(simwiki.Options{Articles: 200, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	d := w.Document(0)
	fmt.Println(d.ID, d.Facts[0].Key)
	// Output: e0 Capital
}
