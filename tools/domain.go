package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// DomainsVersion is the version of the domains.json layout written by
// WriteDomains.
const DomainsVersion = 1

// Domain is a cluster of related tools, the unit that becomes one
// simulated world (schema, code and state) downstream.
type Domain struct {
	// Name is unique, a valid identifier, derived from the domain's
	// dominant words.
	Name string `json:"name"`
	// Keywords are the words that most distinguish the domain.
	Keywords []string `json:"keywords"`
	// Tools are the names (Tool.Name) of the domain's tools, sorted.
	Tools []string `json:"tools"`
}

// DomainFile is the content of domains.json: the clustering and the full
// normalized tools it refers to.
type DomainFile struct {
	Version    int       `json:"version"`
	Seed       uint64    `json:"seed"`
	Resolution float64   `json:"resolution"`
	Specs      int       `json:"specs"`
	Edges      int       `json:"edges"`
	Modularity float64   `json:"modularity"`
	NMI        *float64  `json:"nmi"`
	Domains    []Domain  `json:"domains"`
	Tools      []*Tool   `json:"tools"`
	Skipped    []Skipped `json:"skipped"`
	Repaired   []Skipped `json:"repaired,omitempty"`
}

// ToolByName indexes the file's tools by name.
func (f *DomainFile) ToolByName() map[string]*Tool {
	m := make(map[string]*Tool, len(f.Tools))
	for _, t := range f.Tools {
		m[t.Name] = t
	}
	return m
}

// Marshal encodes f as indented JSON, byte-identical for equal content.
func (f *DomainFile) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", " ")
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("encode domains: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadDomains reads a domains.json file and checks that every tool a
// domain names exists.
func ReadDomains(path string) (*DomainFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read domains %s: %w", path, err)
	}
	var f DomainFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("read domains %s: %w", path, err)
	}
	if f.Version != DomainsVersion {
		return nil, fmt.Errorf("read domains %s: version %d, want %d", path, f.Version, DomainsVersion)
	}
	byName := f.ToolByName()
	for i, d := range f.Domains {
		for _, n := range d.Tools {
			if byName[n] == nil {
				return nil, fmt.Errorf("read domains %s: domains[%d] (%s) names unknown tool %q", path, i, d.Name, n)
			}
		}
	}
	return &f, nil
}
