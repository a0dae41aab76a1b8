package cli

import (
	"context"
	"io"
	"log/slog"

	"github.com/sextant-dev/sextant/internal/config"
)

// newLogger returns the slog logger the configuration asks for. Loggers
// made from it with component(log, name) follow log.levels for that
// component and log.level otherwise.
func newLogger(w io.Writer, cfg config.Config) *slog.Logger {
	level, _ := config.ParseLevel(cfg.Log.Level)
	levels, _ := config.ComponentLevels(cfg.Log.Levels) // validated with the configuration
	lowest := level
	for _, l := range levels {
		lowest = min(lowest, l)
	}
	// The output handler lets everything through that some component may
	// want; componentLevels decides per logger.
	opts := &slog.HandlerOptions{Level: lowest}
	var out slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.Log.Format == "json" {
		out = slog.NewJSONHandler(w, opts)
	}
	return slog.New(&componentLevels{out: out, levels: levels, min: level})
}

// component returns the logger of a part of the program: its lines carry
// component=name, and log.levels may give it its own level.
func component(log *slog.Logger, name string) *slog.Logger {
	return log.With(componentKey, name)
}

const componentKey = "component"

// componentLevels filters records by the level of the component the
// logger was made for (the "component" attribute given to With).
type componentLevels struct {
	out    slog.Handler
	levels map[string]slog.Level
	min    slog.Level
}

func (h *componentLevels) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }

func (h *componentLevels) Handle(ctx context.Context, r slog.Record) error {
	return h.out.Handle(ctx, r)
}

func (h *componentLevels) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	for _, a := range attrs {
		if a.Key != componentKey {
			continue
		}
		if l, ok := h.levels[a.Value.String()]; ok {
			n.min = l
		}
	}
	n.out = h.out.WithAttrs(attrs)
	return &n
}

func (h *componentLevels) WithGroup(name string) slog.Handler {
	n := *h
	n.out = h.out.WithGroup(name)
	return &n
}
