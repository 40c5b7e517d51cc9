package index

import "errors"

// Errors that callers test for with errors.Is. Functions wrap them with
// the operation and its subject.
var (
	// ErrIndexExists: Build was asked to write where something already is.
	ErrIndexExists = errors.New("index: path already exists")
	// ErrNotIndex: Open was given a folder that holds no simgym index.
	ErrNotIndex = errors.New("index: not a simgym index")
	// ErrIndexVersion: the index was written by an incompatible version.
	ErrIndexVersion = errors.New("index: unsupported index version")
	// ErrIndexClosed: the Index or Builder was used after Close or Finish.
	ErrIndexClosed = errors.New("index: closed")
	// ErrNotFound: Page found no document for the reference.
	ErrNotFound = errors.New("index: page not found")
	// ErrEmptyQuery: the query has no text.
	ErrEmptyQuery = errors.New("index: empty query")
	// ErrTopK: topK is below 1 or above MaxTopK.
	ErrTopK = errors.New("index: topK out of range")
	// ErrEmptyCorpus: Build was given no usable document.
	ErrEmptyCorpus = errors.New("index: no documents")
)
