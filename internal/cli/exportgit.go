package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

// exportGit writes each normalized event as DIR/YYYY/MM/DD/<id>.json and
// commits what is new, the way the telemetry collector archived its events.
// Files are deterministic and never rewritten, so a run with nothing new
// leaves the tree clean and makes no commit.
func exportGit(ctx context.Context, env Env, db *store.DB, dir string, f store.ExportFilter) error {
	if _, err := exec.LookPath("git"); err != nil {
		return errors.New("--git needs the git command on PATH")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--git: %w", err)
	}
	if _, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree"); err != nil {
		if _, err := git(ctx, dir, "init", "--quiet"); err != nil {
			return fmt.Errorf("--git: %s is not a git working tree and git init failed: %w", dir, err)
		}
	}
	var (
		written     int
		bySource    = map[string]int{}
		first, last time.Time
	)
	err := db.NormalizedEvents(ctx, f, func(e store.NormalizedEvent) error {
		path := filepath.Join(dir, e.Time.Format("2006/01/02"), safeName(e.ID)+".json")
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		body, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, append(body, '\n'), 0o644); err != nil {
			return err
		}
		written++
		bySource[e.Source]++
		if first.IsZero() || e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("export to %s: %w", dir, err)
	}
	if _, err := git(ctx, dir, "add", "-A", "."); err != nil {
		return err
	}
	if _, err := git(ctx, dir, "diff", "--cached", "--quiet"); err == nil {
		fmt.Fprintf(env.Stdout, "%s: nothing new to commit\n", dir)
		return nil
	}
	msg := fmt.Sprintf("sextant export: %d events (%d github, %d ci) from %s to %s",
		written, bySource["github"], bySource["ci"], first.Format(time.RFC3339), last.Format(time.RFC3339))
	if _, err := git(ctx, dir, "commit", "--quiet", "-m", msg); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, msg)
	return nil
}

// git runs git in dir. Archive commits are authored by Sextant, so they work
// on machines with no git identity configured.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Sextant", "GIT_AUTHOR_EMAIL=sextant@localhost",
		"GIT_COMMITTER_NAME=Sextant", "GIT_COMMITTER_EMAIL=sextant@localhost")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < 0x20 {
			return '_'
		}
		return r
	}, s)
}
