package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Secret holds a credential. Every way of printing it — fmt, %#v, slog, JSON,
// YAML/text — shows "[REDACTED]"; the value is read only through Reveal.
type Secret string

const redacted = "[REDACTED]"

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString implements fmt.GoStringer so %#v does not leak the value.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText implements encoding.TextMarshaler (YAML and text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Duration is a time.Duration written as "10s", "5m", "1h30m" or, with
// whole days first, "7d", "1d12h" in hooks.yaml.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalText parses a duration (ParseDuration).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("invalid duration %q (use e.g. 30s, 5m, 1h, 7d)", string(b))
	}
	if v < 0 {
		return fmt.Errorf("duration %q must not be negative", string(b))
	}
	*d = Duration(v)
	return nil
}

// ParseDuration is time.ParseDuration that also takes whole days first:
// 7d, 30d, 1d12h. Every duration of hooks.yaml and of the command line
// is read by it.
func ParseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.Atoi(days)
	if err != nil || n < 0 || n > 100*365 || days == "" || days[0] == '+' || days[0] == '-' {
		return 0, fmt.Errorf("duration %q: days must be a whole number (7d)", s)
	}
	d := time.Duration(n) * 24 * time.Hour
	if rest == "" {
		return d, nil
	}
	r, err := time.ParseDuration(rest)
	if err != nil {
		return 0, fmt.Errorf("duration %q: %w", s, err)
	}
	if r < 0 {
		return 0, fmt.Errorf("duration %q: a negative part", s)
	}
	return d + r, nil
}

// MarshalText prints the duration the way it is written.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ByteSize is a size written as 1048576, "512KiB", "1MiB", "10MB".
type ByteSize int64

var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1000}, {"mb", 1000 * 1000}, {"gb", 1000 * 1000 * 1000},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1},
}

// ParseByteSize parses sizes such as "1MiB" or "2048".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			mult = u.mult
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q (use e.g. 1MiB, 512KiB, 1048576)", s)
	}
	return ByteSize(n * float64(mult)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(t []byte) error {
	v, err := ParseByteSize(string(t))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalText prints the size in the largest exact binary unit.
func (b ByteSize) MarshalText() ([]byte, error) {
	switch {
	case b != 0 && b%(1<<30) == 0:
		return []byte(fmt.Sprintf("%dGiB", b>>30)), nil
	case b != 0 && b%(1<<20) == 0:
		return []byte(fmt.Sprintf("%dMiB", b>>20)), nil
	case b != 0 && b%(1<<10) == 0:
		return []byte(fmt.Sprintf("%dKiB", b>>10)), nil
	}
	return []byte(strconv.FormatInt(int64(b), 10)), nil
}
