package cli

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sextant-dev/sextant/internal/store"
)

func runExport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "export", "export --kind KIND [--format jsonl|csv] [--from T] [--to T] [--repo R] [--out FILE] | export --git DIR")
	cf := addConfigFlags(fs, "db", "log.level")
	kind := fs.String("kind", "", "what to export: "+strings.Join(exportKinds(), ", "))
	format := fs.String("format", "jsonl", "jsonl or csv")
	from := fs.String("from", "", "only rows at or after this time (RFC 3339 or YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "only rows before this time (RFC 3339 or YYYY-MM-DD, UTC)")
	repo := fs.String("repo", "", "only this repository (owner/name)")
	out := fs.String("out", "", "write to this file instead of stdout")
	gitDir := fs.String("git", "", "write normalized events as JSON files into this git working tree and commit them")
	var mq metricQuery
	fs.StringVar(&mq.group, "group", "", "leaderboard: person, team or org (default person)")
	fs.StringVar(&mq.interval, "interval", "", "dora: one row per day, week (default) or month")
	fs.StringVar(&mq.team, "team", "", "leaderboard and dora: only this team (org/slug)")
	fs.StringVar(&mq.org, "org", "", "leaderboard and dora: only this organization")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	var filter store.ExportFilter
	var err error
	if filter.From, err = parseDay(*from); err != nil {
		return usageError{fmt.Errorf("--from: %w", err)}
	}
	if filter.To, err = parseDay(*to); err != nil {
		return usageError{fmt.Errorf("--to: %w", err)}
	}
	if !filter.From.IsZero() && !filter.To.IsZero() && !filter.From.Before(filter.To) {
		return usageError{errors.New("--from must be before --to")}
	}
	filter.Repo = *repo
	if filter.Repo != "" && strings.Count(filter.Repo, "/") != 1 {
		return usageError{fmt.Errorf("--repo: %q is not owner/name", filter.Repo)}
	}
	if *gitDir == "" {
		if *kind == "" {
			return usageError{errors.New("--kind is required (or --git DIR)")}
		}
		if _, ok := store.ExportColumns(*kind); !ok && !metricExportKind(*kind) {
			return usageError{fmt.Errorf("--kind: %q is not one of %s", *kind, strings.Join(exportKinds(), ", "))}
		}
		if *format != "jsonl" && *format != "csv" {
			return usageError{fmt.Errorf("--format: %q is not jsonl or csv", *format)}
		}
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.DB, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if *gitDir != "" {
		return exportGit(ctx, env, db, *gitDir, filter)
	}
	w := env.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer f.Close()
		w = f
	}
	var n int64
	if metricExportKind(*kind) {
		engine, err := newMetricsEngine(ctx, db, cfg, newLogger(env.Stderr, cfg))
		if err != nil {
			return err
		}
		mq.repo, mq.from, mq.to = *repo, *from, *to
		cols, source, err := metricExport(ctx, engine, *kind, mq, time.Now())
		if err != nil {
			return err
		}
		n, err = writeRows(cols, source, *format, w)
		if err != nil {
			return err
		}
	} else {
		if mq != (metricQuery{}) {
			return usageError{errors.New("--group, --interval, --team and --org are for --kind leaderboard and dora")}
		}
		if n, err = exportRows(ctx, db, *kind, *format, filter, w); err != nil {
			return err
		}
	}
	if *out != "" {
		fmt.Fprintf(env.Stderr, "exported %d %s to %s\n", n, *kind, *out)
	}
	return nil
}

// parseDay accepts RFC 3339 or a bare date (midnight UTC).
func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
	}
	return t, nil
}

// writeRows streams rows as JSON lines or CSV and returns the row count.
func writeRows(cols []store.ExportColumn, rows rowSource, format string, w io.Writer) (int64, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	var n int64
	var err error
	if format == "csv" {
		cw := csv.NewWriter(bw)
		header := make([]string, len(cols))
		for i, c := range cols {
			header[i] = c.Name
		}
		cw.Write(header)
		record := make([]string, len(cols))
		err = rows(func(vals []any, valid []bool) error {
			for i, c := range cols {
				record[i] = csvValue(c.Type, vals[i], valid[i])
			}
			n++
			return cw.Write(record)
		})
		cw.Flush()
		if err == nil {
			err = cw.Error()
		}
	} else {
		var line []byte
		err = rows(func(vals []any, valid []bool) error {
			line = appendJSONRow(line[:0], cols, vals, valid)
			n++
			_, err := bw.Write(line)
			return err
		})
	}
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// exportRows streams one stored kind as JSON lines or CSV.
func exportRows(ctx context.Context, db *store.DB, kind, format string, f store.ExportFilter, w io.Writer) (int64, error) {
	cols, _ := store.ExportColumns(kind)
	return writeRows(cols, func(each func([]any, []bool) error) error { return db.Export(ctx, kind, f, each) }, format, w)
}

func csvValue(t store.ColumnType, v any, valid bool) string {
	if !valid {
		return ""
	}
	switch t {
	case store.ColInt:
		return strconv.FormatInt(v.(int64), 10)
	case store.ColBool:
		return strconv.FormatBool(v.(bool))
	case store.ColTime:
		return v.(time.Time).Format(time.RFC3339)
	case store.ColFloat:
		return strconv.FormatFloat(v.(float64), 'f', -1, 64)
	}
	return v.(string)
}

// appendJSONRow writes one object per line. It is hand-rolled because the
// export must stream a million rows a second's tenth; encoding/json's
// reflection on a map per row costs several times more.
func appendJSONRow(b []byte, cols []store.ExportColumn, vals []any, valid []bool) []byte {
	b = append(b, '{')
	for i, c := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		if !valid[i] {
			b = append(b, "null"...)
			continue
		}
		switch c.Type {
		case store.ColInt:
			b = strconv.AppendInt(b, vals[i].(int64), 10)
		case store.ColBool:
			b = strconv.AppendBool(b, vals[i].(bool))
		case store.ColFloat:
			b = strconv.AppendFloat(b, vals[i].(float64), 'f', -1, 64)
		case store.ColTime:
			b = append(b, '"')
			b = vals[i].(time.Time).AppendFormat(b, time.RFC3339)
			b = append(b, '"')
		case store.ColJSON:
			b = append(b, vals[i].(string)...)
		default:
			b = appendJSONString(b, vals[i].(string))
		}
	}
	return append(b, '}', '\n')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}
