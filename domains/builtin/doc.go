// Package builtin is simgym's embedded default world: the domains
// generated from the hand-written API catalog in catalog/, checked in so
// that `go run ./cmd/simgym serve` works on a fresh machine with no input.
// Importing the package registers them (see world.go).
package builtin
