package webqa

import (
	"math"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"The Eiffel Tower":            "eiffel tower",
		"  a  cat,  an Owl! ":         "cat owl",
		"45,200":                      "45200",
		"12 March 1841.":              "12 march 1841",
		"Theatre":                     "theatre",
		"“Quoted” — dash":             "quoted dash",
		"Aldo Veran (novelist)":       "aldo veran novelist",
		"the":                         "",
		"U.S.A.":                      "usa",
		"ÉCOLE   Normale\tSupérieure": "école normale supérieure",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExactMatchAndF1(t *testing.T) {
	golds := []string{"Aldo Veran (novelist)", "Aldo Veran"}
	if !ExactMatch("aldo veran", golds) || !ExactMatch("The Aldo Veran.", golds) {
		t.Error("alias not matched")
	}
	if ExactMatch("Aldo", golds) || ExactMatch("", golds) || ExactMatch("the", []string{"a"}) {
		t.Error("wrong or empty answer matched")
	}
	if f := F1("Aldo Veran", golds); f != 1 {
		t.Errorf("F1 = %v, want 1", f)
	}
	// "aldo" against "aldo veran": precision 1, recall 1/2.
	if f := F1("Aldo", []string{"Aldo Veran"}); math.Abs(f-2.0/3) > 1e-9 {
		t.Errorf("F1 = %v, want 2/3", f)
	}
	if f := F1("the", []string{"the"}); f != 0 {
		t.Errorf("F1 of an empty answer = %v", f)
	}
	if f := F1("x x y", []string{"x y y"}); math.Abs(f-2.0/3) > 1e-9 {
		t.Errorf("F1 with repeats = %v, want 2/3", f)
	}
}

func TestTaskReward(t *testing.T) {
	task := Task{Answer: "12 March 1841", Aliases: []string{"March 12, 1841"}}
	if task.Reward("march 12 1841") != 1 || task.Reward("1841") != 0 {
		t.Error("exact-match reward wrong")
	}
	task.Metric = MetricF1
	if r := task.Reward("1841"); r <= 0 || r >= 1 {
		t.Errorf("F1 reward of a partial answer = %v", r)
	}
}
