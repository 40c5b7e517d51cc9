package task_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/simgym/simgym/domains/task"
)

var (
	xTheX      = regexp.MustCompile(`\b(\w+) the (\w+) (whose|with)\b`)
	rawField   = regexp.MustCompile(`\b(the|its) \w+_\w+\b`)
	camelField = regexp.MustCompile(`\b(the|its) [a-z]+[A-Z]\w*\b`)
)

// assertWording checks an instruction reads as a person's request.
func assertWording(t *testing.T, tk *task.Task) {
	t.Helper()
	in := tk.Instruction
	// Stated values may hold anything; check the template around them.
	skel := tk.Skeleton
	assert.NotContains(t, skel, "_", "underscore: %s", in)
	assert.NotContains(t, skel, "{\"", "JSON: %s", in)
	assert.False(t, rawField.MatchString(skel) || camelField.MatchString(skel), "raw field name: %s", in)
	if m := xTheX.FindStringSubmatch(skel); m != nil {
		assert.NotEqual(t, m[1], m[2], "X the X: %s", in)
	}
	for _, s := range splitSentences(skel) {
		low := strings.ToLower(s)
		if strings.HasPrefix(low, "what ") || strings.HasPrefix(low, "how many") || strings.HasPrefix(low, "could you") || strings.HasPrefix(low, "can you") {
			assert.True(t, strings.HasSuffix(s, "?"), "question without ?: %q in %s", s, in)
		}
	}
}

func splitSentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' || s[i] == '?' || s[i] == '!' {
			if i+1 == len(s) || s[i+1] == ' ' {
				out = append(out, strings.TrimSpace(s[start:i+1]))
				start = i + 1
			}
		}
	}
	return out
}
