package job

import (
	"context"
	"log/slog"
	"strings"

	"github.com/rs/zerolog"
)

// slogHandler writes the records of Go's slog — where Beam's SDK, prism
// and the standard library's log package write — through sosie's zerolog
// logger, with runner=beam: one format on stderr (JSON, or the console
// form on a terminal), one level setting (SOSIE_LOG). Beam's info lines
// (a job prepared, staged, submitted, running, done; a worker started and
// stopped: some ten per pipeline) are sosie's debug lines: sosie says
// itself when a pipeline starts and ends. Warnings and errors stay what
// they are.
type slogHandler struct {
	log    zerolog.Logger
	attrs  []slog.Attr // from WithAttrs, each inside the groups open then
	groups []string    // open groups: the keys of a record's attributes go in them
}

// NewSlogHandler returns a slog.Handler writing through log.
func NewSlogHandler(log zerolog.Logger) slog.Handler {
	return &slogHandler{log: log.With().Str("runner", "beam").Logger()}
}

// level is the zerolog level of a slog level.
func level(l slog.Level) zerolog.Level {
	switch {
	case l >= slog.LevelError:
		return zerolog.ErrorLevel
	case l >= slog.LevelWarn:
		return zerolog.WarnLevel
	}
	return zerolog.DebugLevel
}

func (h *slogHandler) Enabled(_ context.Context, l slog.Level) bool {
	return level(l) >= h.log.GetLevel() && level(l) >= zerolog.GlobalLevel()
}

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	ev := h.log.WithLevel(level(r.Level))
	for _, a := range h.attrs {
		h.attr(ev, nil, a)
	}
	r.Attrs(func(a slog.Attr) bool {
		h.attr(ev, h.groups, a)
		return true
	})
	ev.Msg(r.Message)
	return nil
}

// attr adds a to ev, its key prefixed by the open groups ("bundle.ID").
func (h *slogHandler) attr(ev *zerolog.Event, groups []string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindGroup {
		sub := groups
		if a.Key != "" {
			sub = append(append([]string(nil), groups...), a.Key)
		}
		for _, g := range a.Value.Group() {
			h.attr(ev, sub, g)
		}
		return
	}
	if a.Key == "" {
		return
	}
	key := strings.Join(append(append([]string(nil), groups...), a.Key), ".")
	switch a.Value.Kind() {
	case slog.KindInt64:
		ev.Int64(key, a.Value.Int64())
	case slog.KindBool:
		ev.Bool(key, a.Value.Bool())
	case slog.KindFloat64:
		ev.Float64(key, a.Value.Float64())
	case slog.KindDuration:
		ev.Str(key, a.Value.Duration().String())
	case slog.KindTime:
		ev.Time(key, a.Value.Time())
	default:
		ev.Str(key, a.Value.String())
	}
}

func (h *slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		if len(h.groups) > 0 {
			a = slog.Attr{Key: strings.Join(h.groups, "."), Value: slog.GroupValue(a)}
		}
		c.attrs = append(c.attrs, a)
	}
	return &c
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.groups = append(append([]string(nil), h.groups...), name)
	return &c
}
