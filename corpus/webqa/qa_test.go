package webqa

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func readQA(t testing.TB, in string, opts QAOptions) ([]Task, QAStats) {
	t.Helper()
	var tasks []Task
	st, err := ReadQA(context.Background(), strings.NewReader(in), opts, func(task Task) error {
		tasks = append(tasks, task)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tasks, st
}

func TestReadQA(t *testing.T) {
	in := strings.Join([]string{
		`{"id": "test_0", "question": "who got the first nobel prize in physics?", "golden_answers": ["Wilhelm Conrad Röntgen"]}`,
		`{"id": 17, "question": "where was the treaty signed", "golden_answers": ["Osk", "the city of Osk", "Osk"], "data_source": "nq"}`,
		``,
		`{"_id": "5a8b57f25542995d1e6f1371", "question": "Were Scott Derrickson and Ed Wood of the same nationality?", "answer": "yes", "type": "comparison", "level": "hard"}`,
		`{"_id": "5a8c7595554299585d9e36b6", "question": "What government position was held by the woman who portrayed Corliss Archer?", "answer": "Chief of Protocol", "type": "bridge"}`,
		`{"question": "how many?", "answers": [3, "three"]}`,
		`{"question": "target form", "reward_model": {"style": "rule", "ground_truth": {"target": ["A1", "A2"]}}}`,
		`{"question": "no answer here"}`,
		`{"question": "", "answer": "x"}`,
		`{"question": "only articles", "golden_answers": ["the", "a"]}`,
		`not json`,
		`{"question": "trailing CR", "answer": "ok"}` + "\r",
	}, "\n")
	tasks, st := readQA(t, in, QAOptions{})
	if len(tasks) != 7 || st.Tasks != 7 || st.Skipped != 4 {
		t.Fatalf("got %d tasks, stats %+v", len(tasks), st)
	}
	want := []struct {
		id, answer string
		aliases    int
		kinds      string
	}{
		{"qa-test_0", "Wilhelm Conrad Röntgen", 0, "external"},
		{"nq-17", "Osk", 1, "external"},
		{"qa-5a8b57f25542995d1e6f1371", "yes", 0, "comparison,external"},
		{"qa-5a8c7595554299585d9e36b6", "Chief of Protocol", 0, "bridge,external"},
		{"qa-6", "3", 1, "external"},
		{"qa-7", "A1", 1, "external"},
		{"qa-12", "ok", 0, "external"},
	}
	for i, w := range want {
		got := tasks[i]
		if got.ID != w.id || got.Answer != w.answer || len(got.Aliases) != w.aliases || strings.Join(got.Kinds, ",") != w.kinds {
			t.Errorf("task %d = %+v, want %+v", i, got, w)
		}
	}
	if tasks[1].Reward("The city of Osk") != 1 || tasks[0].Reward("Röntgen") != 0 {
		t.Error("rewards of loaded tasks are wrong")
	}
	tasks, _ = readQA(t, in, QAOptions{Source: "hotpotqa", Metric: MetricF1})
	if tasks[0].Source != "hotpotqa" || tasks[0].Reward("Röntgen") == 0 {
		t.Errorf("options not applied: %+v", tasks[0])
	}
}

func TestReadQALongLineAndStop(t *testing.T) {
	long := `{"question": "` + strings.Repeat("x", MaxQALine) + `", "answer": "a1"}`
	tasks, st := readQA(t, long+"\n"+`{"question": "q", "answer": "ok"}`, QAOptions{})
	if len(tasks) != 1 || st.Skipped != 1 || !strings.Contains(st.Skips[0].Reason, "longer") {
		t.Fatalf("long line: %d tasks, %+v", len(tasks), st)
	}
	stop := errors.New("stop")
	_, err := ReadQA(context.Background(), strings.NewReader("{\"question\":\"q\",\"answer\":\"b\"}\n{\"question\":\"q\",\"answer\":\"c\"}"),
		QAOptions{}, func(Task) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("got %v, want the callback's error", err)
	}
}

func FuzzReadQA(f *testing.F) {
	f.Add([]byte(`{"id": "1", "question": "q?", "golden_answers": ["a", "b"]}`))
	f.Add([]byte(`{"_id": 5, "question": "q?", "answer": "yes", "type": "bridge"}` + "\n\n" + `{"question": 3}`))
	f.Add([]byte(`{"question": "q", "answers": [1, null, "x", {"a": 1}]}`))
	f.Add([]byte(`{"question": "q", "reward_model": {"ground_truth": {"target": "t"}}}` + "\r\n"))
	f.Add([]byte("\xff\xfe{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ReadQA(context.Background(), strings.NewReader(string(data)), QAOptions{}, func(task Task) error {
			if strings.TrimSpace(task.Question) == "" || Normalize(task.Answer) == "" || task.ID == "" {
				t.Fatalf("bad task %+v", task)
			}
			if task.Reward(task.Answer) != 1 {
				t.Fatalf("task %+v does not accept its own answer", task)
			}
			for _, a := range task.Aliases {
				if task.Reward(a) != 1 {
					t.Fatalf("task %+v does not accept its alias %q", task, a)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Tasks < 0 || st.Skipped < 0 || len(st.Skips) > MaxQASkips {
			t.Fatalf("stats %+v", st)
		}
	})
}
