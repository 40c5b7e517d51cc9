package taubench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPassHatK(t *testing.T) {
	res := func(task, trial int, reward float64) RunResult {
		return RunResult{TaskID: task, Trial: trial, Reward: reward}
	}
	cases := []struct {
		name    string
		results []RunResult
		want    map[int]float64
	}{
		{"one trial", []RunResult{res(0, 0, 1), res(1, 0, 0)}, map[int]float64{1: 0.5}},
		// Task 0 passes 2 of 3 (C(2,1)/C(3,1) = 2/3, C(2,2)/C(3,2) = 1/3,
		// 0), task 1 all 3 (1, 1, 1).
		{"three trials", []RunResult{
			res(0, 0, 1), res(0, 1, 0), res(0, 2, 1),
			res(1, 0, 1), res(1, 1, 1), res(1, 2, 1),
		}, map[int]float64{1: (2.0/3 + 1) / 2, 2: (1.0/3 + 1) / 2, 3: 0.5}},
		{"partial reward is a failure", []RunResult{res(0, 0, 0.5), res(0, 1, 1)}, map[int]float64{1: 0.5, 2: 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PassHatK(c.results)
			assert.Len(t, got, len(c.want))
			for k, w := range c.want {
				assert.InDelta(t, w, got[k], 1e-9, "pass^%d", k)
			}
		})
	}
}

func TestOutputSaid(t *testing.T) {
	cases := []struct {
		output string
		said   []string
		want   bool
	}{
		{"23553", []string{"You saved $23,553 in total."}, true},
		{"1786", []string{"hello", "The card is charged 1,786 dollars"}, true},
		{"Economy", []string{"moved to ECONOMY"}, true},
		{"327", []string{"32 7"}, false},
		{"1000", nil, false},
		// tau-bench strips commas from the message only.
		{"1,000", []string{"1,000"}, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, OutputSaid(c.output, c.said), "%q in %q", c.output, c.said)
	}
}

func TestFirstPerson(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Your user id is mia_li_3668. You want to fly.", "My user id is mia_li_3668. I want to fly."},
		{"You are calm. Check your card.", "I am calm. Check my card."},
		{"  You're in a hurry!  You do not know", "I'm in a hurry!  I do not know"},
		{"Younger people", "Younger people"},
		{"If there are options, you prefer the cheapest, so you do not care. Tell you", "If there are options, I prefer the cheapest, so I do not care. Tell you"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, FirstPerson(c.in), c.in)
	}
}

func TestTaskByID(t *testing.T) {
	s := &Suite{Tasks: []*Task{{Index: 0}, {Index: 1}}}
	for id, want := range map[string]int{"0": 0, "1": 1, "test-1": 1, "2": -1, "-1": -1, "x": -1, "test-": -1, "": -1} {
		tk, ok := s.Task(id)
		if want < 0 {
			assert.False(t, ok, id)
			continue
		}
		if assert.True(t, ok, id) {
			assert.Equal(t, want, tk.Index, id)
		}
	}
}
