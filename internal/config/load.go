package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Field describes one configuration key.
type Field struct {
	Key    string // dotted path, as in the YAML file: github.token
	Env    string // SEXTANT_GITHUB_TOKEN
	Alias  string // another environment variable read with lower priority (GITHUB_TOKEN)
	Help   string
	Secret bool // may also be given as a file: key_file / ENV_FILE
	Type   string
	index  []int
}

// Fields lists every configuration key in declaration order.
func Fields() []Field {
	var out []Field
	walkFields(reflect.TypeOf(Config{}), "", nil, &out)
	return out
}

func walkFields(t reflect.Type, prefix string, index []int, out *[]Field) {
	for i := range t.NumField() {
		sf := t.Field(i)
		name := strings.Split(sf.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		idx := append(append([]int(nil), index...), i)
		if sf.Type.Kind() == reflect.Struct && sf.Type != reflect.TypeOf(time.Duration(0)) {
			walkFields(sf.Type, key+".", idx, out)
			continue
		}
		f := Field{
			Key:    key,
			Env:    EnvName(key),
			Help:   sf.Tag.Get("help"),
			Secret: sf.Tag.Get("secret") == "true",
			Type:   typeName(sf.Type),
			index:  idx,
		}
		if a := sf.Tag.Get("env"); a != "" {
			f.Alias = a
		}
		*out = append(*out, f)
	}
}

// EnvName is the environment variable of a key: SEXTANT_ plus the key in
// upper case with dots as underscores.
func EnvName(key string) string {
	return "SEXTANT_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func typeName(t reflect.Type) string {
	switch t {
	case reflect.TypeOf(time.Duration(0)):
		return "duration"
	case reflect.TypeOf(Secret("")):
		return "secret"
	case reflect.TypeOf(Secrets(nil)):
		return "secret list"
	case reflect.TypeOf([]string(nil)):
		return "list"
	}
	return t.Kind().String()
}

// Source says where configuration comes from. Later sources override earlier
// ones: File, then Env, then Flags.
type Source struct {
	File  string              // YAML file; empty for none
	Env   func(string) string // environment lookup; nil for none
	Flags map[string]string   // key → value, for flags the user set
}

// Load builds the configuration from the defaults and src, and validates it.
// Problems with keys are returned together as Problems; a file that cannot
// be read is a plain error.
func Load(src Source) (Config, error) {
	cfg := Default()
	fields := Fields()
	byKey := make(map[string]Field, len(fields))
	for _, f := range fields {
		byKey[f.Key] = f
	}
	var ps Problems
	if src.File != "" {
		data, err := os.ReadFile(src.File)
		if err != nil {
			return cfg, fmt.Errorf("read config file: %w", err)
		}
		ps = append(ps, loadYAML(&cfg, data, byKey)...)
	}
	if src.Env != nil {
		for _, f := range fields {
			if f.Alias != "" {
				if v := src.Env(f.Alias); v != "" {
					ps = append(ps, set(&cfg, f, v, f.Alias)...)
				}
			}
			if v := src.Env(f.Env); v != "" {
				ps = append(ps, set(&cfg, f, v, f.Env)...)
			}
			if f.Secret {
				if path := src.Env(f.Env + "_FILE"); path != "" {
					ps = append(ps, setFromFile(&cfg, f, path, f.Env+"_FILE")...)
				}
			}
		}
	}
	for key, v := range src.Flags {
		f, ok := byKey[key]
		if !ok {
			ps = append(ps, Problem{Key: key, Message: "unknown key"})
			continue
		}
		ps = append(ps, set(&cfg, f, v, f.Key)...)
	}
	ps = append(ps, cfg.Validate()...)
	if len(ps) > 0 {
		return cfg, ps
	}
	return cfg, nil
}

func loadYAML(cfg *Config, data []byte, byKey map[string]Field) Problems {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Problems{{Key: "(file)", Message: "not valid YAML: " + err.Error()}}
	}
	if len(doc.Content) == 0 {
		return nil
	}
	var ps Problems
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		if n.Kind != yaml.MappingNode {
			ps = append(ps, Problem{Key: strings.TrimSuffix(prefix, ".") + "(file)", Message: "expected a mapping of keys"})
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := prefix + n.Content[i].Value
			val := n.Content[i+1]
			if f, ok := byKey[key]; ok {
				ps = append(ps, setNode(cfg, f, val)...)
				continue
			}
			if base, ok := strings.CutSuffix(key, "_file"); ok {
				if f, ok := byKey[base]; ok && f.Secret && val.Kind == yaml.ScalarNode {
					ps = append(ps, setFromFile(cfg, f, val.Value, key)...)
					continue
				}
			}
			if val.Kind == yaml.MappingNode && hasPrefix(byKey, key+".") {
				walk(val, key+".")
				continue
			}
			ps = append(ps, Problem{Key: key, Message: fmt.Sprintf("unknown key (line %d)", n.Content[i].Line)})
		}
	}
	walk(doc.Content[0], "")
	return ps
}

func hasPrefix(byKey map[string]Field, prefix string) bool {
	for k := range byKey {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func setNode(cfg *Config, f Field, n *yaml.Node) Problems {
	switch n.Kind {
	case yaml.ScalarNode:
		return set(cfg, f, n.Value, f.Key)
	case yaml.SequenceNode:
		if f.Type != "list" && f.Type != "secret list" {
			return Problems{{Key: f.Key, Message: fmt.Sprintf("expected a %s, got a list (line %d)", f.Type, n.Line)}}
		}
		items := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return Problems{{Key: f.Key, Message: fmt.Sprintf("list items must be strings (line %d)", c.Line)}}
			}
			items = append(items, c.Value)
		}
		return setList(cfg, f, items)
	default:
		return Problems{{Key: f.Key, Message: fmt.Sprintf("expected a %s (line %d)", f.Type, n.Line)}}
	}
}

func setFromFile(cfg *Config, f Field, path, from string) Problems {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Problems{{Key: from, Message: fmt.Sprintf("read secret file %s: %v", path, err)}}
	}
	return set(cfg, f, strings.TrimRight(string(data), "\r\n"), from)
}

// set assigns a string value to f. Messages name the key or variable it came
// from and never repeat a secret's value.
func set(cfg *Config, f Field, raw, from string) Problems {
	v := reflect.ValueOf(cfg).Elem().FieldByIndex(f.index)
	shown := strconv.Quote(raw)
	if f.Secret {
		shown = "the value"
	}
	bad := func(want string) Problems {
		return Problems{{Key: from, Message: fmt.Sprintf("%s is not %s", shown, want)}}
	}
	switch f.Type {
	case "duration":
		d, err := time.ParseDuration(raw)
		if err != nil {
			return bad("a duration such as 30s or 5m")
		}
		v.SetInt(int64(d))
	case "list", "secret list":
		return setList(cfg, f, strings.Split(raw, ","))
	case "bool":
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return bad("true or false")
		}
		v.SetBool(b)
	case "int", "int64":
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			return bad("an integer")
		}
		v.SetInt(n)
	default:
		v.SetString(raw)
	}
	return nil
}

func setList(cfg *Config, f Field, items []string) Problems {
	v := reflect.ValueOf(cfg).Elem().FieldByIndex(f.index)
	out := reflect.MakeSlice(v.Type(), 0, len(items))
	for _, it := range items {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		out = reflect.Append(out, reflect.ValueOf(it).Convert(v.Type().Elem()))
	}
	v.Set(out)
	return nil
}

// DefaultStrings renders each key's value in cfg as text, for documentation.
// Secrets render empty.
func DefaultStrings(cfg Config) map[string]string {
	out := map[string]string{}
	v := reflect.ValueOf(cfg)
	for _, f := range Fields() {
		if f.Secret {
			continue
		}
		fv := v.FieldByIndex(f.index)
		switch {
		case f.Type == "list":
			out[f.Key] = strings.Join(fv.Interface().([]string), ",")
		case f.Type == "bool" && !fv.Bool(), fv.IsZero():
			out[f.Key] = ""
		default:
			out[f.Key] = fmt.Sprint(fv.Interface())
		}
	}
	return out
}
