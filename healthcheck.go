package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// runHealthcheck is "artigraph healthcheck": exits 0 when the server at
// --addr answers /readyz, for container health checks in images without curl.
// It takes the server's flags and environment, so the container's own
// settings name the address.
func runHealthcheck(args []string) int { return healthcheckCommand(args, os.Getenv, os.Stderr) }

func healthcheckCommand(args []string, getenv func(string) string, stderr io.Writer) int {
	fset := flag.NewFlagSet("artigraph healthcheck", flag.ContinueOnError)
	fset.SetOutput(stderr)
	config := configFlags(fset, getenv)
	if err := fset.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0
	} else if err != nil {
		return 2
	}
	cfg, err := config()
	if err != nil {
		fmt.Fprintln(stderr, "artigraph healthcheck:", err)
		return 2
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		fmt.Fprintln(stderr, "artigraph healthcheck: --addr:", err)
		return 2
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	// A one-shot check keeps no connection open for later.
	client := http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/readyz")
	if err != nil {
		fmt.Fprintln(stderr, "artigraph healthcheck:", err)
		return 1
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "artigraph healthcheck:", resp.Status)
		return 1
	}
	return 0
}
