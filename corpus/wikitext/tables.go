package wikitext

import (
	"html"
	"regexp"
	"strings"
)

// brTag matches <br> in its spellings.
var brTag = regexp.MustCompile(`(?i)<\s*/?\s*br\s*/?\s*>`)

// renderTables turns {| tables |} into plain lines: the caption, then one
// line per row with its cells joined by " | ", attributes dropped. Text
// outside tables is kept as it is.
func renderTables(s string) string {
	if !strings.Contains(s, "{|") {
		return s
	}
	var out strings.Builder
	out.Grow(len(s))
	var row []string
	depth := 0
	flush := func() {
		var cells []string
		for _, c := range row {
			c = strings.TrimSpace(brTag.ReplaceAllString(c, " "))
			if strings.TrimSpace(strings.ReplaceAll(html.UnescapeString(c), "\u00a0", " ")) != "" {
				cells = append(cells, c)
			}
		}
		if len(cells) > 0 {
			out.WriteString(strings.Join(cells, " | "))
			out.WriteByte('\n')
		}
		row = row[:0]
	}
	for _, line := range strings.Split(s, "\n") {
		t := strings.TrimLeft(line, " \t")
		if strings.HasPrefix(strings.TrimLeft(t, ":"), "{|") {
			flush()
			if depth == 0 {
				out.WriteByte('\n')
			}
			depth++
			continue
		}
		if depth == 0 {
			out.WriteString(line)
			out.WriteByte('\n')
			continue
		}
		switch {
		case strings.HasPrefix(t, "|}"):
			flush()
			depth--
			if depth == 0 {
				out.WriteByte('\n')
			}
			if rest := strings.TrimSpace(t[2:]); rest != "" {
				out.WriteString(rest)
				out.WriteByte('\n')
			}
		case strings.HasPrefix(t, "|-"):
			flush()
		case strings.HasPrefix(t, "|+"):
			flush()
			row = append(row, cellText(t[2:]))
			flush()
		case strings.HasPrefix(t, "!"):
			for _, c := range splitCells(t[1:], true) {
				row = append(row, cellText(c))
			}
		case strings.HasPrefix(t, "|"):
			for _, c := range splitCells(t[1:], false) {
				row = append(row, cellText(c))
			}
		default:
			if len(row) > 0 {
				row[len(row)-1] += " " + t
			} else if strings.TrimSpace(t) != "" {
				out.WriteString(t)
				out.WriteByte('\n')
			}
		}
	}
	flush()
	return out.String()
}

// splitCells splits a table line into cells at "||" (and "!!" in header
// lines).
func splitCells(line string, header bool) []string {
	if header {
		line = strings.ReplaceAll(line, "!!", "||")
	}
	return strings.Split(line, "||")
}

// cellAttrs matches a cell that holds only attributes, left when a
// template that made its content was removed.
var cellAttrs = regexp.MustCompile(`^\s*((?i:colspan|rowspan|style|align|valign|bgcolor|width|height|class|scope|id|nowrap|data-sort-value|data-sort-type|border|cellpadding|cellspacing|lang|dir)\s*=\s*("[^"]*"|'[^']*'|[^\s"'|]+)\s*)+$`)

// cellText drops a cell's attributes ("style=... | text").
func cellText(c string) string {
	c = strings.TrimLeft(c, "|")
	if k := strings.IndexByte(c, '|'); k >= 0 {
		attrs := c[:k]
		if strings.TrimSpace(attrs) == "" || strings.Contains(attrs, "=") {
			c = c[k+1:]
		}
	}
	if strings.ContainsRune(c, '=') && cellAttrs.MatchString(c) {
		return ""
	}
	return c
}
