package githubtest

import (
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

//go:embed testdata/schema.graphql
var schemaSource string

// schemaOnce parses the 1.2 MB schema once per process: it never changes.
var schemaOnce = sync.OnceValues(loadSchema)

// Schema returns GitHub's published GraphQL schema.
func Schema() (*ast.Schema, error) { return schemaOnce() }

func loadSchema() (*ast.Schema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "schema.graphql", Input: schemaSource})
	if err != nil {
		return nil, fmt.Errorf("githubtest: parse GitHub's schema: %w", err)
	}
	// The published file repeats two field definitions of one type
	// (testdata/README.md); keep the first of each name.
	for _, d := range doc.Definitions {
		seen := map[string]bool{}
		fields := d.Fields[:0]
		for _, f := range d.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				fields = append(fields, f)
			}
		}
		d.Fields = fields
	}
	s, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("githubtest: load GitHub's schema: %w", err)
	}
	return s, nil
}

// Validate checks a query against GitHub's schema and GitHub's own rules
// (first or last on every connection, 1 to 100, at most 500,000 nodes)
// and returns its rate-limit cost in points, as GitHub documents it: the
// requests its connections need, divided by 100 and rounded, at least 1.
func (s *Server) Validate(query string, vars map[string]any) (points int, err error) {
	op, vs, err := s.prepare(query, "", vars)
	if err != nil {
		return 0, err
	}
	c, err := s.cost(op, vs)
	return c.points(), err
}

type gqlErrors []map[string]any

func (e gqlErrors) Error() string {
	var msgs []string
	for _, m := range e {
		msgs = append(msgs, fmt.Sprint(m["message"]))
	}
	return strings.Join(msgs, "; ")
}

func gqlErr(typ, format string, args ...any) gqlErrors {
	m := map[string]any{"message": fmt.Sprintf(format, args...)}
	if typ != "" {
		m["type"] = typ
	}
	return gqlErrors{m}
}

func (s *Server) prepare(query, opName string, vars map[string]any) (*ast.OperationDefinition, map[string]any, error) {
	doc, errs := gqlparser.LoadQueryWithRules(s.schema, query, nil)
	if len(errs) > 0 {
		out := gqlErrors{}
		for _, e := range errs {
			m := map[string]any{"message": e.Message}
			if len(e.Locations) > 0 {
				m["locations"] = e.Locations
			}
			out = append(out, m)
		}
		return nil, nil, out
	}
	op := doc.Operations.ForName(opName)
	if op == nil {
		return nil, nil, gqlErr("", "No operation named %q", opName)
	}
	if op.Operation != ast.Query {
		return nil, nil, gqlErr("", "githubtest: only queries are served, not %s", op.Operation)
	}
	vs, err := validator.VariableValues(s.schema, op, vars)
	if err != nil {
		return nil, nil, gqlErr("", "%v", err)
	}
	return op, vs, nil
}

type queryCost struct{ requests, nodes int }

func (c queryCost) points() int {
	return max(1, int(math.Round(float64(c.requests)/100)))
}

// cost walks the query: each connection needs one request per parent
// object that may hold it (the product of the first/last values above it).
func (s *Server) cost(op *ast.OperationDefinition, vars map[string]any) (queryCost, error) {
	var c queryCost
	err := walkCost(op.SelectionSet, vars, 1, &c)
	if err == nil && c.nodes > 500000 {
		err = gqlErr("MAX_NODE_LIMIT_EXCEEDED", "This query requests up to %d possible nodes which exceeds the maximum limit of 500,000.", c.nodes)
	}
	return c, err
}

func walkCost(set ast.SelectionSet, vars map[string]any, mult int, c *queryCost) error {
	for _, sel := range set {
		var err error
		switch x := sel.(type) {
		case *ast.Field:
			if x.Definition == nil {
				continue
			}
			if isConnection(x.Definition.Type) {
				args := x.ArgumentMap(vars)
				first, hasFirst := toInt(args["first"])
				last, hasLast := toInt(args["last"])
				n := first
				if !hasFirst {
					n = last
				}
				switch {
				case !hasFirst && !hasLast:
					return gqlErr("MISSING_PAGINATION_BOUNDARIES", "You must provide a `first` or `last` value to properly paginate the `%s` connection.", x.Name)
				case hasFirst && hasLast:
					return gqlErr("", "Passing both `first` and `last` to paginate the `%s` connection is not supported.", x.Name)
				case n < 1 || n > 100:
					return gqlErr("EXCESSIVE_PAGINATION", "Requesting %d records on the `%s` connection exceeds the `first` limit of 100 records.", n, x.Name)
				}
				c.requests += mult
				c.nodes += mult * n
				err = walkCost(x.SelectionSet, vars, mult*n, c)
			} else {
				err = walkCost(x.SelectionSet, vars, mult, c)
			}
		case *ast.InlineFragment:
			err = walkCost(x.SelectionSet, vars, mult, c)
		case *ast.FragmentSpread:
			err = walkCost(x.Definition.SelectionSet, vars, mult, c)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func isConnection(t *ast.Type) bool {
	return t.Elem == nil && strings.HasSuffix(t.NamedType, "Connection")
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int32:
		return int(x), true
	case int64:
		return int(x), true
	case float64:
		return int(x), true
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil
	}
	return 0, false
}

func (s *Server) graphql(rp *reply, r *http.Request) {
	rp.charged = true
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &req)
	}
	if err != nil || req.Query == "" {
		rp.message(http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	s.cmu.Lock()
	s.stats.GraphQLQueries++
	s.cmu.Unlock()
	answerErr := func(err error) {
		if e, ok := err.(gqlErrors); ok {
			rp.json(http.StatusOK, map[string]any{"errors": e})
			return
		}
		rp.json(http.StatusOK, map[string]any{"errors": gqlErr("", "%v", err)})
	}
	op, vars, err := s.prepare(req.Query, req.OperationName, req.Variables)
	if err != nil {
		answerErr(err)
		return
	}
	c, err := s.cost(op, vars)
	if err != nil {
		answerErr(err)
		return
	}
	points := c.points()
	if !s.charge(rp.id, "graphql", points) {
		s.cmu.Lock()
		s.stats.RateLimited++
		s.cmu.Unlock()
		answerErr(gqlErr("RATE_LIMITED", "API rate limit already exceeded for user ID 1."))
		return
	}
	s.cmu.Lock()
	w := s.window(rp.id, "graphql")
	rate := rateLimitObj{cost: points, limit: w.limit, remaining: w.limit - w.used, used: w.used, resetAt: w.reset, nodes: c.nodes}
	s.cmu.Unlock()
	ex := &executor{s: s, st: s.st, vars: vars, rate: rate}
	out := ex.selectSet(queryRoot{}, op.SelectionSet)
	body := map[string]any{"data": out}
	if len(ex.errs) > 0 {
		body["errors"] = ex.errs
	}
	rp.json(http.StatusOK, body)
}

// executor resolves a validated query over the state.
type executor struct {
	s    *Server
	st   *State
	vars map[string]any
	rate rateLimitObj
	errs gqlErrors
}

type resolver func(ex *executor, obj any, args map[string]any) (any, error)

func (ex *executor) fail(format string, args ...any) {
	ex.errs = append(ex.errs, map[string]any{"message": fmt.Sprintf(format, args...)})
}

func (ex *executor) selectSet(obj any, set ast.SelectionSet) map[string]any {
	out := map[string]any{}
	typ := typeName(obj)
	ex.collect(typ, set, func(f *ast.Field) {
		key := f.Alias
		if key == "" {
			key = f.Name
		}
		if f.Name == "__typename" {
			out[key] = typ
			return
		}
		res := resolverFor(obj, typ, f.Name)
		if res == nil {
			ex.fail("githubtest: %s.%s is not served by the fake GitHub (add a resolver)", typ, f.Name)
			out[key] = nil
			return
		}
		v, err := res(ex, obj, f.ArgumentMap(ex.vars))
		if err != nil {
			if e, ok := err.(gqlErrors); ok {
				ex.errs = append(ex.errs, e...)
			} else {
				ex.fail("%v", err)
			}
			out[key] = nil
			return
		}
		out[key] = ex.complete(v, f)
	})
	return out
}

func (ex *executor) complete(v any, f *ast.Field) any {
	if v == nil {
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, x := range list {
			out[i] = ex.complete(x, f)
		}
		return out
	}
	if len(f.SelectionSet) == 0 {
		return v
	}
	return ex.selectSet(v, f.SelectionSet)
}

// collect calls fn for each field selected on an object of type typ,
// through the fragments whose type condition it meets.
func (ex *executor) collect(typ string, set ast.SelectionSet, fn func(*ast.Field)) {
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			fn(x)
		case *ast.InlineFragment:
			if ex.applies(typ, x.TypeCondition) {
				ex.collect(typ, x.SelectionSet, fn)
			}
		case *ast.FragmentSpread:
			if ex.applies(typ, x.Definition.TypeCondition) {
				ex.collect(typ, x.Definition.SelectionSet, fn)
			}
		}
	}
}

func (ex *executor) applies(typ, cond string) bool {
	if cond == "" || cond == typ {
		return true
	}
	def := ex.s.schema.Types[cond]
	if def == nil {
		return false
	}
	for _, p := range ex.s.schema.GetPossibleTypes(def) {
		if p.Name == typ {
			return true
		}
	}
	return false
}

// connection is a page of any connection type.
type connection struct {
	typ                string // PullRequestConnection, …
	nodes              []any
	cursors            []string
	hasNext, hasPrev   bool
	total              int
	startIdx, endIndex int
}

type edge struct {
	typ    string
	cursor string
	node   any
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func encodeCursor(s string) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:v2:" + s))
}

func decodeCursor(c string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "cursor:v2:") {
		return "", gqlErr("INVALID_CURSOR_ARGUMENTS", "`%s` does not appear to be a valid cursor.", c)
	}
	return strings.TrimPrefix(string(b), "cursor:v2:"), nil
}

// paginate pages items (already in order). key names an item in a
// cursor; after and before find the first item past a key with seek,
// which for ordered connections compares sort keys, so a cursor stays
// valid when the item it named moved.
func paginate(typ string, items []any, key func(i int) string, seek func(k string) int, args map[string]any) (*connection, error) {
	lo, hi := 0, len(items)
	if a, ok := args["after"].(string); ok && a != "" {
		k, err := decodeCursor(a)
		if err != nil {
			return nil, err
		}
		lo = seek(k)
	}
	if b, ok := args["before"].(string); ok && b != "" {
		k, err := decodeCursor(b)
		if err != nil {
			return nil, err
		}
		hi = max(lo, seek(k)-1)
	}
	lo, hi = min(lo, len(items)), min(hi, len(items))
	c := &connection{typ: typ, total: len(items), hasPrev: lo > 0, hasNext: hi < len(items)}
	if first, ok := toInt(args["first"]); ok && hi-lo > first {
		hi, c.hasNext = lo+first, true
	}
	if last, ok := toInt(args["last"]); ok && hi-lo > last {
		lo, c.hasPrev = hi-last, true
	}
	for i := lo; i < hi; i++ {
		c.nodes = append(c.nodes, items[i])
		c.cursors = append(c.cursors, encodeCursor(key(i)))
	}
	return c, nil
}

// offsetPage pages a list whose cursors are positions.
func offsetPage(typ string, items []any, args map[string]any) (*connection, error) {
	return paginate(typ, items, func(i int) string { return fmt.Sprint(i) }, func(k string) int {
		var n int
		fmt.Sscan(k, &n)
		return n + 1
	}, args)
}
