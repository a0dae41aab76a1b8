// Package cli is the sextant command line: one file per subcommand, each a
// type with its own flag set and a Run method. It wires the other packages
// together, the way a main package would.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/sextant-dev/sextant/internal/config"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitError = 1
	ExitUsage = 2
)

// Env is the process environment a command sees, so tests can run commands
// in-process with their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
}

// OSEnv is the real process environment.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env Env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the HTTP server, webhook intake and background jobs", runServe},
		{"migrate", "apply database migrations (migrate status: show them)", runMigrate},
		{"demo", "generate a demo organization into a database, send it to a server as webhooks, or serve it as a fake GitHub", runDemo},
		{"config", "check a configuration (config check) or print its reference (config docs)", runConfig},
		{"export", "export pulls, reviews, deployments, incidents or events as JSONL or CSV, or archive events into git", runExport},
		{"healthcheck", "check a running server's /healthz (for container health checks)", runHealthcheck},
		{"bench", "measure a running server (bench ingest: webhook intake)", runBench},
		{"replay", "rebuild projections from the stored webhook deliveries", runReplay},
		{"metrics", "bring the derived metric tables up to date now (metrics refresh [--full])", runMetrics},
		{"sync", "sync GitHub into the database in the foreground (incremental, resumable; --full, --since for backfills)", runSync},
		{"check", "compare the database with GitHub and repair what is missing (--repair)", runCheck},
		{"report", "report a CI/CD event (deploy, incident, …) to a Sextant server", runReport},
		{"token", "create, list or revoke API tokens", runToken},
		{"version", "print the version", runVersion},
		{"help", "show this help", nil},
	}
}

// Run runs the command line args (without the program name) and returns the
// process exit code. Errors are printed as one line on stderr.
func Run(ctx context.Context, env Env, args []string) int {
	if len(args) == 0 {
		usage(env.Stderr)
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			return Run(ctx, env, []string{args[1], "-h"})
		}
		usage(env.Stdout)
		return ExitOK
	case "-v", "-version", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name != name || c.run == nil {
			continue
		}
		err := c.run(ctx, env, args[1:])
		return report(env, name, err)
	}
	fmt.Fprintf(env.Stderr, "sextant: unknown command %q (run sextant help for the list)\n", name)
	return ExitUsage
}

func report(env Env, name string, err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.As(err, new(usageError)):
		fmt.Fprintf(env.Stderr, "sextant %s: %v\n", name, err)
		return ExitUsage
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		if ec.msg != "" {
			fmt.Fprintf(env.Stderr, "sextant %s: %s\n", name, ec.msg)
		}
		return ec.code
	}
	fmt.Fprintf(env.Stderr, "sextant %s: %s\n", name, oneLine(err.Error()))
	return ExitError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Sextant: self-hosted engineering metrics for GitHub organizations.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: sextant <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run sextant <command> -h for a command's flags. Configuration: docs/CONFIG.md.")
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ error }

// exitCodeError ends a command with a specific exit code and message.
type exitCodeError struct {
	code int
	msg  string
}

func (e exitCodeError) Error() string { return e.msg }

// flagSet is a command's flags and the help it prints on -h.
type flagSet struct {
	*flag.FlagSet
	help func()
}

// newFlagSet returns a flag set that reports errors as values instead of
// printing them, and prints its usage on -h to stdout.
func newFlagSet(env Env, name, synopsis string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs.SetOutput(io.Discard)
	// The flag package calls Usage on every parse error; parse prints the
	// help itself, only for -h.
	fs.Usage = func() {}
	fs.help = func() {
		fmt.Fprintf(env.Stdout, "Usage: sextant %s\n\n", synopsis)
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, allowing flags after positional arguments
// (sextant config check --config x.yml), and turns a flag error into one
// usage line. The positional arguments are left in fs.Args().
func (fs *flagSet) parse(args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.help()
				return err
			}
			return usageError{fmt.Errorf("%v (see sextant %s -h)", err, fs.Name())}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return fs.Parse(append([]string{"--"}, positional...))
}

// configFlags are the flags that set configuration keys, shared by the
// commands that load a configuration.
type configFlags struct {
	file *string
	keys map[string]*string // config key → flag value
	fs   *flag.FlagSet
}

// addConfigFlags registers --config plus a flag for each named key.
func addConfigFlags(fs *flagSet, keys ...string) *configFlags {
	cf := &configFlags{fs: fs.FlagSet, keys: map[string]*string{}}
	cf.file = fs.String("config", "", "YAML configuration file (env SEXTANT_CONFIG)")
	help := map[string]string{}
	for _, f := range config.Fields() {
		help[f.Key] = f.Help
	}
	for _, k := range keys {
		name := strings.ReplaceAll(k, ".", "-")
		if help[k] == "" {
			panic("cli: no config key " + k)
		}
		cf.keys[k] = fs.String(name, "", help[k]+" (config key "+k+", env "+config.EnvName(k)+")")
	}
	return cf
}

// isSet reports whether the flag of config key k was given.
func (cf *configFlags) isSet(k string) bool {
	set := false
	cf.fs.Visit(func(f *flag.Flag) { set = set || f.Name == strings.ReplaceAll(k, ".", "-") })
	return set
}

// load builds the configuration from the file, the environment and the
// flags the user set.
func (cf *configFlags) load(env Env) (config.Config, error) {
	flags := map[string]string{}
	for k, v := range cf.keys {
		if cf.isSet(k) {
			flags[k] = *v
		}
	}
	file := *cf.file
	if file == "" {
		file = env.Getenv("SEXTANT_CONFIG")
	}
	return config.Load(config.Source{File: file, Env: env.Getenv, Flags: flags})
}

// sortedProblems orders problems by key for stable output.
func sortedProblems(ps config.Problems) config.Problems {
	out := append(config.Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
