package schema

import (
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Lifecycle inference: an entity whose tools are actions (approve,
// cancel, refund, ...) gets a state machine over its status column. Each
// action's from-states come, in order of trust, from its documented
// failures ("Only pending transfers can be approved"), its description
// ("Approves a pending transfer"), or what its verb means over the
// states' order (a confirm applies to states listed before "confirmed").

// terminalWords name states an entity usually does not leave.
var terminalWords = wordSet("cancelled", "canceled", "refunded", "closed", "completed", "complete", "deleted",
	"rejected", "expired", "void", "voided", "archived", "returned", "checked_out", "finished", "done", "failed",
	"declined", "lost", "removed", "terminated", "ended", "dismissed", "revoked", "retired")

// reverseOf maps verbs that undo another verb to the verb they undo: a
// reopen applies to what a close left.
var reverseOf = map[string][]string{
	"reopen": {"close"}, "unarchive": {"archive"}, "unfreeze": {"freeze"}, "unblock": {"block"},
	"resume": {"pause", "suspend"}, "unlock": {"lock"}, "unpublish": {"publish"}, "restart": {"stop"},
}

// forwardVerbs move an entity along its states in the order the spec
// lists them: they apply to the states before their target.
var forwardVerbs = wordSet("confirm", "approve", "reject", "decline", "accept", "check_in", "check_out",
	"complete", "ship", "deliver", "finalize", "publish", "verify", "resolve", "start", "return", "release")

// participles are past participles that do not follow the -ed rule.
var participles = map[string]string{"cancel": "cancelled", "ship": "shipped", "stop": "stopped", "freeze": "frozen",
	"unfreeze": "unfrozen", "pay": "paid", "void": "voided", "send": "sent", "begin": "begun"}

// Done turns an action verb into what an agent reads: "check_in" gives
// "checked in".
func Done(action string) string {
	words := strings.Split(action, "_")
	w := words[0]
	switch {
	case participles[w] != "":
		w = participles[w]
	case strings.HasSuffix(w, "e"):
		w += "d"
	case strings.HasSuffix(w, "y") && len(w) > 2 && !strings.ContainsAny(w[len(w)-2:len(w)-1], "aeiou"):
		w = w[:len(w)-1] + "ied"
	default:
		w += "ed"
	}
	return strings.Join(append([]string{w}, words[1:]...), " ")
}

// negation marks a sentence that names states an action does not apply
// to ("a booking that is not checked in").
var negation = regexp.MustCompile(`\b(cannot|can't|not|never|no longer|unless|already|except)\b`)

var onlyWord = regexp.MustCompile(`\bonly\b`)

var sentenceEnd = regexp.MustCompile(`[.;!?]\s+|[.;!?]$|\n`)

// phrase is how a state reads in prose: "checked_in" is "checked in".
func phrase(state string) string {
	return strings.Join(strings.FieldsFunc(strings.ToLower(state), func(r rune) bool {
		return r == '_' || r == '-' || r == ' '
	}), " ")
}

// mentions finds the states text names, split by whether the sentence
// naming them allows (named) or excludes (excluded) them. In a tool's
// failure descriptions only a sentence with "only" allows; any other
// mention is a state the tool fails in.
func mentions(text string, states []string, failures bool) (named, excluded []string) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	norm := strings.NewReplacer("_", " ", "-", " ").Replace(strings.ToLower(text))
	pats := make([]*regexp.Regexp, len(states))
	for i, s := range states {
		if p := phrase(s); p != "" && strings.Contains(norm, p) {
			pats[i] = regexp.MustCompile(`\b` + regexp.QuoteMeta(p) + `\b`)
		}
	}
	for _, sentence := range sentenceEnd.Split(norm, -1) {
		if strings.TrimSpace(sentence) == "" {
			continue
		}
		allow := !negation.MatchString(sentence)
		if failures {
			allow = onlyWord.MatchString(sentence)
		}
		for i, s := range states {
			if pats[i] == nil || !pats[i].MatchString(sentence) {
				continue
			}
			if allow {
				named = appendNew(named, s)
			} else {
				excluded = appendNew(excluded, s)
			}
		}
	}
	return named, excluded
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// action is one state-changing op of a table, with its tool's text.
type action struct {
	op    *Op
	verb  string
	to    string
	desc  string
	fails string
	// guardOnly marks an update that changes no state but is named for
	// the state it needs ("modify_pending_order_address").
	guardOnly bool
}

// stateAdjectives are words that, in a tool's name, name the state the
// tool needs: "cancel_pending_order", "return_delivered_order_items".
var stateAdjectives = wordSet("pending", "active", "open", "draft", "new", "unpaid", "paid", "scheduled",
	"delivered", "shipped", "confirmed", "completed", "approved", "submitted", "processing", "booked",
	"reserved", "checked", "available", "inactive", "suspended", "closed", "cancelled", "canceled", "expired")

// nameStates finds the states a tool's name says it needs: the state
// words between its verb and its entity's noun.
func nameStates(tool, table string) []string {
	words := strings.Split(tool, "_")
	noun := strings.Split(table, "_")[0]
	var out []string
	for _, w := range words[1:] {
		if w == noun || Singular(w) == noun {
			break
		}
		if stateAdjectives[w] {
			out = append(out, w)
		}
	}
	return out
}

// inferLifecycles gives each table whose actions write its status column
// a Lifecycle.
func inferLifecycles(m *Model, shapes []*shape) {
	byTable := map[string][]*action{}
	for i, s := range shapes {
		op := m.Ops[i]
		if s.action == "" || len(op.Sets) == 0 {
			continue
		}
		to, ok := op.Sets[0].Value.(string)
		if !ok {
			continue
		}
		var fails []string
		for _, e := range s.tool.Errors {
			if strings.HasPrefix(e.Status, "4") && e.Status != "401" && e.Status != "403" {
				fails = append(fails, e.Description)
			}
		}
		byTable[op.Table] = append(byTable[op.Table], &action{op: op, verb: s.action, to: to,
			desc: s.tool.Description, fails: strings.Join(fails, ". ")})
	}
	for i, s := range shapes {
		op := m.Ops[i]
		if op.Kind == Update && len(op.Sets) == 0 && len(nameStates(op.Tool, op.Table)) > 0 && len(byTable[op.Table]) > 0 {
			verb := strings.SplitN(op.Tool, "_", 2)[0]
			byTable[op.Table] = append(byTable[op.Table], &action{op: op, verb: verb, desc: s.tool.Description, guardOnly: true})
		}
	}
	for _, t := range m.Tables {
		acts := byTable[t.Name]
		if len(acts) == 0 {
			continue
		}
		// Actions of one table write one status column; keep those of the
		// column most of them write.
		count := map[string]int{}
		for _, a := range acts {
			if !a.guardOnly {
				count[a.op.Sets[0].Column]++
			}
		}
		col := ""
		for c, n := range count {
			if col == "" || n > count[col] || n == count[col] && c < col {
				col = c
			}
		}
		c := t.Column(col)
		if c == nil {
			continue
		}
		acts = slices.DeleteFunc(acts, func(a *action) bool { return !a.guardOnly && a.op.Sets[0].Column != col })
		t.Lifecycle = lifecycle(c, acts)
		if t.Lifecycle == nil {
			continue
		}
		// A new entity starts in the initial state, unless its create
		// tool takes the state as an argument.
		for _, op := range m.Ops {
			if op.Kind != Create || op.Table != t.Name || slices.ContainsFunc(op.Args, func(a *Arg) bool { return a.Column == col }) ||
				slices.ContainsFunc(op.Sets, func(s *Set) bool { return s.Column == col }) {
				continue
			}
			op.Sets = append(op.Sets, &Set{Column: col, Value: t.Lifecycle.Initial})
		}
	}
}

// lifecycle builds the state machine of one status column from the
// actions that write it.
func lifecycle(c *Column, acts []*action) *Lifecycle {
	var states []string
	for _, e := range c.Enum {
		if s, ok := e.(string); ok {
			states = appendNew(states, s)
		}
	}
	if len(states) == 0 {
		// No closed set: the states are those the tools' names need and
		// where the actions lead, after a first state none of them does;
		// seeding draws from them (the column stays open: data may hold
		// other values).
		targets := map[string]bool{}
		for _, a := range acts {
			targets[a.to] = true
		}
		if !targets["pending"] {
			states = append(states, "pending")
		}
		for _, a := range acts {
			for _, n := range nameStates(a.op.Tool, a.op.Table) {
				states = appendNew(states, n)
			}
		}
	}
	for _, a := range acts {
		if !a.guardOnly {
			states = appendNew(states, a.to)
		}
	}
	final := map[string]bool{}
	for _, s := range states {
		final[s] = terminalWords[strings.ToLower(s)]
	}
	index := func(s string) int { return slices.Index(states, s) }
	l := &Lifecycle{Column: c.Name, States: states}
	targets := map[string]bool{}
	for _, a := range acts {
		if !a.guardOnly {
			targets[a.to] = true
		}
		tr := &Transition{Tool: a.op.Tool, To: a.to, Done: Done(a.verb)}
		fnamed, fexcl := mentions(a.fails, states, true)
		dnamed, dexcl := mentions(a.desc, states, false)
		without := func(list []string) []string {
			return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == a.to })
		}
		fnamed, dnamed = without(fnamed), without(dnamed)
		var nnamed []string
		for _, n := range nameStates(a.op.Tool, a.op.Table) {
			if slices.Contains(states, n) && n != a.to {
				nnamed = append(nnamed, n)
			}
		}
		switch {
		case len(fnamed) > 0:
			tr.From, tr.Evidence = fnamed, "errors"
		case len(nnamed) > 0:
			tr.From, tr.Evidence = nnamed, "name"
		case len(dnamed) > 0:
			tr.From, tr.Evidence = dnamed, "description"
		case a.guardOnly:
			continue
		default:
			tr.From, tr.Evidence = byVerb(a.verb, a.to, states, final), "verb"
			if len(fexcl)+len(dexcl) > 0 {
				tr.From = slices.DeleteFunc(tr.From, func(s string) bool {
					return slices.Contains(fexcl, s) || slices.Contains(dexcl, s)
				})
			}
		}
		sort.Slice(tr.From, func(i, j int) bool { return index(tr.From[i]) < index(tr.From[j]) })
		if len(tr.From) == 0 {
			// Nothing the spec or the verb allows: leave the tool free
			// rather than refuse every call.
			continue
		}
		l.Transitions = append(l.Transitions, tr)
	}
	if len(l.Transitions) == 0 {
		return nil
	}
	sort.Slice(l.Transitions, func(i, j int) bool { return l.Transitions[i].Tool < l.Transitions[j].Tool })
	left := map[string]bool{}
	for _, tr := range l.Transitions {
		for _, f := range tr.From {
			left[f] = true
		}
	}
	for _, s := range states {
		if final[s] && !left[s] {
			l.Terminal = append(l.Terminal, s)
		}
	}
	for _, s := range states {
		if !targets[s] && !slices.Contains(l.Terminal, s) {
			l.Initial = s
			break
		}
	}
	if l.Initial == "" {
		l.Initial = states[0]
	}
	return l
}

// byVerb is the states an action applies to when the spec does not say:
// an undo applies to what its opposite left, a forward step to the live
// states listed before its target, a refund to the states after the
// first (a paid or cancelled entity), anything else (cancel, close,
// activate, ...) to every live state but its target.
func byVerb(verb, to string, states []string, final map[string]bool) []string {
	var out []string
	if opp := reverseOf[verb]; len(opp) > 0 {
		for _, o := range opp {
			want := actionStates[o]
			for _, s := range states {
				if strings.EqualFold(s, want) || strings.HasPrefix(strings.ToLower(s), strings.TrimSuffix(o, "e")) {
					out = appendNew(out, s)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	at := slices.Index(states, to)
	switch {
	case verb == "refund":
		for i, s := range states {
			if i > 0 && i < at {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			return out
		}
	case forwardVerbs[verb]:
		for i, s := range states {
			if i < at && !final[s] {
				out = append(out, s)
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	for _, s := range states {
		if s != to && !final[s] {
			out = append(out, s)
		}
	}
	return out
}

// ownedBy reports, per child table, the parent tables it nests under in
// the tools' paths (/patients/{id}/appointments).
func ownedBy(shapes []*shape) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, s := range shapes {
		if s.parent == "" {
			continue
		}
		if out[s.entity] == nil {
			out[s.entity] = map[string]bool{}
		}
		out[s.entity][s.parent] = true
	}
	return out
}

// Phrases in a delete tool's text that say what happens to the rows
// referencing the deleted one, when they name those rows.
var (
	restrictWords = regexp.MustCompile(`\b(cannot|can't|must not|while|still|in use|referenced|only if|unless|must have no|without)\b`)
	cascadeWords  = regexp.MustCompile(`\b(also|along with|together with|and all|and its|cascade|cascades|with all)\b`)
	setNullWords  = regexp.MustCompile(`\b(unassign|unassigned|unlink|unlinked|detach|detached|null|no longer linked|kept)\b`)
)

// inferReferences chooses, for every reference column, what deleting the
// referenced row does: what a delete tool of the referenced table says,
// else cascade for owned children, restrict when the tools always set
// the reference, set null when they may leave it out.
func inferReferences(m *Model, shapes []*shape) {
	owned := ownedBy(shapes)
	deleteText := map[string]string{}
	required := map[string]map[string]bool{} // table -> column -> always set by its creates
	for i, s := range shapes {
		op := m.Ops[i]
		switch op.Kind {
		case Delete:
			text := s.tool.Description
			for _, e := range s.tool.Errors {
				text += ". " + e.Description
			}
			deleteText[op.Table] += strings.ToLower(text) + ". "
		case Create:
			if required[op.Table] == nil {
				required[op.Table] = map[string]bool{}
			}
			for _, a := range op.Args {
				if a.Column != "" && a.Role != RoleIgnored && slices.Contains(s.tool.Parameters.Required, a.Name) {
					required[op.Table][a.Column] = true
				}
			}
		}
	}
	for _, child := range m.Tables {
		for _, c := range child.Columns {
			if c.Ref == "" || c.PK {
				continue
			}
			parent := m.Table(c.Ref)
			if parent == nil {
				continue
			}
			ref := &Reference{Table: child.Name, Column: c.Name}
			switch {
			case specRule(deleteText[parent.Name], child.Name) != "":
				ref.OnDelete, ref.Why = specRule(deleteText[parent.Name], child.Name), "spec"
			case owned[child.Name][parent.Name]:
				ref.OnDelete, ref.Why = Cascade, "owned"
			case required[child.Name][c.Name]:
				ref.OnDelete, ref.Why = Restrict, "required"
			default:
				ref.OnDelete, ref.Why = SetNull, "optional"
			}
			parent.Referrers = append(parent.Referrers, ref)
		}
	}
	for _, t := range m.Tables {
		sort.Slice(t.Referrers, func(i, j int) bool {
			a, b := t.Referrers[i], t.Referrers[j]
			if a.Table != b.Table {
				return a.Table < b.Table
			}
			return a.Column < b.Column
		})
	}
}

// specRule reads what a delete tool's text says of the rows of child:
// the rule of a sentence that names them, or "".
func specRule(text, child string) OnDelete {
	if text == "" {
		return ""
	}
	noun := phrase(child)
	text = strings.NewReplacer("_", " ", "-", " ").Replace(text)
	if !strings.Contains(text, noun) {
		return ""
	}
	named := regexp.MustCompile(`\b` + regexp.QuoteMeta(noun) + `(s|es)?\b`)
	for _, sentence := range sentenceEnd.Split(text, -1) {
		if !named.MatchString(sentence) {
			continue
		}
		switch {
		case setNullWords.MatchString(sentence):
			return SetNull
		case restrictWords.MatchString(sentence):
			return Restrict
		case cascadeWords.MatchString(sentence):
			return Cascade
		}
	}
	return ""
}
