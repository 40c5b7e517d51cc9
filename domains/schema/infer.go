package schema

import (
	"regexp"
	"sort"
	"strings"

	"github.com/simgym/simgym/tools"
)

// Options tune inference.
type Options struct {
	// Rows is how many rows seeding puts in each table (default 20).
	Rows int
	// MaxColumns bounds a table's columns (default 48); columns that
	// arguments use are kept first.
	MaxColumns int
}

// Verbs that classify tools by their name.
var (
	readVerbs = wordSet("get", "list", "search", "find", "query", "show", "view", "fetch", "retrieve", "lookup",
		"read", "check", "count", "describe", "browse", "display", "lookup", "ls", "cat", "stat", "calculate",
		"compute", "estimate", "validate", "verify", "export", "download", "print", "head", "tail", "grep", "explore")
	createVerbs = wordSet("create", "add", "new", "book", "register", "insert", "post", "send", "make", "place",
		"open", "submit", "issue", "generate", "upload", "import", "schedule", "reserve", "start", "subscribe",
		"write", "mkdir", "touch", "invite", "enroll", "order", "buy", "purchase", "transfer", "pay")
	updateVerbs = wordSet("update", "modify", "change", "set", "edit", "rename", "move", "patch", "put", "replace",
		"assign", "attach", "mark", "enable", "disable", "reset", "adjust", "upgrade", "downgrade", "mv", "cp",
		"tag", "label", "rate", "review", "apply", "link", "update")
	deleteVerbs = wordSet("delete", "remove", "destroy", "erase", "purge", "unsubscribe", "rm", "rmdir", "detach", "unlink", "clear")
	// actionStates maps action verbs to the state they leave an entity in.
	actionStates = map[string]string{
		"cancel": "cancelled", "confirm": "confirmed", "complete": "completed", "approve": "approved",
		"reject": "rejected", "refund": "refunded", "activate": "active", "deactivate": "inactive",
		"close": "closed", "reopen": "open", "check_in": "checked_in", "check_out": "checked_out",
		"archive": "archived", "unarchive": "active", "publish": "published", "unpublish": "draft",
		"suspend": "suspended", "resume": "active", "pause": "paused", "ship": "shipped", "deliver": "delivered",
		"accept": "accepted", "decline": "declined", "block": "blocked", "unblock": "active", "lock": "locked",
		"unlock": "unlocked", "verify": "verified", "resolve": "resolved", "return": "returned", "void": "void",
		"finalize": "finalized", "freeze": "frozen", "unfreeze": "active", "start": "started", "stop": "stopped",
		"restart": "running", "enable": "enabled", "disable": "disabled", "dismiss": "dismissed", "release": "released",
	}
	// genericNouns do not name entities.
	genericNouns = wordSet("details", "detail", "info", "information", "data", "list", "all", "by", "for", "of",
		"the", "a", "an", "to", "from", "in", "on", "with", "and", "or", "new", "current", "my", "status", "api",
		"v1", "v2", "v3", "v4", "rest", "public", "json", "xml", "batch", "bulk", "multiple", "single", "one",
		"many", "id", "ids", "result", "results", "response", "request")
	limitArgs   = wordSet("limit", "per_page", "page_size", "max_results", "top", "size", "max", "maxresults", "pagesize", "max_count", "num_results", "count", "first", "topk", "top_k", "n")
	offsetArgs  = wordSet("offset", "skip", "start", "start_index", "startindex")
	searchArgs  = wordSet("q", "query", "search", "keyword", "keywords", "term", "search_term", "search_query", "text", "filter", "pattern")
	ignoredArgs = wordSet("sort", "order", "order_by", "orderby", "sort_by", "sortby", "sort_order", "direction", "fields",
		"expand", "include", "exclude", "format", "locale", "lang", "language", "pretty", "pretty_print", "callback",
		"api_key", "apikey", "key", "token", "access_token", "alt", "quota_user", "user_ip", "oauth_token",
		"upload_protocol", "upload_type", "xgafv", "cursor", "page_token", "next_token", "continuation", "page",
		"page_number", "since", "before", "after", "verbose", "debug", "dry_run", "async", "version", "select",
		"envelope", "callback_url", "metadata_only", "timeout")
	versionSeg = regexp.MustCompile(`^v\d+(\.\d+)*$|^\d+(\.\d+)*$`)
)

func wordSet(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// ieNouns end in "ie", so their plurals end in "ies" but do not turn
// into "-y".
var ieNouns = wordSet("movie", "cookie", "zombie", "calorie", "rookie", "selfie", "genie", "hippie", "prairie",
	"smoothie", "pie", "tie", "lie", "die", "brownie", "goalie", "newbie", "freebie", "sortie", "auntie", "birdie")

// sameInPlural are nouns whose plural is the singular.
var sameInPlural = wordSet("series", "species", "news", "status", "bus", "sheep", "fish", "aircraft", "data")

// Singular returns the singular of an English snake_case noun phrase,
// acting on its last word.
func Singular(s string) string {
	i := strings.LastIndex(s, "_")
	head, w := s[:i+1], s[i+1:]
	switch {
	case sameInPlural[w]:
	case ieNouns[strings.TrimSuffix(w, "s")]:
		w = strings.TrimSuffix(w, "s")
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		w = w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "uses") || strings.HasSuffix(w, "ches") ||
		strings.HasSuffix(w, "shes") || strings.HasSuffix(w, "xes")):
		w = w[:len(w)-2]
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") &&
		!strings.HasSuffix(w, "is") && !strings.HasSuffix(w, "ics"):
		w = w[:len(w)-1]
	}
	return head + w
}

// shape is what inference learns of one tool before tables are built.
type shape struct {
	tool   *tools.Tool
	entity string
	kind   Kind
	key    string // argument selecting the row
	parent string // parent entity of a nested path
	pkey   string // argument carrying the parent's id
	action string // action verb (cancel, approve, ...)
}

// Infer builds the relational model of a domain's tools.
func Infer(domain string, ts []*tools.Tool, opt Options) *Model {
	if opt.Rows <= 0 {
		opt.Rows = 20
	}
	if opt.MaxColumns <= 0 {
		opt.MaxColumns = 48
	}
	sorted := append([]*tools.Tool(nil), ts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	shapes := make([]*shape, len(sorted))
	entities := map[string]bool{}
	for i, t := range sorted {
		shapes[i] = classify(t)
	}
	refineResultless(shapes) // describe.go
	for _, s := range shapes {
		entities[s.entity] = true
		if s.parent != "" {
			entities[s.parent] = true
		}
	}
	b := &builder{tables: map[string]*tableBuilder{}, entities: entities, maxCols: opt.MaxColumns}
	for e := range entities {
		b.table(e)
	}
	m := &Model{Domain: domain}
	for _, s := range shapes {
		m.Ops = append(m.Ops, b.op(s))
	}
	b.describeFields(shapes) // describe.go
	for i, s := range shapes {
		b.state(m.Ops[i], s)
	}
	m.Tables = b.finish(opt.Rows)
	inferLifecycles(m, shapes)
	inferReferences(m, shapes)
	return m
}

// classify finds a tool's entity, kind and key arguments.
func classify(t *tools.Tool) *shape {
	s := &shape{tool: t}
	nameWords := tools.Words(t.OriginalName)
	if len(nameWords) == 0 {
		nameWords = tools.Words(t.Name)
	}
	verb := ""
	if len(nameWords) > 0 {
		verb = nameWords[0]
	}
	if len(nameWords) > 2 && actionStates[nameWords[0]+"_"+nameWords[1]] != "" {
		verb = nameWords[0] + "_" + nameWords[1]
	}
	if t.Path != "" && t.Method != "" {
		classifyHTTP(s, verb)
	}
	if s.entity == "" {
		classifyName(s, nameWords, verb)
	}
	s.entity = tableName(s.entity)
	if s.parent != "" {
		s.parent = tableName(s.parent)
		if s.parent == s.entity {
			s.parent, s.pkey = "", ""
		}
	}
	return s
}

func tableName(s string) string {
	n := tools.Identifier(Singular(tools.Identifier(s)))
	if n == "" || n == "sqlite" || strings.HasPrefix(n, "sqlite_") {
		n = "entity_" + n
	}
	return n
}

func classifyHTTP(s *shape, verb string) {
	type seg struct {
		lit   string
		param string
	}
	var segs []seg
	for _, p := range strings.Split(s.tool.Path, "/") {
		switch {
		case p == "":
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			segs = append(segs, seg{param: p[1 : len(p)-1]})
		default:
			lit := tools.Identifier(p)
			if lit == "" || versionSeg.MatchString(strings.ToLower(p)) || genericNouns[lit] {
				continue
			}
			segs = append(segs, seg{lit: lit})
		}
	}
	if len(segs) == 0 {
		return
	}
	last := len(segs) - 1
	// POST /things/{id}/cancel: an action on the thing.
	if segs[last].lit != "" && last > 0 && segs[last-1].param != "" && actionStates[segs[last].lit] != "" {
		s.action = segs[last].lit
		segs = segs[:last]
		last--
	}
	// GET or POST /things/search: a read of the things.
	readPath := false
	if segs[last].lit != "" && last > 0 && segs[last-1].lit != "" && readVerbs[segs[last].lit] {
		readPath = true
		segs = segs[:last]
		last--
	}
	item := segs[last].param != ""
	res := last
	if item {
		res = last - 1
	}
	for res >= 0 && segs[res].lit == "" {
		res--
	}
	if res < 0 {
		return
	}
	s.entity = segs[res].lit
	if item && s.hasArg(segs[last].param) {
		s.key = segs[last].param
	}
	for p := res - 1; p >= 0; p-- {
		if segs[p].param != "" && p > 0 && segs[p-1].lit != "" && s.hasArg(segs[p].param) {
			s.parent, s.pkey = segs[p-1].lit, segs[p].param
			break
		}
	}
	switch {
	case s.action != "":
		s.kind = Update
	case s.tool.Method == "GET" || s.tool.Method == "HEAD" || s.tool.Method == "OPTIONS":
		s.kind = List
		if s.key != "" {
			s.kind = Get
		}
	case s.tool.Method == "POST":
		switch {
		case readPath || readVerbs[verb] && !createVerbs[verb]:
			s.kind = List
			if s.key != "" {
				s.kind = Get
			}
		case s.key != "":
			s.kind = Update
		default:
			s.kind = Create
		}
	case s.tool.Method == "PUT" || s.tool.Method == "PATCH":
		s.kind = Update
		if s.key == "" {
			s.kind = Create
		}
	case s.tool.Method == "DELETE":
		s.kind = Delete
	default:
		s.kind = List
	}
	if s.key == "" && (s.kind == Update || s.kind == Delete || s.kind == Get) {
		s.key = s.idArg(s.entity)
	}
}

func classifyName(s *shape, words []string, verb string) {
	var nouns []string
	rest := words
	if verb != "" {
		rest = words[len(strings.Split(verb, "_")):]
	}
	for _, w := range rest {
		if !genericNouns[w] && !isDigits(w) {
			nouns = append(nouns, w)
		}
	}
	// An id argument naming one of the nouns, or a run of them
	// ("cart_item_id" for remove_cart_item), decides the entity; longer
	// runs first.
	for size := len(nouns); size >= 1 && s.entity == ""; size-- {
		for i := 0; i+size <= len(nouns); i++ {
			n := strings.Join(nouns[i:i+size], "_")
			if a := s.idArg(n); a != "" && a != "id" {
				s.entity, s.key = n, a
				break
			}
		}
	}
	if s.entity == "" {
		switch {
		case len(nouns) > 0:
			s.entity = nouns[len(nouns)-1]
		case len(words) > 0:
			s.entity = strings.Join(words, "_")
		default:
			s.entity = s.tool.Name
		}
		s.key = s.idArg(s.entity)
	}
	switch {
	case actionStates[verb] != "" && !readVerbs[verb] && !createVerbs[verb]:
		s.action = verb
		s.kind = Update
	case deleteVerbs[verb]:
		s.kind = Delete
	case updateVerbs[verb]:
		s.kind = Update
	case createVerbs[verb]:
		s.kind = Create
	default:
		s.kind = List
		if s.key != "" {
			s.kind = Get
		}
	}
	if s.key == "" && (s.kind == Update || s.kind == Delete) && !s.hasAnyArg() {
		s.kind = List
	}
}

func isDigits(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return w != ""
}

func (s *shape) hasArg(name string) bool {
	_, ok := s.tool.Parameters.Properties[name]
	return ok
}

func (s *shape) hasAnyArg() bool { return len(s.tool.Parameters.Properties) > 0 }

// idArg finds the argument carrying entity's id: "<entity>_id",
// "<entity>Id", "<entity>_key", or a bare "id".
func (s *shape) idArg(entity string) string {
	want := tools.Identifier(Singular(entity))
	var bare string
	for _, n := range s.tool.Parameters.PropertyNames() {
		id := tools.Identifier(n)
		switch {
		case id == want+"_id" || id == want+"_key" || id == want+"_uuid" || Singular(id) == want+"_id":
			return n
		case id == "id" || id == "uuid":
			bare = n
		}
	}
	return bare
}
