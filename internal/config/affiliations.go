package config

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Affiliation says that a login, or people with an email address at a
// domain, worked for a company from Since (inclusive) until Until
// (exclusive); a zero time is open-ended.
type Affiliation struct {
	Company     string
	Login       string // lower case; empty for a domain rule
	EmailDomain string // lower case; empty for a login rule
	Since       time.Time
	Until       time.Time
	Line        int // where it was given, for messages
}

var domainPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)

// AffiliationProblems lists what is wrong with an affiliations file, each
// naming its line and field.
type AffiliationProblems []string

func (ps AffiliationProblems) Error() string {
	return strings.Join(ps, "; ")
}

// LoadAffiliations reads an affiliations file: YAML (a list of entries
// with company, logins, email_domains, since and until) or, when the name
// ends in .csv, CSV with the header company,login,email_domain,since,until.
// Every problem is reported, by line and field.
func LoadAffiliations(file string) ([]Affiliation, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	var (
		out []Affiliation
		ps  AffiliationProblems
	)
	if strings.EqualFold(filepath.Ext(file), ".csv") {
		out, ps = parseAffiliationsCSV(string(data))
	} else {
		out, ps = parseAffiliationsYAML(data)
	}
	ps = append(ps, overlaps(out)...)
	if len(ps) > 0 {
		return nil, fmt.Errorf("%s: %w", file, ps)
	}
	return out, nil
}

// entry is one company's rule before it is split per login and domain.
type entry struct {
	line         int
	company      string
	logins       []string
	domains      []string
	since, until string
	fieldLine    map[string]int
}

func (e entry) expand(ps *AffiliationProblems) []Affiliation {
	bad := func(field, format string, args ...any) {
		line := e.line
		if l, ok := e.fieldLine[field]; ok {
			line = l
		}
		*ps = append(*ps, fmt.Sprintf("line %d: %s: %s", line, field, fmt.Sprintf(format, args...)))
	}
	company := strings.TrimSpace(e.company)
	if company == "" {
		bad("company", "is required")
	}
	if len(e.logins) == 0 && len(e.domains) == 0 {
		bad("logins", "give at least one login or email domain")
	}
	since, err := parseAffiliationTime(e.since)
	if err != nil {
		bad("since", "%q is not a date such as 2024-01-01 or an RFC 3339 time", e.since)
	}
	until, err2 := parseAffiliationTime(e.until)
	if err2 != nil {
		bad("until", "%q is not a date such as 2024-07-01 or an RFC 3339 time", e.until)
	}
	if err == nil && err2 == nil && !since.IsZero() && !until.IsZero() && !until.After(since) {
		bad("until", "%s is not after since (%s)", e.until, e.since)
	}
	var out []Affiliation
	for _, l := range e.logins {
		l = strings.TrimSpace(l)
		if !loginPattern.MatchString(l) {
			bad("logins", "%q is not a GitHub login", l)
			continue
		}
		out = append(out, Affiliation{Company: company, Login: strings.ToLower(l), Since: since, Until: until, Line: e.line})
	}
	for _, d := range e.domains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if !domainPattern.MatchString(d) {
			bad("email_domains", "%q is not an email domain such as example.com", d)
			continue
		}
		out = append(out, Affiliation{Company: company, EmailDomain: d, Since: since, Until: until, Line: e.line})
	}
	return out
}

func parseAffiliationTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	return t.UTC(), err
}

var yamlFields = []string{"company", "logins", "email_domains", "since", "until"}

func parseAffiliationsYAML(data []byte) ([]Affiliation, AffiliationProblems) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, AffiliationProblems{"not valid YAML: " + err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.SequenceNode {
		return nil, AffiliationProblems{fmt.Sprintf("line %d: expected a list of entries with %s", root.Line, strings.Join(yamlFields, ", "))}
	}
	var (
		out []Affiliation
		ps  AffiliationProblems
	)
	for _, n := range root.Content {
		if n.Kind != yaml.MappingNode {
			ps = append(ps, fmt.Sprintf("line %d: expected an entry with %s", n.Line, strings.Join(yamlFields, ", ")))
			continue
		}
		e := entry{line: n.Line, fieldLine: map[string]int{}}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			e.fieldLine[k.Value] = k.Line
			scalar := func() string {
				if v.Kind != yaml.ScalarNode {
					ps = append(ps, fmt.Sprintf("line %d: %s: expected a single value", v.Line, k.Value))
					return ""
				}
				return v.Value
			}
			list := func() []string {
				switch v.Kind {
				case yaml.ScalarNode:
					return []string{v.Value}
				case yaml.SequenceNode:
					var items []string
					for _, c := range v.Content {
						if c.Kind != yaml.ScalarNode {
							ps = append(ps, fmt.Sprintf("line %d: %s: list items must be strings", c.Line, k.Value))
							continue
						}
						items = append(items, c.Value)
					}
					return items
				}
				ps = append(ps, fmt.Sprintf("line %d: %s: expected a list", v.Line, k.Value))
				return nil
			}
			switch k.Value {
			case "company":
				e.company = scalar()
			case "logins":
				e.logins = list()
			case "email_domains":
				e.domains = list()
			case "since":
				e.since = scalar()
			case "until":
				e.until = scalar()
			default:
				ps = append(ps, fmt.Sprintf("line %d: %s: unknown field (known: %s)", k.Line, k.Value, strings.Join(yamlFields, ", ")))
			}
		}
		out = append(out, e.expand(&ps)...)
	}
	return out, ps
}

var csvFields = []string{"company", "login", "email_domain", "since", "until"}

func parseAffiliationsCSV(text string) ([]Affiliation, AffiliationProblems) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var (
		out    []Affiliation
		ps     AffiliationProblems
		column map[string]int
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return out, append(ps, fmt.Sprintf("line %d: not valid CSV: %v", line, err))
		}
		if column == nil {
			column = map[string]int{}
			for i, name := range rec {
				name = strings.ToLower(strings.TrimSpace(name))
				if !slices.Contains(csvFields, name) {
					ps = append(ps, fmt.Sprintf("line %d: column %q is unknown (the header is %s)", line, name, strings.Join(csvFields, ",")))
					continue
				}
				column[name] = i
			}
			if _, ok := column["company"]; !ok {
				ps = append(ps, fmt.Sprintf("line %d: the header needs a company column (%s)", line, strings.Join(csvFields, ",")))
			}
			if len(ps) > 0 {
				return nil, ps
			}
			continue
		}
		get := func(name string) string {
			if i, ok := column[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		e := entry{line: line, company: get("company"), since: get("since"), until: get("until")}
		if l := get("login"); l != "" {
			e.logins = []string{l}
		}
		if d := get("email_domain"); d != "" {
			e.domains = []string{d}
		}
		if len(e.logins) == 0 && len(e.domains) == 0 {
			ps = append(ps, fmt.Sprintf("line %d: login: give a login or an email_domain", line))
			continue
		}
		out = append(out, e.expand(&ps)...)
	}
	return out, ps
}

// overlaps reports a login or domain given two spans that share time: the
// company of the day would be ambiguous.
func overlaps(as []Affiliation) AffiliationProblems {
	byKey := map[string][]Affiliation{}
	for _, a := range as {
		key := "login " + a.Login
		if a.Login == "" {
			key = "email domain " + a.EmailDomain
		}
		byKey[key] = append(byKey[key], a)
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ps AffiliationProblems
	for _, k := range keys {
		list := byKey[k]
		for i := range list {
			for j := i + 1; j < len(list); j++ {
				a, b := list[i], list[j]
				if (a.Until.IsZero() || b.Since.Before(a.Until)) && (b.Until.IsZero() || a.Since.Before(b.Until)) {
					ps = append(ps, fmt.Sprintf("line %d: %s is already given on line %d for an overlapping time (%s and %s)",
						b.Line, k, a.Line, a.Company, b.Company))
				}
			}
		}
	}
	return ps
}
