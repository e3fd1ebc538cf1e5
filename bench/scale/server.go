package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/artigraph/artigraph/bench/benchfile"
)

// server is an artigraph server process on a data directory.
type server struct {
	bin, dataDir, addr string
	env                []string
	log                *os.File
	cmd                *exec.Cmd
	exited             chan struct{} // closed when the process has ended
	c                  *client
}

// moduleRoot is the directory of the module's go.mod.
func moduleRoot() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	return filepath.Dir(strings.TrimSpace(string(gomod))), err
}

// buildServer builds the module's root package into dir.
func buildServer(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "artigraph")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
	return bin, cmd.Run()
}

// newServer prepares a server on dataDir: on Neo4j when neo4jURI is set,
// else on the embedded store (NEO4J_URI is dropped from its environment).
func newServer(bin, dataDir, neo4jURI string, conns int) (*server, error) {
	addr, err := benchfile.FreeAddr()
	if err != nil {
		return nil, err
	}
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "NEO4J_URI=") {
			env = append(env, e)
		}
	}
	if neo4jURI != "" {
		env = append(env, "NEO4J_URI="+neo4jURI)
	}
	log, err := os.Create(filepath.Join(filepath.Dir(dataDir), "server.log"))
	if err != nil {
		return nil, err
	}
	return &server{bin: bin, dataDir: dataDir, addr: addr, env: env, log: log, c: newClient("http://"+addr, conns)}, nil
}

// start starts the process and answers how long /healthz and then /readyz
// took to answer 200.
func (s *server) start() (healthz, readyz time.Duration, err error) {
	s.cmd = exec.Command(s.bin, "--addr", s.addr, "--data-dir", s.dataDir)
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = s.env, s.log, s.log
	t0 := time.Now()
	if err := s.cmd.Start(); err != nil {
		return 0, 0, err
	}
	s.exited = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	if healthz, err = s.until("/healthz", t0); err != nil {
		return 0, 0, err
	}
	readyz, err = s.until("/readyz", t0)
	return healthz, readyz, err
}

// until polls path until it answers 200, and answers the time since t0.
func (s *server) until(path string, t0 time.Time) (time.Duration, error) {
	for time.Since(t0) < 30*time.Minute {
		if s.c.status(path) == 200 {
			return time.Since(t0), nil
		}
		select {
		case <-s.exited:
			return 0, fmt.Errorf("server exited before %s answered 200 (log: %s)", path, s.log.Name())
		case <-time.After(2 * time.Millisecond):
		}
	}
	return 0, fmt.Errorf("server: %s never answered 200 (log: %s)", path, s.log.Name())
}

// stop ends the process gracefully and waits for it.
func (s *server) stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	<-s.exited
	s.cmd = nil
	return nil
}

// procKiB reads a kB field (VmHWM, VmRSS) of the process's /proc status.
func (s *server) procKiB(field string) (int64, error) {
	return benchfile.ProcKiB(s.cmd.Process.Pid, field)
}
