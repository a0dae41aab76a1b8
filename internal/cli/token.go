package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sextant-dev/sextant/internal/store"
)

// runToken manages API tokens: token create, token list, token revoke.
// It works on the database directly, like migrate; the server needs no
// restart to accept a new token or refuse a revoked one.
func runToken(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet(env, "token", "token create --name NAME --scope SCOPE[,SCOPE] | token list [--all] | token revoke NAME")
	cf := addConfigFlags(fs, "db")
	name := fs.String("name", "", "token create: the new token's name")
	scopes := fs.String("scope", "", "token create: scopes, comma-separated: events:write (report events), events:read (list them)")
	all := fs.Bool("all", false, "token list: include revoked tokens")
	if err := fs.parse(args); err != nil {
		return err
	}
	sub := fs.Arg(0)
	want := map[string]int{"create": 1, "list": 1, "revoke": 2}
	n, ok := want[sub]
	switch {
	case sub == "":
		return usageError{errors.New("missing subcommand: token create, token list or token revoke")}
	case !ok:
		return usageError{fmt.Errorf("unknown subcommand %q: want create, list or revoke", sub)}
	case fs.NArg() < n:
		return usageError{errors.New("token revoke needs the token's name")}
	case fs.NArg() > n:
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(n))}
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

	switch sub {
	case "create":
		list := strings.FieldsFunc(*scopes, func(r rune) bool { return r == ',' || r == '+' || r == ' ' })
		if ps := store.CheckToken(*name, list); len(ps) > 0 {
			return usageError{ps}
		}
		secret, tok, err := db.CreateToken(ctx, *name, list, time.Now())
		if err != nil {
			return err
		}
		// The token alone on stdout, so scripts can capture it; it is shown
		// this once and stored only as a hash.
		fmt.Fprintln(env.Stdout, secret)
		fmt.Fprintf(env.Stderr, "created token %q with scopes %s; store it now, it cannot be shown again\n",
			tok.Name, strings.Join(tok.Scopes, ","))
		return nil
	case "list":
		tokens, err := db.Tokens(ctx, *all)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSCOPES\tSOURCE\tCREATED\tLAST USED\tREVOKED")
		for _, t := range tokens {
			source := "cli"
			if t.FromConfig {
				source = "config"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, strings.Join(t.Scopes, ","), source,
				stamp(t.CreatedAt), stamp(t.LastUsedAt), stamp(t.RevokedAt))
		}
		return tw.Flush()
	default:
		if err := db.RevokeToken(ctx, fs.Arg(1), time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked token %q\n", fs.Arg(1))
		return nil
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
