package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxConfigFile bounds a --config file: it is configuration, not data.
const maxConfigFile = 1 << 20

// envNameRe finds the environment variable a flag's usage names, e.g.
// "(ARTIGRAPH_ADDR)": every flag that has one says so at the end.
var envNameRe = regexp.MustCompile(`\((ARTIGRAPH_[A-Z0-9_]+)\)$`)

// applyConfigFile sets the flags a YAML file names (keys are flag names:
// `addr: 0.0.0.0:8080`, `cors-origins: [https://a, https://b]`) that neither
// the command line nor the environment set. So flags beat the environment,
// which beats the file, which beats the defaults. An unknown key, a value
// that does not parse or a nested value is an error naming the key.
func applyConfigFile(fset *flag.FlagSet, path string, getenv func(string) string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return fmt.Errorf("--config: %w", err)
	}
	if len(raw) > maxConfigFile {
		return fmt.Errorf("--config %s: larger than %d bytes", path, maxConfigFile)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		return fmt.Errorf("--config %s: %w", path, err)
	}
	onCommandLine := map[string]bool{}
	fset.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first error is the same on every run
	var errs []error
	for _, key := range keys {
		fl := fset.Lookup(key)
		if fl == nil || key == "config" {
			errs = append(errs, fmt.Errorf("--config %s: unknown setting %q (keys are flag names)", path, key))
			continue
		}
		if onCommandLine[key] {
			continue
		}
		if m := envNameRe.FindStringSubmatch(fl.Usage); m != nil && getenv(m[1]) != "" {
			continue
		}
		value, err := configValue(values[key])
		if err == nil {
			err = fset.Set(key, value)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--config %s: %s: %w", path, key, err))
		}
	}
	return errors.Join(errs...)
}

// configValue spells a YAML value as its flag takes it: scalars as they
// are, lists joined with commas.
func configValue(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case map[string]any:
		return "", errors.New("a nested value is not a setting")
	case []any:
		parts := make([]string, 0, len(v))
		for _, p := range v {
			s, err := configValue(p)
			if err != nil {
				return "", err
			}
			if _, isList := p.([]any); isList {
				return "", errors.New("a list of lists is not a setting")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	default:
		return fmt.Sprint(v), nil
	}
}
