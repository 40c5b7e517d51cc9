package task_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/simgym/simgym/domains/task"
)

func TestRewriteKeepsOnlyFaithfulParaphrases(t *testing.T) {
	mk := func() *task.Task {
		return &task.Task{ID: "x", Instruction: "Please cancel the transfer with payment reference Rent May.", Facts: []string{"Rent May"}}
	}
	cases := []struct {
		name string
		p    task.Paraphraser
		want task.RewriteCounts
		text string
	}{
		{"keeps the facts", func(context.Context, string) (string, error) {
			return "Hi, could you cancel my Rent May transfer?", nil
		}, task.RewriteCounts{Kept: 1}, "Hi, could you cancel my Rent May transfer?"},
		{"drops a fact", func(context.Context, string) (string, error) {
			return "Cancel my rent transfer.", nil
		}, task.RewriteCounts{Refused: 1}, "Please cancel the transfer with payment reference Rent May."},
		{"fails", func(context.Context, string) (string, error) {
			return "", errors.New("boom")
		}, task.RewriteCounts{Failed: 1}, "Please cancel the transfer with payment reference Rent May."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tk := mk()
			rc, err := task.Rewrite(context.Background(), []*task.Task{tk}, c.p)
			require.NoError(t, err)
			assert.Equal(t, c.want, rc)
			assert.Equal(t, c.text, strings.TrimSpace(tk.Instruction))
		})
	}
}
