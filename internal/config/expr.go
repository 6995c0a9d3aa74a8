package config

import (
	"fmt"
	"strconv"
)

// maxExpressionDepth bounds nesting (parentheses and unary signs) so that
// a hostile expression cannot exhaust the stack.
const maxExpressionDepth = 64

// parseExpression checks that s is arithmetic metric math: numbers, query
// ids, + - * /, unary signs and parentheses. It returns the ids s refers
// to, in order of appearance. CloudWatch's functions (SUM, METRICS, ...)
// are deliberately not accepted: Headroom evaluates a single time series,
// and plain arithmetic always yields one.
//
// Grammar:
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = ("+" | "-") unary | primary
//	primary = number | id | "(" expr ")"
func parseExpression(s string) ([]string, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	if err := p.expr(0); err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("unexpected %s at column %d", t, t.col)
	}
	return p.ids, nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokNumber
	tokID
	tokOp // + - * /
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	text string
	col  int // 1-based
}

func (t token) String() string {
	if t.kind == tokEOF {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

func lex(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '+' || c == '-' || c == '*' || c == '/':
			toks = append(toks, token{tokOp, string(c), i + 1})
			i++
		case c == '(':
			toks = append(toks, token{tokLParen, "(", i + 1})
			i++
		case c == ')':
			toks = append(toks, token{tokRParen, ")", i + 1})
			i++
		case isDigit(c) || c == '.':
			j := i
			for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
				j++
			}
			// An exponent: 1e6, 2.5E-3.
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && isDigit(s[k]) {
					for k < len(s) && isDigit(s[k]) {
						k++
					}
					j = k
				}
			}
			text := s[i:j]
			if _, err := strconv.ParseFloat(text, 64); err != nil {
				return nil, fmt.Errorf("%q at column %d is not a number", text, i+1)
			}
			if j < len(s) && isIDChar(s[j]) {
				return nil, fmt.Errorf("%q at column %d is not a number or an id", text+string(s[j]), i+1)
			}
			toks = append(toks, token{tokNumber, text, i + 1})
			i = j
		case isLetter(c) || c == '_':
			j := i
			for j < len(s) && isIDChar(s[j]) {
				j++
			}
			toks = append(toks, token{tokID, s[i:j], i + 1})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q at column %d: only numbers, query ids, + - * / and parentheses are allowed", rune(c), i+1)
		}
	}
	return append(toks, token{kind: tokEOF, col: len(s) + 1}), nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIDChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '_' }

type exprParser struct {
	toks []token
	pos  int
	ids  []string
}

func (p *exprParser) peek() token { return p.toks[p.pos] }

func (p *exprParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *exprParser) expr(depth int) error {
	if err := p.term(depth); err != nil {
		return err
	}
	for t := p.peek(); t.kind == tokOp && (t.text == "+" || t.text == "-"); t = p.peek() {
		p.next()
		if err := p.term(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *exprParser) term(depth int) error {
	if err := p.unary(depth); err != nil {
		return err
	}
	for t := p.peek(); t.kind == tokOp && (t.text == "*" || t.text == "/"); t = p.peek() {
		p.next()
		if err := p.unary(depth); err != nil {
			return err
		}
	}
	return nil
}

func (p *exprParser) unary(depth int) error {
	if depth > maxExpressionDepth {
		return fmt.Errorf("nested deeper than %d levels at column %d", maxExpressionDepth, p.peek().col)
	}
	if t := p.peek(); t.kind == tokOp && (t.text == "+" || t.text == "-") {
		p.next()
		return p.unary(depth + 1)
	}
	return p.primary(depth)
}

func (p *exprParser) primary(depth int) error {
	t := p.next()
	switch t.kind {
	case tokNumber:
		return nil
	case tokID:
		if p.peek().kind == tokLParen {
			return fmt.Errorf("%s at column %d: functions are not supported, only + - * / over query ids and numbers", t, t.col)
		}
		p.ids = append(p.ids, t.text)
		return nil
	case tokLParen:
		if err := p.expr(depth + 1); err != nil {
			return err
		}
		if c := p.next(); c.kind != tokRParen {
			return fmt.Errorf("missing \")\" for the \"(\" at column %d: found %s at column %d", t.col, c, c.col)
		}
		return nil
	}
	return fmt.Errorf("expected a number, a query id or \"(\", found %s at column %d", t, t.col)
}
