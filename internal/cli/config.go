package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/sextant-dev/sextant/internal/config"
)

func runConfig(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "config", "config check|docs [flags]")
	cf := addConfigFlags(fs, "addr", "db", "log.format", "log.level")
	if err := fs.parse(args); err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "check":
		cfg, err := cf.load(env)
		var ps config.Problems
		if errors.As(err, &ps) {
			for _, p := range sortedProblems(ps) {
				fmt.Fprintln(env.Stdout, p.String())
			}
			return exitCodeError{code: ExitError, msg: fmt.Sprintf("%d problem(s) in the configuration", len(ps))}
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "configuration OK: listening on %s, database %s\n", cfg.Addr, redactedDB(cfg.DB))
		return nil
	case "docs":
		writeConfigDocs(env.Stdout)
		return nil
	case "":
		return usageError{errors.New("missing subcommand: config check or config docs")}
	default:
		return usageError{fmt.Errorf("unknown subcommand %q: want check or docs", fs.Arg(0))}
	}
}

func redactedDB(dsn string) string {
	if i := strings.Index(dsn, "@"); i > 0 && strings.Contains(dsn[:i], "://") {
		scheme := dsn[:strings.Index(dsn, "://")+3]
		return scheme + "…" + dsn[i:]
	}
	return dsn
}

// writeConfigDocs prints the key reference that docs/CONFIG.md embeds; a
// test keeps the two equal.
func writeConfigDocs(w io.Writer) {
	def := config.Default()
	defaults := config.DefaultStrings(def)
	fmt.Fprintln(w, "| key | environment | default | meaning |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, f := range config.Fields() {
		env := "`" + f.Env + "`"
		if f.Secret {
			env += ", `" + f.Env + "_FILE`"
		}
		if f.Alias != "" {
			env += ", `" + f.Alias + "`"
		}
		d := defaults[f.Key]
		if d != "" {
			d = "`" + d + "`"
		}
		help := f.Help
		if f.Secret {
			help += "; secret: also `" + f.Key + "_file` in YAML"
		}
		typ := f.Type
		if typ == "int" || typ == "int64" {
			typ = "integer"
		}
		help = strings.ReplaceAll(help, "|", `\|`)
		fmt.Fprintf(w, "| `%s` | %s | %s | %s (%s) |\n", f.Key, env, d, help, typ)
	}
}
