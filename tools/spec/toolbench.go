package spec

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/simgym/simgym/tools"
)

// toolBenchTool is a ToolBench (RapidAPI) tool document.
type toolBenchTool struct {
	ToolName        string         `json:"tool_name"`
	Title           string         `json:"title"`
	StandardName    string         `json:"standardized_name"`
	ToolDescription string         `json:"tool_description"`
	Category        string         `json:"category"`
	CategoryName    string         `json:"category_name"`
	APIList         []toolBenchAPI `json:"api_list"`
}

type toolBenchAPI struct {
	Name               string           `json:"name"`
	URL                string           `json:"url"`
	Description        string           `json:"description"`
	Method             string           `json:"method"`
	RequiredParameters []toolBenchParam `json:"required_parameters"`
	OptionalParameters []toolBenchParam `json:"optional_parameters"`
}

type toolBenchParam struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Default     any    `json:"default"`
}

// toolBenchTypes maps RapidAPI's parameter types to JSON Schema.
var toolBenchTypes = map[string]tools.Schema{
	"STRING":                         {Type: "string"},
	"NUMBER":                         {Type: "number"},
	"INTEGER":                        {Type: "integer"},
	"BOOLEAN":                        {Type: "boolean"},
	"ENUM":                           {Type: "string"},
	"DATE":                           {Type: "string", Format: "date"},
	"DATE (YYYY-MM-DD)":              {Type: "string", Format: "date"},
	"TIME":                           {Type: "string", Format: "time"},
	"TIME (24-HOUR HH:MM)":           {Type: "string", Format: "time"},
	"GEOPOINT":                       {Type: "string"},
	"GEOPOINT (LATITUDE, LONGITUDE)": {Type: "string"},
	"OBJECT":                         {Type: "object"},
	"ARRAY":                          {Type: "array"},
	"FILE":                           {Type: "string"},
	"BINARY":                         {Type: "string"},
	"CREDENTIALS":                    {Type: "string"},
	"JSON":                           {Type: "object"},
}

// readToolBench reads a ToolBench tool document: one tool per api_list
// entry, named after the tool and the API.
func readToolBench(where string, top map[string]json.RawMessage) ([]*tools.Tool, []tools.Skipped) {
	raw, err := json.Marshal(top)
	if err != nil {
		return nil, []tools.Skipped{{File: where, Reason: err.Error()}}
	}
	var tb toolBenchTool
	if err := json.Unmarshal(raw, &tb); err != nil {
		return nil, []tools.Skipped{{File: where, Reason: fmt.Sprintf("ToolBench tool: %v", err)}}
	}
	toolName := firstNonEmpty(tb.StandardName, tb.ToolName, tb.Title)
	var cats []string
	if c := firstNonEmpty(tb.CategoryName, tb.Category); c != "" {
		cats = []string{c}
	}
	var out []*tools.Tool
	var skipped []tools.Skipped
	for i, api := range tb.APIList {
		path := fmt.Sprintf("%s#/api_list/%d", where, i)
		if strings.TrimSpace(api.Name) == "" {
			skipped = append(skipped, tools.Skipped{File: where, Reason: path + "/name: API has no name"})
			continue
		}
		params := tools.ObjectSchema()
		bad := ""
		for _, group := range []struct {
			list     []toolBenchParam
			required bool
			key      string
		}{{api.RequiredParameters, true, "required_parameters"}, {api.OptionalParameters, false, "optional_parameters"}} {
			for j, p := range group.list {
				if strings.TrimSpace(p.Name) == "" {
					bad = fmt.Sprintf("%s/%s/%d/name: parameter has no name", path, group.key, j)
					break
				}
				base, ok := toolBenchTypes[strings.ToUpper(strings.TrimSpace(p.Type))]
				if !ok {
					base = tools.Schema{Type: "string"}
				}
				s := base
				s.Description = clip(p.Description)
				if p.Default != nil && p.Default != "" {
					s.Default = p.Default
				}
				s.In = "query"
				params.Properties[p.Name] = &s
				if group.required {
					params.Required = append(params.Required, p.Name)
				}
			}
		}
		if bad != "" {
			skipped = append(skipped, tools.Skipped{File: where, Reason: bad})
			continue
		}
		params.Normalize()
		method := strings.ToUpper(strings.TrimSpace(api.Method))
		var urlPath string
		if u, err := url.Parse(api.URL); err == nil {
			urlPath = u.Path
		}
		desc := api.Description
		if desc == "" {
			desc = tb.ToolDescription
		}
		out = append(out, &tools.Tool{
			OriginalName: toolName + "_" + api.Name,
			Description:  clip(desc),
			Parameters:   params,
			Method:       method,
			Path:         urlPath,
			Source: tools.Source{
				File: where, Format: FormatToolBench,
				Operation: api.Name, Spec: firstNonEmpty(tb.Title, tb.ToolName),
			},
			Categories: cats,
		})
	}
	if len(out) == 0 && len(skipped) == 0 {
		skipped = append(skipped, tools.Skipped{File: where, Reason: "ToolBench tool has an empty api_list"})
	}
	return out, skipped
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
