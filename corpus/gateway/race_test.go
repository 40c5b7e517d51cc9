//go:build race

package gateway_test

// Under the race detector everything runs several times slower, so the
// scenario's requests get a longer timeout before they count as hung.
func init() { timeoutScale = 10 }
