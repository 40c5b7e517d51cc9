package airline

// The calculate tool's arithmetic. The tool's description allows
// numbers, + - * /, parentheses and spaces; tau-bench evaluates such an
// expression as Python arithmetic and answers with the result as a
// float rounded to two decimals ("2 * (3 + 4)" gives "14.0", as its
// recorded observations show). Python also reads ** (power) and //
// (floor division) from those characters, so they are accepted too.

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// calcChars are the characters an expression may hold.
const calcChars = "0123456789+-*/(). "

var (
	errCalcChars  = errors.New("invalid characters in expression")
	errCalcSyntax = errors.New("invalid expression")
	errCalcZero   = errors.New("division by zero")
)

// evaluate computes an expression and rounds the result to two decimals
// as Python's round(x, 2) does.
func evaluate(expr string) (float64, error) {
	for _, r := range expr {
		if !strings.ContainsRune(calcChars, r) {
			return 0, errCalcChars
		}
	}
	p := &calcParser{src: expr}
	v, err := p.expr()
	if err != nil {
		return 0, err
	}
	p.space()
	if p.pos != len(p.src) {
		return 0, errCalcSyntax
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return v, nil
	}
	// FormatFloat rounds the exact binary value correctly, as Python's
	// round does.
	return strconv.ParseFloat(strconv.FormatFloat(v, 'f', 2, 64), 64)
}

// calcParser is a recursive-descent parser with Python's precedence:
// + - below * / //, below unary + -, below ** (right-associative).
type calcParser struct {
	src   string
	pos   int
	depth int // nested parentheses and unary signs, bounded by maxDepth
}

func (p *calcParser) space() {
	for p.pos < len(p.src) && p.src[p.pos] == ' ' {
		p.pos++
	}
}

// eat consumes op if it comes next (and is not the start of a longer
// operator when op is one character).
func (p *calcParser) eat(op string) bool {
	p.space()
	if !strings.HasPrefix(p.src[p.pos:], op) {
		return false
	}
	if len(op) == 1 && (op == "*" || op == "/") && strings.HasPrefix(p.src[p.pos+1:], op) {
		return false
	}
	p.pos += len(op)
	return true
}

func (p *calcParser) expr() (float64, error) {
	v, err := p.term()
	if err != nil {
		return 0, err
	}
	for {
		switch {
		case p.eat("+"):
			w, err := p.term()
			if err != nil {
				return 0, err
			}
			v += w
		case p.eat("-"):
			w, err := p.term()
			if err != nil {
				return 0, err
			}
			v -= w
		default:
			return v, nil
		}
	}
}

func (p *calcParser) term() (float64, error) {
	v, err := p.unary()
	if err != nil {
		return 0, err
	}
	for {
		var op string
		switch {
		case p.eat("//"):
			op = "//"
		case p.eat("*"):
			op = "*"
		case p.eat("/"):
			op = "/"
		default:
			return v, nil
		}
		w, err := p.unary()
		if err != nil {
			return 0, err
		}
		switch op {
		case "*":
			v *= w
		case "/":
			if w == 0 {
				return 0, errCalcZero
			}
			v /= w
		case "//":
			if w == 0 {
				return 0, errCalcZero
			}
			v = math.Floor(v / w)
		}
	}
}

func (p *calcParser) unary() (float64, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return 0, errCalcSyntax
	}
	switch {
	case p.eat("-"):
		v, err := p.unary()
		return -v, err
	case p.eat("+"):
		return p.unary()
	}
	return p.power()
}

func (p *calcParser) power() (float64, error) {
	v, err := p.atom()
	if err != nil {
		return 0, err
	}
	if p.eat("**") {
		w, err := p.unary()
		if err != nil {
			return 0, err
		}
		if v == 0 && w < 0 {
			return 0, errCalcZero
		}
		r := math.Pow(v, w)
		if math.IsNaN(r) {
			return 0, errCalcSyntax
		}
		return r, nil
	}
	return v, nil
}

func (p *calcParser) atom() (float64, error) {
	p.space()
	if p.eat("(") {
		v, err := p.expr()
		if err != nil {
			return 0, err
		}
		if !p.eat(")") {
			return 0, errCalcSyntax
		}
		return v, nil
	}
	start := p.pos
	dots := 0
	for p.pos < len(p.src) && (p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '.') {
		if p.src[p.pos] == '.' {
			dots++
		}
		p.pos++
	}
	text := p.src[start:p.pos]
	if text == "" || text == "." || dots > 1 {
		return 0, errCalcSyntax
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, errCalcSyntax
	}
	return v, nil
}
