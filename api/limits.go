package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Default operation limits (Options override them).
const (
	// DefaultMaxQueryFields bounds the fields of an operation once its
	// fragments are expanded. GraphiQL's introspection query is about 250;
	// at 5000, gqlparser's validation and gqlgen's complexity walk, which
	// both expand fragments, stay in the low milliseconds.
	DefaultMaxQueryFields = 5000
	// parserTokenLimit bounds the tokens of a query document: far above any
	// hand-written query (GraphiQL's introspection is ~1000), low enough that
	// parsing is never the slow part.
	parserTokenLimit = 100_000
)

// operationLimits refuses operations that would cost too much, before gqlgen
// parses and validates them: both expand fragments, so a kilobyte of
// fragments each spreading the previous one twice would otherwise take
// minutes. It parses the query once (linear) and computes the expanded field
// count, the depth and the complexity with each fragment evaluated once.
// As an OperationParameterMutator it runs for every transport, websocket
// included, and after persisted queries are resolved (it is added after
// AutomaticPersistedQuery).
type operationLimits struct {
	MaxFields, MaxDepth, MaxComplexity int
	es                                 graphql.ExecutableSchema
	// docs keeps the parses of recent small queries: a client repeats its
	// queries, and parsing is a good part of a small query's cost.
	docs *lru.LRU[*ast.QueryDocument]
}

// cachedQueryBytes is the largest query whose parse is kept.
const cachedQueryBytes = 16 << 10

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*operationLimits)(nil)

func (*operationLimits) ExtensionName() string { return "OperationLimits" }

func (l *operationLimits) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	l.docs = lru.New[*ast.QueryDocument](1000)
	return nil
}

// parse parses a query, or finds its parse among the recent ones. A parse
// is only read afterwards, never changed, so one may serve many requests.
func (l *operationLimits) parse(ctx context.Context, query string) (*ast.QueryDocument, error) {
	if doc, ok := l.docs.Get(ctx, query); ok {
		return doc, nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, parserTokenLimit)
	if err == nil && len(query) <= cachedQueryBytes {
		l.docs.Add(ctx, query, doc)
	}
	return doc, err
}

func (l *operationLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // gqlgen answers the missing query itself
	}
	doc, err := l.parse(ctx, p.Query)
	if err != nil {
		if strings.Contains(err.Error(), "token limit") {
			return limitError("query has more than %d tokens", parserTokenLimit)
		}
		return nil // gqlgen reports the syntax error, with its position
	}
	c, gerr := measure(ctx, l.es, doc, p.OperationName, p.Variables, l.MaxComplexity)
	if gerr != nil {
		return gerr
	}
	switch {
	case l.MaxFields > 0 && c.fields > l.MaxFields:
		return limitError("query has %s fields and fragment spreads with its fragments expanded; the limit is %d", atLeast(c.fields), l.MaxFields)
	case l.MaxDepth > 0 && c.depth > l.MaxDepth:
		return limitError("query is %d levels deep; the limit is %d", c.depth, l.MaxDepth)
	case l.MaxComplexity > 0 && c.complexity > l.MaxComplexity:
		return limitError("operation has complexity %s, more than the limit of %d", atLeast(c.complexity), l.MaxComplexity)
	}
	// Only now that the expansion is known to be small: what merging the
	// fields costs validation.
	if maxMerge := mergeFactor * l.MaxFields; l.MaxFields > 0 {
		if m := mergeCost(doc); m > maxMerge {
			return limitError("query repeats the same fields too often: merging them costs %d; the limit is %d", m, maxMerge)
		}
	}
	return nil
}

// mergeFactor bounds the merge cost at this many times the field limit. A
// query whose fields each land at a response path of their own costs what
// it has fields; repeats cost quadratically.
const mergeFactor = 4

// mergeCost estimates the work of gqlparser's OverlappingFieldsCanBeMerged
// rule, which compares every pair of fields that share a response name in a
// selection set (their sub-selections merged), and every pair of fragments
// spread side by side: the sum over response paths of the squared number of
// fields merged at each, plus the squared number of spreads in each
// selection set. Repeating one field 2,500 times costs it seconds where
// 2,500 distinct fields cost nothing. doc has passed the field limit, so
// expanding fragments here visits at most that many selections.
func mergeCost(doc *ast.QueryDocument) int {
	frags := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		frags[f.Name] = f
	}
	reached := map[string]bool{}
	total := 0
	var add func(n *mergeNode, set ast.SelectionSet, active map[string]bool)
	add = func(n *mergeNode, set ast.SelectionSet, active map[string]bool) {
		spreads := 0
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if n.children == nil {
					n.children = map[string]*mergeNode{}
				}
				c := n.children[key]
				if c == nil {
					c = &mergeNode{}
					n.children[key] = c
				}
				c.count++
				add(c, s.SelectionSet, active)
			case *ast.InlineFragment:
				spreads++
				add(n, s.SelectionSet, active)
			case *ast.FragmentSpread:
				spreads++
				f := frags[s.Name]
				if f == nil || active[s.Name] {
					continue
				}
				reached[s.Name] = true
				active[s.Name] = true
				add(n, f.SelectionSet, active)
				delete(active, s.Name)
			}
		}
		total = satAdd(total, spreads*spreads)
	}
	var roots []*mergeNode
	for _, o := range doc.Operations {
		r := &mergeNode{}
		add(r, o.SelectionSet, map[string]bool{})
		roots = append(roots, r)
	}
	for _, f := range doc.Fragments {
		if !reached[f.Name] {
			r := &mergeNode{}
			add(r, f.SelectionSet, map[string]bool{f.Name: true})
			roots = append(roots, r)
		}
	}
	var sum func(n *mergeNode)
	sum = func(n *mergeNode) {
		for _, c := range n.children {
			total = satAdd(total, c.count*c.count)
			sum(c)
		}
	}
	for _, r := range roots {
		sum(r)
	}
	return total
}

// mergeNode is one response path: how many fields land there.
type mergeNode struct {
	count    int
	children map[string]*mergeNode
}

func limitError(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": "LIMIT_EXCEEDED"}
	return err
}

// atLeast prints a saturated count as "more than …".
func atLeast(n int) string {
	if n >= saturated {
		return fmt.Sprintf("more than %d", saturated)
	}
	return fmt.Sprint(n)
}

// saturated caps every count, so that 2^40 expanded fields neither overflow
// nor cost more than a comparison.
const saturated = 1 << 40

func satAdd(a, b int) int { return min(a+b, saturated) }

// cost is what a selection set costs: fields once fragments are expanded,
// depth in fields (introspection fields aside, as they are bounded by the
// schema) and gqlgen complexity.
type cost struct{ fields, depth, complexity int }

type measurer struct {
	ctx       context.Context
	es        graphql.ExecutableSchema
	schema    *ast.Schema
	vars      map[string]any
	frags     map[string]*ast.FragmentDefinition
	memo      map[string]cost
	active    map[string]bool
	childCap  int // complexity handed to complexity functions is capped here
	cycleName string
}

// measure costs every operation and fragment of doc (gqlparser validates
// them all) and returns the named operation's depth and complexity with
// the whole document's expanded field count.
func measure(ctx context.Context, es graphql.ExecutableSchema, doc *ast.QueryDocument, opName string, vars map[string]any, maxComplexity int) (cost, *gqlerror.Error) {
	m := &measurer{ctx: ctx, es: es, frags: map[string]*ast.FragmentDefinition{},
		memo: map[string]cost{}, active: map[string]bool{}, childCap: saturated}
	if es != nil {
		m.schema = es.Schema()
	}
	if maxComplexity > 0 {
		// Complexity functions multiply; past the limit the exact figure
		// does not matter, and capping keeps them from overflowing.
		m.childCap = maxComplexity + 1
	}
	for _, f := range doc.Fragments {
		m.frags[f.Name] = f
	}
	var op *ast.OperationDefinition
	switch {
	case opName != "":
		op = doc.Operations.ForName(opName)
	case len(doc.Operations) == 1:
		op = doc.Operations[0]
	}
	// Variables as the operation will see them, defaults included.
	m.vars = map[string]any{}
	if op != nil {
		for _, v := range op.VariableDefinitions {
			if v.DefaultValue != nil {
				if val, err := v.DefaultValue.Value(nil); err == nil {
					m.vars[v.Variable] = val
				}
			}
		}
	}
	for k, v := range vars {
		m.vars[k] = v
	}

	var out cost
	for _, o := range doc.Operations {
		c := m.selectionSet(m.rootType(o.Operation), o.SelectionSet)
		if m.cycleName != "" {
			return cost{}, cycleError(m.cycleName)
		}
		out.fields = satAdd(out.fields, c.fields)
		if o == op {
			out.depth, out.complexity = c.depth, c.complexity
		}
	}
	// Fragments no operation spreads are still validated.
	for _, f := range doc.Fragments {
		if _, done := m.memo[f.Name]; !done {
			out.fields = satAdd(out.fields, m.fragment(f.Name).fields)
			if m.cycleName != "" {
				return cost{}, cycleError(m.cycleName)
			}
		}
	}
	return out, nil
}

func cycleError(name string) *gqlerror.Error {
	err := gqlerror.Errorf("fragment %s spreads itself", name)
	err.Extensions = map[string]any{"code": "INVALID_ARGUMENT"}
	return err
}

func (m *measurer) rootType(op ast.Operation) *ast.Definition {
	if m.schema == nil {
		return nil
	}
	switch op {
	case ast.Mutation:
		return m.schema.Mutation
	case ast.Subscription:
		return m.schema.Subscription
	}
	return m.schema.Query
}

func (m *measurer) typeNamed(name string) *ast.Definition {
	if m.schema == nil || name == "" {
		return nil
	}
	return m.schema.Types[name]
}

// fragment costs a fragment definition once, however often it is spread.
func (m *measurer) fragment(name string) cost {
	if c, ok := m.memo[name]; ok {
		return c
	}
	f := m.frags[name]
	if f == nil {
		return cost{} // validation reports the unknown fragment
	}
	if m.active[name] {
		if m.cycleName == "" {
			m.cycleName = name
		}
		return cost{}
	}
	m.active[name] = true
	c := m.selectionSet(m.typeNamed(f.TypeCondition), f.SelectionSet)
	delete(m.active, name)
	m.memo[name] = c
	return c
}

// selectionSet sums the fields and complexity of set and takes its deepest
// branch. parent is nil where the schema does not say (validation will).
func (m *measurer) selectionSet(parent *ast.Definition, set ast.SelectionSet) cost {
	var out cost
	shared := 0 // the costliest field sharing one bound (sharedBound)
	for _, sel := range set {
		var c cost
		switch s := sel.(type) {
		case *ast.Field:
			c = m.field(parent, s)
			if parent != nil && sharedBound[parent.Name][s.Name] {
				shared = max(shared, c.complexity)
				c.complexity = 0
			}
		case *ast.InlineFragment:
			t := parent
			if s.TypeCondition != "" {
				t = m.typeNamed(s.TypeCondition)
			}
			c = m.selectionSet(t, s.SelectionSet)
			c.fields = satAdd(c.fields, 1)
		case *ast.FragmentSpread:
			// A spread counts as a selection too: a chain of fragments
			// that only spread one another costs work without fields.
			c = m.fragment(s.Name)
			c.fields = satAdd(c.fields, 1)
		}
		out.fields = satAdd(out.fields, c.fields)
		out.complexity = satAdd(out.complexity, c.complexity)
		out.depth = max(out.depth, c.depth)
	}
	out.complexity = satAdd(out.complexity, shared)
	return out
}

// sharedBound names fields of a type of which an answer holds one or the
// other, within one bound: a lineage node is an artifact or a run, and
// impact's listing splits its limit between artifacts and runs. A selection
// costs the costliest of them, not their sum.
var sharedBound = map[string]map[string]bool{
	"LineageNode":  {"artifact": true, "run": true},
	"ImpactReport": {"artifacts": true, "runs": true},
}

// field costs one field as gqlgen's complexity package does: the schema's
// complexity function when there is one (for an interface, its costliest
// implementation), else 1 plus its children; __schema is free.
func (m *measurer) field(parent *ast.Definition, f *ast.Field) cost {
	def := m.fieldDefinition(parent, f.Name)
	var typ *ast.Definition
	if def != nil {
		typ = m.typeNamed(def.Type.Name())
	}
	child := m.selectionSet(typ, f.SelectionSet)
	out := cost{fields: satAdd(1, child.fields)}
	if !strings.HasPrefix(f.Name, "__") {
		// Introspection (__schema, __type) is bounded by the schema
		// itself; GraphiQL's query is 15 levels deep.
		out.depth = child.depth + 1
	}
	if typ != nil && typ.Name == "__Schema" {
		return out
	}
	childC := min(child.complexity, m.childCap)
	out.complexity = satAdd(1, childC)
	if parent == nil || def == nil || m.es == nil {
		return out
	}
	args := m.arguments(def, f)
	owners := []*ast.Definition{parent}
	if parent.Kind == ast.Interface {
		owners = m.schema.GetPossibleTypes(parent)
	}
	best := -1
	for _, o := range owners {
		c, ok := m.es.Complexity(m.ctx, o.Name, f.Name, childC, args)
		switch {
		case !ok && isLeaf(typ):
			c = 0 // a value of an object already paid for
		case !ok || c < 0:
			c = satAdd(1, childC)
		}
		best = max(best, c)
	}
	if best >= 0 {
		out.complexity = min(best, saturated)
	}
	return out
}

// isLeaf tells scalar and enum types: fields of them cost nothing of their
// own unless the schema gives them a complexity (see complexity.go).
func isLeaf(t *ast.Definition) bool {
	return t != nil && (t.Kind == ast.Scalar || t.Kind == ast.Enum)
}

func (m *measurer) fieldDefinition(parent *ast.Definition, name string) *ast.FieldDefinition {
	if m.schema == nil {
		return nil
	}
	switch name {
	case "__typename":
		return &ast.FieldDefinition{Name: name, Type: ast.NonNullNamedType("String", nil)}
	case "__schema":
		return &ast.FieldDefinition{Name: name, Type: ast.NonNullNamedType("__Schema", nil)}
	case "__type":
		return &ast.FieldDefinition{Name: name, Type: ast.NamedType("__Type", nil)}
	}
	if parent == nil {
		return nil
	}
	return parent.Fields.ForName(name)
}

// arguments are a field's argument values as complexity functions take
// them, defaults included; values that do not decode are left out.
func (m *measurer) arguments(def *ast.FieldDefinition, f *ast.Field) map[string]any {
	if len(def.Arguments) == 0 {
		return nil
	}
	args := map[string]any{}
	for _, ad := range def.Arguments {
		if a := f.Arguments.ForName(ad.Name); a != nil && a.Value != nil {
			if a.Value.Kind == ast.Variable {
				if v, ok := m.vars[a.Value.Raw]; ok {
					args[ad.Name] = v
					continue
				}
			} else if v, err := a.Value.Value(m.vars); err == nil {
				args[ad.Name] = v
				continue
			}
		}
		if ad.DefaultValue != nil {
			if v, err := ad.DefaultValue.Value(nil); err == nil {
				args[ad.Name] = v
			}
		}
	}
	return args
}
