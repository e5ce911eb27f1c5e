package rules_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scrmhq/scrm/internal/fields"
	"github.com/scrmhq/scrm/internal/rules"
)

func TestNeedsMerge(t *testing.T) {
	t.Parallel()
	a := rules.Needs{Events: []rules.EventWindow{{Name: "paid", Days: 30}, {Name: "page_view", Days: 7}}}
	b := rules.Needs{Events: []rules.EventWindow{{Name: "page_view", Days: 7}, {Name: "page_view", Days: 1}}}
	got := fmt.Sprint(a.Merge(b).Events)
	if want := "[{page_view 1} {page_view 7} {paid 30}]"; got != want {
		t.Fatalf("merge = %s, want %s", got, want)
	}
	if len(a.Events) != 2 || a.Events[0].Name != "paid" {
		t.Fatalf("merge changed its receiver: %v", a.Events)
	}
}

// Facts built by hand (other engines, previews) may hold Go values.
func TestHandBuiltFacts(t *testing.T) {
	t.Parallel()
	env, err := rules.EnvFor(rules.Assignment, []rules.Field{
		{Key: "budget", Type: fields.TypeMoney}, {Key: "since", Type: fields.TypeDateTime},
		{Key: "langs", Type: fields.TypeMultiSelect}, {Key: "n", Type: fields.TypeNumber},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &rules.Facts{
		ID: uuid.New(), Now: now, Tags: []string{"vip"},
		Attributes: map[string]any{"budget": 100, "since": now.Add(-time.Hour), "langs": []string{"zh"}, "n": int64(3)},
	}
	for _, expr := range []string{
		`attributes.budget == 100 && attributes.n == 3`,
		`now - attributes.since == duration("1h")`,
		`attributes.langs == ["zh"] && tags == ["vip"]`,
		`lead.claimedAt < now || true`, // || absorbs the error of its other side
	} {
		p, err := env.Compile("c", expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if ok, err := p.Eval(f); !ok || err != nil {
			t.Errorf("%s: %v %v", expr, ok, err)
		}
	}
}

func TestEnvsAreSharedByFieldSet(t *testing.T) {
	t.Parallel()
	fs := []rules.Field{{Key: "a", Type: fields.TypeText}, {Key: "b", Type: fields.TypeNumber}}
	e1, _ := rules.EnvFor(rules.Scoring, fs)
	e2, _ := rules.EnvFor(rules.Scoring, []rules.Field{fs[1], fs[0]})
	e3, _ := rules.EnvFor(rules.Assignment, fs)
	e4, _ := rules.EnvFor(rules.Scoring, []rules.Field{{Key: "a", Type: fields.TypeText}, {Key: "b", Type: fields.TypeText}})
	if e1 != e2 || e1 == e3 || e1 == e4 {
		t.Fatalf("env sharing: same=%v purpose=%v types=%v", e1 == e2, e1 != e3, e1 != e4)
	}
	if _, err := rules.EnvFor(rules.Purpose(0), fs); err == nil {
		t.Fatal("unknown purpose accepted")
	}
}

func TestRuntimeLimitsAndErrors(t *testing.T) {
	t.Parallel()
	env, err := rules.EnvFor(rules.Assignment, nil)
	if err != nil {
		t.Fatal(err)
	}
	tags := make([]string, 200)
	for i := range tags {
		tags[i] = fmt.Sprint(i)
	}
	f := &rules.Facts{ID: uuid.New(), Name: "张三", Now: now, Tags: tags}
	for _, expr := range []string{
		`tags.all(a, tags.all(b, tags.all(c, a + b + c != "")))`, // 8M steps: over the cost limit
		`lead.score / 0 == 1`,
		`9223372036854775807 + lead.score + 1 > 0`,
		`lead == lead`,
	} {
		p, err := env.Compile("c", expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		ok, err := p.Eval(f)
		if ok || !errors.Is(err, rules.ErrNoMatch) || p.Match(f) {
			t.Errorf("%s: %v %v, want no match with an error", expr, ok, err)
		}
		if err != nil && strings.Contains(err.Error(), "张三") {
			t.Errorf("%s: error shows the lead's data: %v", expr, err)
		}
	}
	if p, _ := env.Compile("c", "true"); p.Match(nil) {
		t.Error("nil facts matched")
	}
}

func TestConcurrentCompileAndMatch(t *testing.T) {
	t.Parallel()
	fs := []rules.Field{{Key: "n", Type: fields.TypeNumber}}
	done := make(chan bool)
	for g := range 8 {
		go func() {
			ok := true
			for i := range 50 {
				env, err := rules.EnvFor(rules.Scoring, fs)
				if err != nil {
					ok = false
					break
				}
				p, err := env.Compile("c", fmt.Sprintf("attributes.n > %d", i%5))
				if err != nil {
					ok = false
					break
				}
				f := &rules.Facts{Attributes: map[string]any{"n": float64(g)}}
				ok = ok && p.Match(f) == (g > i%5)
			}
			done <- ok
		}()
	}
	for range 8 {
		if !<-done {
			t.Fatal("a goroutine saw a wrong result")
		}
	}
}
