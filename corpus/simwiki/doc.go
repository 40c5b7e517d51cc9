// Package simwiki generates SimWiki: a fictional, internally consistent
// encyclopedia and the web-research tasks that go with it, for training
// and evaluating search agents on knowledge no model has seen.
//
// New draws a world from a seed: countries, cities, universities,
// companies, people, books, films, albums, products, festivals, treaties,
// expeditions, awards, rivers and mountains, with dated and numeric
// attributes and relations between them. Names are made from syllables,
// so the world is free of contamination. Entities are generated in
// dependency order, each fact drawn among the choices that keep it
// consistent with the facts already made (a company is founded after its
// founder comes of age and before they die, in a city that already
// exists; a film adapts an older book; a mountain's first ascent is its
// earliest expedition), and World.Check verifies all of it. The world is
// held compactly in memory (about 85 bytes an entity), so that a world of
// a million articles takes well under a gigabyte.
//
// Articles are rendered on demand, one at a time (World.Documents), as
// corpus.Document: a lead, an infobox whose facts are also lines "Key:
// value" of the text, sections with headings, links and categories, in
// sentence forms that vary from article to article. Articles list the
// entities that refer to them (people born in a city, works of an
// author), and decade articles list births, foundings and works, so an
// entity is mentioned on many pages besides its own.
//
// A World is a webqa.Graph: webqa.Sample draws SailorFog-QA style tasks
// from it (World.Tasks), and webqa.Triples exports its facts as triples.
// Write puts it all in a folder: the Bleve index (corpus/index), the
// tasks, and a manifest. The same seed gives the same world, articles and
// tasks, byte for byte.
package simwiki
