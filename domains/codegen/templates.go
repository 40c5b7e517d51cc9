package codegen

import (
	_ "embed"
	"text/template"
)

//go:embed templates/domain.go.tmpl
var domainSrc string

//go:embed templates/world.go.tmpl
var worldSrc string

var (
	domainTmpl = template.Must(template.New("domain").Parse(domainSrc))
	worldTmpl  = template.Must(template.New("world").Parse(worldSrc))
)
