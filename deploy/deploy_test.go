// Package deploy_test checks the deployment files (Dockerfile, compose,
// Helm chart, Terraform) against the binary, since no Docker engine, Helm or
// cloud account is available to CI: every file parses, and every flag,
// command, environment variable, port and probe path they use is real.
package deploy_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"text/template"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"gopkg.in/yaml.v3"

	"github.com/sextant-dev/sextant/internal/cli"
	"github.com/sextant-dev/sextant/internal/config"
)

const root = ".."

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// knownEnv is every environment variable the binary reads.
func knownEnv() map[string]bool {
	env := map[string]bool{"SEXTANT_CONFIG": true}
	for _, f := range config.Fields() {
		env[f.Env] = true
		if f.Secret {
			env[f.Env+"_FILE"] = true
		}
	}
	return env
}

var envRef = regexp.MustCompile(`SEXTANT_[A-Z0-9_]+`)

func deployFiles(t *testing.T) map[string]string {
	files := map[string]string{}
	for _, p := range []string{"Dockerfile", "docker-compose.yml"} {
		files[p] = read(t, p)
	}
	for _, glob := range []string{"deploy/helm/sextant/*.yaml", "deploy/helm/sextant/templates/*", "deploy/terraform/aws/*.tf"} {
		matches, _ := filepath.Glob(filepath.Join(root, glob))
		if len(matches) == 0 {
			t.Fatalf("no files match %s", glob)
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(root, m)
			files[rel] = read(t, rel)
		}
	}
	return files
}

func TestEnvironmentNamesAreReal(t *testing.T) {
	known := knownEnv()
	used := 0
	for path, content := range deployFiles(t) {
		for _, name := range envRef.FindAllString(content, -1) {
			used++
			if !known[name] {
				t.Errorf("%s uses %s, which sextant does not read", path, name)
			}
		}
	}
	if used < 10 {
		t.Errorf("only %d environment references found; the files should configure sextant through them", used)
	}
}

func TestCommandsAreReal(t *testing.T) {
	df := read(t, "Dockerfile")
	cmds := map[string]bool{}
	for _, re := range []string{`CMD \["(\w+)"\]`, `"/usr/local/bin/sextant", "(\w+)"`} {
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(df, -1) {
			cmds[m[1]] = true
		}
	}
	for _, m := range regexp.MustCompile(`args: \["(\w+)"\]|command\s+= \["(\w+)"\]|"sextant", "(\w+)"`).FindAllStringSubmatch(
		read(t, "deploy/helm/sextant/templates/deployment.yaml")+read(t, "deploy/terraform/aws/main.tf"), -1) {
		cmds[m[1]+m[2]+m[3]] = true
	}
	if !cmds["serve"] || !cmds["healthcheck"] {
		t.Fatalf("expected serve and healthcheck among the commands used, got %v", cmds)
	}
	for c := range cmds {
		var out bytes.Buffer
		code := cli.Run(context.Background(), cli.Env{Stdout: &out, Stderr: &out, Getenv: func(string) string { return "" }}, []string{c, "-h"})
		if code != 0 {
			t.Errorf("deployment files run `sextant %s`, which is not a command: %s", c, out.String())
		}
	}
}

// The port each file publishes is the port it tells sextant to listen on.
func TestPortsAgree(t *testing.T) {
	df := read(t, "Dockerfile")
	expose := regexp.MustCompile(`EXPOSE (\d+)`).FindStringSubmatch(df)
	addr := regexp.MustCompile(`SEXTANT_ADDR=0\.0\.0\.0:(\d+)`).FindStringSubmatch(df)
	if expose == nil || addr == nil || expose[1] != addr[1] {
		t.Errorf("Dockerfile: EXPOSE %v but SEXTANT_ADDR port %v", expose, addr)
	}
	var compose struct {
		XSextant struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"x-sextant"`
		Services map[string]struct {
			Ports []string `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "docker-compose.yml")), &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	port := strings.TrimPrefix(compose.XSextant.Environment["SEXTANT_ADDR"], "0.0.0.0:")
	replicas := 0
	for name, svc := range compose.Services {
		if !strings.HasPrefix(name, "sextant") {
			continue
		}
		replicas++
		if len(svc.Ports) != 1 || !strings.HasSuffix(svc.Ports[0], ":"+port) {
			t.Errorf("compose service %s publishes %v, want container port %s", name, svc.Ports, port)
		}
	}
	if replicas != 2 {
		t.Errorf("compose has %d sextant services, want 2 replicas", replicas)
	}
	if !strings.HasPrefix(compose.XSextant.Environment["SEXTANT_DB"], "postgres://") {
		t.Error("compose replicas must share PostgreSQL")
	}
	if tf := read(t, "deploy/terraform/aws/main.tf"); !strings.Contains(tf, "port   = "+addr[1]) {
		t.Errorf("terraform local.port is not %s", addr[1])
	}
}

func TestTerraformParses(t *testing.T) {
	p := hclparse.NewParser()
	files, _ := filepath.Glob(filepath.Join(root, "deploy/terraform/aws/*.tf"))
	outputs := map[string]bool{}
	for _, f := range files {
		file, diags := p.ParseHCLFile(f)
		if diags.HasErrors() {
			t.Errorf("%s: %s", f, diags.Error())
			continue
		}
		content, _, _ := file.Body.PartialContent(&hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "output", LabelNames: []string{"name"}}}})
		for _, b := range content.Blocks {
			outputs[b.Labels[0]] = true
		}
	}
	if !outputs["webhook_url"] {
		t.Errorf("terraform outputs %v lack webhook_url", outputs)
	}
	if !strings.Contains(read(t, "deploy/terraform/aws/outputs.tf"), "/webhooks/github") {
		t.Error("webhook_url output does not point at /webhooks/github")
	}
}

// helmFuncs implements the few Helm template functions the chart uses, so
// the chart can be rendered with text/template and its output parsed.
func helmFuncs(tpl **template.Template) template.FuncMap {
	indent := func(n int, s string) string {
		pad := strings.Repeat(" ", n)
		return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
	}
	return template.FuncMap{
		"include": func(name string, data any) (string, error) {
			var buf bytes.Buffer
			err := (*tpl).ExecuteTemplate(&buf, name, data)
			return buf.String(), err
		},
		"toYaml": func(v any) string {
			b, _ := yaml.Marshal(v)
			return strings.TrimSuffix(string(b), "\n")
		},
		"nindent": func(n int, s string) string { return "\n" + indent(n, s) },
		"quote":   func(v any) string { return fmt.Sprintf("%q", fmt.Sprint(v)) },
		"default": func(d, v any) any {
			if v == nil || v == "" {
				return d
			}
			return v
		},
		"trunc":      func(n int, s string) string { return s[:min(n, len(s))] },
		"trimSuffix": func(suf, s string) string { return strings.TrimSuffix(s, suf) },
		"sha256sum": func(s string) string {
			h := sha256.Sum256([]byte(s))
			return hex.EncodeToString(h[:])
		},
	}
}

func TestHelmChartRenders(t *testing.T) {
	var values map[string]any
	if err := yaml.Unmarshal([]byte(read(t, "deploy/helm/sextant/values.yaml")), &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	var chart map[string]any
	if err := yaml.Unmarshal([]byte(read(t, "deploy/helm/sextant/Chart.yaml")), &chart); err != nil {
		t.Fatalf("Chart.yaml: %v", err)
	}
	// The config block is mounted as sextant's config file: its keys must be real.
	cfgYAML, _ := yaml.Marshal(values["config"])
	cfgFile := filepath.Join(t.TempDir(), "sextant.yml")
	os.WriteFile(cfgFile, cfgYAML, 0o600)
	if _, err := config.Load(config.Source{File: cfgFile}); err != nil {
		t.Errorf("values.yaml config block is not a valid sextant config: %v", err)
	}

	// Render with every optional part switched on.
	values["ingress"].(map[string]any)["enabled"] = true
	values["database"].(map[string]any)["existingSecret"] = "sextant-db"
	gh := values["github"].(map[string]any)
	for _, k := range []string{"tokenSecret", "webhookSecret", "appPrivateKeySecret"} {
		gh[k].(map[string]any)["name"] = "sextant-" + k
	}
	data := map[string]any{
		"Values":  values,
		"Release": map[string]any{"Name": "prod"},
		"Chart":   map[string]any{"Name": chart["name"], "AppVersion": chart["appVersion"]},
	}
	var tpl *template.Template
	tpl = template.New("chart").Option("missingkey=error").Funcs(helmFuncs(&tpl))
	files, _ := filepath.Glob(filepath.Join(root, "deploy/helm/sextant/templates/*"))
	for _, f := range files {
		if _, err := tpl.New(filepath.Base(f)).Parse(read(t, filepath.Join("deploy/helm/sextant/templates", filepath.Base(f)))); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	kinds := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "_") {
			continue
		}
		var out bytes.Buffer
		if err := tpl.ExecuteTemplate(&out, name, data); err != nil {
			t.Errorf("render %s: %v", name, err)
			continue
		}
		dec := yaml.NewDecoder(&out)
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); err == io.EOF {
				break
			} else if err != nil {
				t.Errorf("%s renders invalid YAML: %v", name, err)
				break
			}
			if doc != nil {
				kinds[fmt.Sprint(doc["kind"])] = true
			}
		}
	}
	for _, k := range []string{"Deployment", "Service", "Ingress", "ConfigMap", "PodDisruptionBudget"} {
		if !kinds[k] {
			t.Errorf("chart renders no %s (got %v)", k, kinds)
		}
	}
	dep := read(t, "deploy/helm/sextant/templates/deployment.yaml")
	for _, probe := range []string{"path: /healthz", "path: /readyz", "secretKeyRef"} {
		if !strings.Contains(dep, probe) {
			t.Errorf("deployment lacks %q", probe)
		}
	}
}
