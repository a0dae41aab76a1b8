package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// docs/CONFIG.md embeds the output of `sextant config docs`; this keeps it
// from going stale when a key is added.
func TestConfigDocsCurrent(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CONFIG.md")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	writeConfigDocs(&buf)
	if !strings.Contains(string(doc), buf.String()) {
		t.Errorf("docs/CONFIG.md is out of date; regenerate its table with: go run ./cmd/sextant config docs\n%s", buf.String())
	}
}
