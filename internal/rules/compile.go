package rules

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/scrmhq/scrm/internal/apperr"
	"github.com/scrmhq/scrm/internal/fields"
)

// Limits of a condition.
const (
	// MaxLength is the longest condition in bytes (the column's limit).
	MaxLength = 4000
	// MaxCost bounds the work of one evaluation (CEL's runtime cost units);
	// an evaluation that would exceed it fails, and so does not match.
	MaxCost = 100_000
	// MaxEventDays is the longest window of eventCount.
	MaxEventDays = 365
)

const (
	eventCountFunc     = "eventCount"
	eventCountOverload = "eventCount_string_int"
)

// eventName is what internal/events accepts as an event name.
var eventName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.:-]{0,99}$`)

// Program is a compiled condition. It is immutable and safe for concurrent use.
type Program struct {
	expr  string
	prg   cel.Program
	needs Needs
	attrs []string // custom fields read, sorted
}

// Needs are the facts a program reads beyond the lead row: its event counts.
// Merge the needs of every program evaluated on a batch and pass them to
// LoadFacts once.
type Needs struct {
	// Events are sorted by name, then days, without duplicates.
	Events []EventWindow
}

// EventWindow is one eventCount(name, days) a program calls.
type EventWindow struct {
	Name string
	Days int
}

// Merge returns the needs of n and o together.
func (n Needs) Merge(o Needs) Needs {
	ev := slices.Concat(n.Events, o.Events)
	slices.SortFunc(ev, func(a, b EventWindow) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.Days, b.Days))
	})
	return Needs{Events: slices.Compact(ev)}
}

// Expr is the source of the condition.
func (p *Program) Expr() string { return p.expr }

// Needs returns the event counts p reads.
func (p *Program) Needs() Needs { return p.needs }

// Attributes returns the keys of the custom fields p reads, sorted.
func (p *Program) Attributes() []string { return p.attrs }

// attributesRead lists the x of every attributes.x in a, sorted, once each.
func attributesRead(a *celast.AST) []string {
	var keys []string
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if x.Kind() != celast.SelectKind {
			return
		}
		sel := x.AsSelect()
		if op := sel.Operand(); op.Kind() == celast.IdentKind && op.AsIdent() == "attributes" {
			keys = append(keys, sel.FieldName())
		}
	}))
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Compile checks expr and returns its program. Every problem is an
// apperr.Input at field whose message starts with line:column ("1:12: ...")
// and names what is wrong; several problems are joined with "; ".
// Programs are cached per environment, so compiling the same rule for each
// batch is cheap.
func (e *Env) Compile(field, expr string) (*Program, error) {
	e.mu.Lock()
	p, ok := e.programs[expr]
	e.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := e.compile(field, expr)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.programs) >= maxPrograms {
		e.programs = map[string]*Program{}
	}
	e.programs[expr] = p
	e.mu.Unlock()
	return p, nil
}

// problem is one compile error at a position.
type problem struct {
	line, col int // 1-based
	msg       string
}

func inputError(field string, ps []problem) error {
	slices.SortStableFunc(ps, func(a, b problem) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
	})
	parts := make([]string, 0, len(ps))
	for i, p := range ps {
		if i == 5 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ps)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%d:%d: %s", p.line, p.col, p.msg))
	}
	return apperr.Input(field, "%s", strings.Join(parts, "; "))
}

func issueProblems(iss *cel.Issues) []problem {
	var ps []problem
	for _, e := range iss.Errors() {
		line, col := e.Location.Line(), e.Location.Column()+1
		if line < 1 {
			line, col = 1, 1
		}
		ps = append(ps, problem{line: line, col: col, msg: e.Message})
	}
	return ps
}

func (e *Env) compile(field, expr string) (*Program, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, apperr.Input(field, "the condition is empty")
	}
	if len(expr) > MaxLength {
		return nil, apperr.Input(field, "the condition is %d bytes long; the limit is %d", len(expr), MaxLength)
	}
	parsed, iss := e.cel.Parse(expr)
	if iss.Err() != nil {
		return nil, inputError(field, issueProblems(iss))
	}
	// Names first: an unknown custom field deserves a clearer message than
	// the checker's "undefined field".
	if ps := e.checkNames(parsed.NativeRep()); len(ps) > 0 {
		return nil, inputError(field, ps)
	}
	e.widenNumberLiterals(parsed.NativeRep())
	checked, iss := e.cel.Check(parsed)
	if iss.Err() != nil {
		return nil, inputError(field, issueProblems(iss))
	}
	native := checked.NativeRep()
	needs, ps := eventNeeds(native, []rune(expr))
	if len(ps) > 0 {
		return nil, inputError(field, ps)
	}
	if out := checked.OutputType(); !out.IsExactType(types.BoolType) {
		return nil, inputError(field, []problem{{line: 1, col: 1,
			msg: fmt.Sprintf("a condition must be true or false (bool), not %s", out)}})
	}
	prg, err := e.cel.Program(checked,
		cel.CostLimit(MaxCost),
		cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, apperr.Wrap(err, apperr.BadInput, field, "the condition cannot be evaluated: "+err.Error())
	}
	return &Program{expr: expr, prg: prg, needs: needs, attrs: attributesRead(native)}, nil
}

// start is the line and column of the first character of x. CEL places a
// select at its dot and a call at its parenthesis, so this takes the
// leftmost of x and its descendants, and a global call's name.
func start(a *celast.AST, src []rune, x celast.Expr) (int, int) {
	info := a.SourceInfo()
	best := int32(-1)
	celast.PreOrderVisit(x, celast.NewExprVisitor(func(d celast.Expr) {
		r, ok := info.GetOffsetRange(d.ID())
		if !ok {
			return
		}
		off := r.Start
		if d.Kind() == celast.CallKind && !d.AsCall().IsMemberFunction() {
			name := []rune(d.AsCall().FunctionName())
			n := int32(len(name))
			if off >= n && int(off) <= len(src) && string(src[off-n:off]) == string(name) {
				off -= n
			}
		}
		if best < 0 || off < best {
			best = off
		}
	}))
	if best < 0 {
		return location(a, x.ID())
	}
	loc := info.GetLocationByOffset(best)
	return loc.Line(), loc.Column() + 1
}

func location(a *celast.AST, id int64) (int, int) {
	loc := a.SourceInfo().GetStartLocation(id)
	line, col := loc.Line(), loc.Column()+1
	if line < 1 {
		return 1, 1
	}
	return line, col
}

// checkNames finds lead.x and attributes.x with an unknown x, and, for
// scoring, reads of lead.score and lead.tier.
func (e *Env) checkNames(a *celast.AST) []problem {
	var ps []problem
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if x.Kind() != celast.SelectKind {
			return
		}
		sel := x.AsSelect()
		op := sel.Operand()
		if op.Kind() != celast.IdentKind {
			return
		}
		name := sel.FieldName()
		line, col := location(a, op.ID())
		switch op.AsIdent() {
		case "attributes":
			if _, ok := e.fields[name]; !ok {
				ps = append(ps, problem{line, col, fmt.Sprintf("attributes.%s: no custom field %q", name, name)})
			}
		case "lead":
			if _, ok := leadMembers[name]; !ok {
				ps = append(ps, problem{line, col, fmt.Sprintf("lead.%s: leads have no field %q", name, name)})
			} else if e.purpose == Scoring && (name == "score" || name == "tier") {
				ps = append(ps, problem{line, col, fmt.Sprintf("lead.%s: a scoring condition cannot use lead.%s", name, name)})
			}
		}
	}))
	return ps
}

// widenNumberLiterals turns integer literals compared for equality with a
// NUMBER or MONEY field into doubles: CEL orders numbers of different types
// (attributes.budget > 1000) but its checker refuses double == int, and
// attributes.budget == 1000 should mean what it says.
func (e *Env) widenNumberLiterals(a *celast.AST) {
	fac := celast.NewExprFactory()
	isNumber := func(x celast.Expr) bool {
		if x.Kind() != celast.SelectKind || x.AsSelect().IsTestOnly() {
			return false
		}
		op := x.AsSelect().Operand()
		if op.Kind() != celast.IdentKind || op.AsIdent() != "attributes" {
			return false
		}
		d, _ := fields.Describe(e.fields[x.AsSelect().FieldName()])
		return d.CEL == fields.CELDouble
	}
	widen := func(x celast.Expr) {
		if x.Kind() != celast.LiteralKind {
			return
		}
		switch v := x.AsLiteral().(type) {
		case types.Int:
			x.SetKindCase(fac.NewLiteral(x.ID(), types.Double(v)))
		case types.Uint:
			x.SetKindCase(fac.NewLiteral(x.ID(), types.Double(v)))
		}
	}
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if x.Kind() != celast.CallKind {
			return
		}
		call := x.AsCall()
		args := call.Args()
		if len(args) != 2 || call.IsMemberFunction() {
			return
		}
		switch call.FunctionName() {
		case operators.Equals, operators.NotEquals:
			if isNumber(args[0]) {
				widen(args[1])
			}
			if isNumber(args[1]) {
				widen(args[0])
			}
		case operators.In:
			if isNumber(args[0]) && args[1].Kind() == celast.ListKind {
				for _, el := range args[1].AsList().Elements() {
					widen(el)
				}
			}
		}
	}))
}

// eventNeeds collects the eventCount calls, whose arguments must be
// literals so a batch's counts are known before evaluation.
func eventNeeds(a *celast.AST, src []rune) (Needs, []problem) {
	var needs Needs
	var ps []problem
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(x celast.Expr) {
		if x.Kind() != celast.CallKind || x.AsCall().FunctionName() != eventCountFunc {
			return
		}
		call := x.AsCall()
		line, col := start(a, src, x)
		args := call.Args()
		if call.IsMemberFunction() || len(args) != 2 {
			ps = append(ps, problem{line, col, `eventCount takes two arguments: eventCount("name", days)`})
			return
		}
		name, nameOK := literal[types.String](args[0])
		days, daysOK := literal[types.Int](args[1])
		switch {
		case !nameOK:
			l, c := start(a, src, args[0])
			ps = append(ps, problem{l, c, `eventCount: the event name must be a string literal, e.g. eventCount("page_view", 7)`})
		case !eventName.MatchString(string(name)):
			l, c := start(a, src, args[0])
			ps = append(ps, problem{l, c, fmt.Sprintf("eventCount: %q is not an event name", string(name))})
		case !daysOK:
			l, c := start(a, src, args[1])
			ps = append(ps, problem{l, c, `eventCount: the number of days must be an integer literal, e.g. eventCount("page_view", 7)`})
		case days < 1 || days > MaxEventDays:
			l, c := start(a, src, args[1])
			ps = append(ps, problem{l, c, fmt.Sprintf("eventCount: days must be between 1 and %d, not %d", MaxEventDays, int64(days))})
		default:
			needs.Events = append(needs.Events, EventWindow{Name: string(name), Days: int(days)})
		}
	}))
	return needs.Merge(Needs{}), ps
}

func literal[T ref.Val](x celast.Expr) (T, bool) {
	var zero T
	if x.Kind() != celast.LiteralKind {
		return zero, false
	}
	v, ok := x.AsLiteral().(T)
	return v, ok
}

// Match reports whether f satisfies the condition. An evaluation that fails
// (reading an absent attribute or timestamp, a missing event count, a
// runtime error such as overflow, the cost limit) does not match.
func (p *Program) Match(f *Facts) bool {
	ok, err := p.Eval(f)
	return err == nil && ok
}

// ErrNoMatch wraps the reason an evaluation failed.
var ErrNoMatch = errors.New("condition could not be evaluated")

// Eval evaluates the condition on f and returns the error that Match treats
// as "does not match" (wrapping ErrNoMatch), for explanations and tests.
func (p *Program) Eval(f *Facts) (bool, error) {
	if f == nil {
		return false, fmt.Errorf("%w: no facts", ErrNoMatch)
	}
	out, _, err := p.prg.Eval(&activation{f: f})
	if err != nil {
		return false, fmt.Errorf("%w: %v", ErrNoMatch, err)
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("%w: result is %s", ErrNoMatch, out.Type())
	}
	return bool(b), nil
}

// activation serves one lead's facts to an evaluation, and eventCount.
type activation struct{ f *Facts }

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case "lead":
		return a.f, true
	case "attributes":
		return attrValues(a.f.Attributes), true
	case "tags":
		return nonNil(a.f.Tags), true
	case "now":
		return a.f.Now, true
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

func (a *activation) ResolveFunction(name string) (functions.LateBoundOp, bool) {
	if name != eventCountFunc {
		return nil, false
	}
	return a.eventCount, true
}

func (a *activation) eventCount(_ string, args ...ref.Val) ref.Val {
	if len(args) != 2 {
		return types.NewErr("eventCount: want 2 arguments")
	}
	name, ok1 := args[0].(types.String)
	days, ok2 := args[1].(types.Int)
	if !ok1 || !ok2 {
		return types.NewErr("eventCount: bad arguments")
	}
	n, ok := a.f.Events[EventWindow{Name: string(name), Days: int(days)}]
	if !ok {
		return types.NewErr("eventCount(%q, %d) was not loaded", string(name), int64(days))
	}
	return types.Int(n)
}
