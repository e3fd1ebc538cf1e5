package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "artigraph.yaml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFile(t *testing.T) {
	file := writeConfig(t, `
addr: 127.0.0.1:9999
cors-origins: [https://a.example, https://b.example]
max-upload-bytes: 2048
request-timeout: 5s
metrics-open: true
log-format: json
`)
	c, err := parseConfig([]string{"--config", file}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:9999" || strings.Join(c.CORSOrigins, " ") != "https://a.example https://b.example" ||
		c.MaxUploadBytes != 2048 || c.RequestTimeout != 5*time.Second || !c.MetricsOpen || c.LogFormat != "json" {
		t.Fatalf("from the file: %+v", c)
	}
	// Flags beat the environment, which beats the file.
	env := map[string]string{"ARTIGRAPH_MAX_UPLOAD_BYTES": "4096", "ARTIGRAPH_CONFIG": file}
	c, err = parseConfig([]string{"--addr=127.0.0.1:7777"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7777" || c.MaxUploadBytes != 4096 || c.RequestTimeout != 5*time.Second {
		t.Fatalf("precedence: addr %s, max upload %d, timeout %s", c.Addr, c.MaxUploadBytes, c.RequestTimeout)
	}
}

func TestConfigFileErrorsNameTheSetting(t *testing.T) {
	for text, want := range map[string]string{
		"adr: 127.0.0.1:1\n":                `unknown setting "adr"`,
		"max-upload-bytes: 1GB\n":           "max-upload-bytes",
		"request-timeout: soon\n":           "request-timeout",
		"addr: {host: x}\n":                 "addr: a nested value",
		"config: other.yaml\n":              `unknown setting "config"`,
		"auth: maybe\n":                     "--auth",
		"addr: [a\n":                        "yaml",
		"cors-origins: [[a]]\n":             "cors-origins: a list of lists",
		strings.Repeat("#", 1<<20+1) + "\n": "larger than",
	} {
		_, err := parseConfig([]string{"--config", writeConfig(t, text)}, noEnv)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: got %v, want an error with %q", text, err, want)
		}
	}
	if _, err := parseConfig([]string{"--config", filepath.Join(t.TempDir(), "missing.yaml")}, noEnv); err == nil ||
		!strings.Contains(err.Error(), "--config") {
		t.Errorf("a missing file: %v", err)
	}
}
