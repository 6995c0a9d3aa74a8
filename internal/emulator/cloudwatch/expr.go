package cloudwatch

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The metric math subset: numbers, query ids, + - * / ^, unary minus and
// plus, parentheses, and the functions ABS, SUM, AVG, MIN and MAX (over one
// series, giving a scalar, or over a [list] of series, giving a series), as
// described in "Metric math syntax and functions" of the CloudWatch User
// Guide. Series are combined point by point on equal timestamps; a
// timestamp missing from either side gives no point.

// maxExpressionLength is the MetricExpression length limit of the
// CloudWatch model (MetricDataQuery.Expression, max 2048).
const maxExpressionLength = 2048

// maxExpressionDepth bounds nesting so that parsing and evaluation cannot
// exhaust the stack.
const maxExpressionDepth = 64

type node interface{ isNode() }

type (
	numNode struct{ v float64 }
	refNode struct{ id string }
	negNode struct{ x node }
	binNode struct {
		op   byte
		l, r node
	}
	callNode struct {
		fn  string
		arg node
	}
	listNode struct{ items []node }
)

func (numNode) isNode()  {}
func (refNode) isNode()  {}
func (negNode) isNode()  {}
func (binNode) isNode()  {}
func (callNode) isNode() {}
func (listNode) isNode() {}

var exprFuncs = map[string]bool{"ABS": true, "SUM": true, "AVG": true, "MIN": true, "MAX": true}

type token struct {
	kind byte // 'n' number, 'i' identifier, or the operator character; 0 at end
	text string
	num  float64
	pos  int
}

func tokenize(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			f, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, fmt.Errorf("invalid number %q at position %d", src[i:j], i)
			}
			toks = append(toks, token{kind: 'n', text: src[i:j], num: f, pos: i})
			i = j
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, token{kind: 'i', text: src[i:j], pos: i})
			i = j
		case strings.IndexByte("+-*/^()[],", c) >= 0:
			toks = append(toks, token{kind: c, text: string(c), pos: i})
			i++
		default:
			return nil, fmt.Errorf("unexpected character %q at position %d", c, i)
		}
	}
	return append(toks, token{pos: len(src)}), nil
}

type parser struct {
	toks  []token
	i     int
	depth int
}

// parseExpression parses a metric math expression.
func parseExpression(src string) (node, error) {
	if strings.TrimSpace(src) == "" {
		return nil, fmt.Errorf("empty expression")
	}
	if len(src) > maxExpressionLength {
		return nil, fmt.Errorf("expression longer than %d characters", maxExpressionLength)
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.sum()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != 0 {
		return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxExpressionDepth {
		return fmt.Errorf("expression nested deeper than %d", maxExpressionDepth)
	}
	return nil
}

func (p *parser) sum() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.product()
	if err != nil {
		return nil, err
	}
	for k := p.peek().kind; k == '+' || k == '-'; k = p.peek().kind {
		p.next()
		r, err := p.product()
		if err != nil {
			return nil, err
		}
		l = binNode{op: k, l: l, r: r}
	}
	return l, nil
}

func (p *parser) product() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for k := p.peek().kind; k == '*' || k == '/'; k = p.peek().kind {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = binNode{op: k, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch p.peek().kind {
	case '-':
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return negNode{x}, nil
	case '+':
		p.next()
		return p.unary()
	}
	return p.power()
}

// power binds tighter than unary minus on its left (-2^2 is -4) and is
// right-associative.
func (p *parser) power() (node, error) {
	base, err := p.primary()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != '^' {
		return base, nil
	}
	p.next()
	exp, err := p.unary()
	if err != nil {
		return nil, err
	}
	return binNode{op: '^', l: base, r: exp}, nil
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case 'n':
		return numNode{t.num}, nil
	case 'i':
		if p.peek().kind != '(' {
			return refNode{t.text}, nil
		}
		fn := strings.ToUpper(t.text)
		if !exprFuncs[fn] {
			return nil, fmt.Errorf("unsupported function %s at position %d", t.text, t.pos)
		}
		p.next()
		arg, err := p.sum()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ')' {
			return nil, fmt.Errorf("expected ) at position %d", c.pos)
		}
		return callNode{fn: fn, arg: arg}, nil
	case '(':
		n, err := p.sum()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != ')' {
			return nil, fmt.Errorf("expected ) at position %d", c.pos)
		}
		return n, nil
	case '[':
		var items []node
		for {
			n, err := p.sum()
			if err != nil {
				return nil, err
			}
			items = append(items, n)
			c := p.next()
			if c.kind == ']' {
				return listNode{items}, nil
			}
			if c.kind != ',' {
				return nil, fmt.Errorf("expected , or ] at position %d", c.pos)
			}
		}
	case 0:
		return nil, fmt.Errorf("unexpected end of expression")
	}
	return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
}

// refs lists the query ids an expression uses, in order of appearance.
func refs(n node) []string {
	var out []string
	var walk func(node)
	walk = func(n node) {
		switch n := n.(type) {
		case refNode:
			if !slices.Contains(out, n.id) {
				out = append(out, n.id)
			}
		case negNode:
			walk(n.x)
		case binNode:
			walk(n.l)
			walk(n.r)
		case callNode:
			walk(n.arg)
		case listNode:
			for _, it := range n.items {
				walk(it)
			}
		}
	}
	walk(n)
	return out
}

// point is one value at a period start, in Unix nanoseconds.
type point struct {
	at int64
	v  float64
}

// value is an expression's value: a scalar, a series (ascending), or a list
// of series.
type value struct {
	kind byte // 's' scalar, 't' series, 'l' list
	num  float64
	ts   []point
	list []value
}

// evaluator evaluates an expression against resolved query series.
type evaluator struct {
	lookup func(id string) []point
	// dropped is set when a non-finite result was dropped.
	dropped bool
}

func (e *evaluator) eval(n node) (value, error) {
	switch n := n.(type) {
	case numNode:
		return value{kind: 's', num: n.v}, nil
	case refNode:
		return value{kind: 't', ts: e.lookup(n.id)}, nil
	case negNode:
		x, err := e.eval(n.x)
		if err != nil {
			return value{}, err
		}
		return e.apply(x, value{kind: 's', num: -1}, '*')
	case binNode:
		l, err := e.eval(n.l)
		if err != nil {
			return value{}, err
		}
		r, err := e.eval(n.r)
		if err != nil {
			return value{}, err
		}
		return e.apply(l, r, n.op)
	case callNode:
		x, err := e.eval(n.arg)
		if err != nil {
			return value{}, err
		}
		return e.call(n.fn, x)
	case listNode:
		out := value{kind: 'l'}
		for _, it := range n.items {
			v, err := e.eval(it)
			if err != nil {
				return value{}, err
			}
			if v.kind != 't' {
				return value{}, fmt.Errorf("a list may hold only time series")
			}
			out.list = append(out.list, v)
		}
		return out, nil
	}
	return value{}, fmt.Errorf("unknown expression node")
}

func arith(op byte, a, b float64) float64 {
	switch op {
	case '+':
		return a + b
	case '-':
		return a - b
	case '*':
		return a * b
	case '/':
		return a / b
	default:
		return math.Pow(a, b)
	}
}

func (e *evaluator) keep(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		e.dropped = true
		return false
	}
	return true
}

func (e *evaluator) apply(l, r value, op byte) (value, error) {
	if l.kind == 'l' || r.kind == 'l' {
		return value{}, fmt.Errorf("arithmetic on a list of time series is not supported")
	}
	switch {
	case l.kind == 's' && r.kind == 's':
		return value{kind: 's', num: arith(op, l.num, r.num)}, nil
	case l.kind == 't' && r.kind == 's':
		out := make([]point, 0, len(l.ts))
		for _, p := range l.ts {
			if v := arith(op, p.v, r.num); e.keep(v) {
				out = append(out, point{p.at, v})
			}
		}
		return value{kind: 't', ts: out}, nil
	case l.kind == 's' && r.kind == 't':
		out := make([]point, 0, len(r.ts))
		for _, p := range r.ts {
			if v := arith(op, l.num, p.v); e.keep(v) {
				out = append(out, point{p.at, v})
			}
		}
		return value{kind: 't', ts: out}, nil
	}
	out := make([]point, 0, min(len(l.ts), len(r.ts)))
	for i, j := 0, 0; i < len(l.ts) && j < len(r.ts); {
		switch a, b := l.ts[i], r.ts[j]; {
		case a.at < b.at:
			i++
		case a.at > b.at:
			j++
		default:
			if v := arith(op, a.v, b.v); e.keep(v) {
				out = append(out, point{a.at, v})
			}
			i++
			j++
		}
	}
	return value{kind: 't', ts: out}, nil
}

func aggregate(fn string, vs []float64) float64 {
	acc := vs[0]
	for _, v := range vs[1:] {
		switch fn {
		case "SUM", "AVG":
			acc += v
		case "MIN":
			acc = math.Min(acc, v)
		case "MAX":
			acc = math.Max(acc, v)
		}
	}
	if fn == "AVG" {
		acc /= float64(len(vs))
	}
	return acc
}

func (e *evaluator) call(fn string, x value) (value, error) {
	if fn == "ABS" {
		switch x.kind {
		case 's':
			return value{kind: 's', num: math.Abs(x.num)}, nil
		case 't':
			out := make([]point, len(x.ts))
			for i, p := range x.ts {
				out[i] = point{p.at, math.Abs(p.v)}
			}
			return value{kind: 't', ts: out}, nil
		}
		return value{}, fmt.Errorf("ABS takes a time series or a number")
	}
	switch x.kind {
	case 's':
		return x, nil
	case 't':
		// One series aggregates to a scalar over the whole range.
		if len(x.ts) == 0 {
			return value{kind: 't'}, nil
		}
		vs := make([]float64, len(x.ts))
		for i, p := range x.ts {
			vs[i] = p.v
		}
		return value{kind: 's', num: aggregate(fn, vs)}, nil
	}
	// A list aggregates point by point over every timestamp any member has.
	byAt := map[int64][]float64{}
	for _, s := range x.list {
		for _, p := range s.ts {
			byAt[p.at] = append(byAt[p.at], p.v)
		}
	}
	out := make([]point, 0, len(byAt))
	for at, vs := range byAt {
		if v := aggregate(fn, vs); e.keep(v) {
			out = append(out, point{at, v})
		}
	}
	slices.SortFunc(out, func(a, b point) int { return cmpInt64(a.at, b.at) })
	return value{kind: 't', ts: out}, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
