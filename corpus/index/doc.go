// Package index builds and serves simgym's offline Wikipedia index: a
// Bleve index of corpus.Document for page search, one of their ~100-word
// passages for passage retrieval (POST /retrieve), and one of redirects for
// page lookups by alternative titles.
//
// Build (or a Builder, for sources that push documents through a
// callback) writes an index folder in one pass over the documents, with
// bounded memory, analysing on every core; Open serves it read-only.
// Queries are analysed with bleve's English analyser, the title is boosted
// over the text, and scores are bleve's BM25 (not its TF-IDF default), so
// results are comparable with Pyserini's BM25. Results are ordered by
// score, then ID, and cached in a bounded LRU cache whose counters are
// Prometheus metrics.
//
// An index folder holds:
//
//	simgym-index.json  the manifest: format, version, counts
//	documents/         Bleve index of documents: title, text, URL
//	passages/          Bleve index of passages: title, text, document ID
//	redirects/         Bleve index of redirects (only if there are any)
package index
