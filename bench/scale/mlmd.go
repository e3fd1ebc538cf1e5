package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/artigraph/artigraph/bench/workload"
)

// MLMDResult is what bench/mlmd/mlmd_bench.py prints.
type MLMDResult struct {
	Ingest struct {
		Versions     int     `json:"versions"`
		Runs         int     `json:"runs"`
		Seconds      float64 `json:"seconds"`
		VersionsPerS float64 `json:"versions_per_s"`
		FileBytes    int64   `json:"file_bytes"`
	} `json:"ingest"`
	Queries map[string]Timing `json:"queries"`
}

// runMLMD writes the workload and the queries for the ML Metadata script,
// runs it in its cached virtual environment and reads its answer.
func runMLMD(root, dir string, s workload.Spec, qs []Query, n int, budget time.Duration) (MLMDResult, error) {
	var res MLMDResult
	units, spec := filepath.Join(dir, "workload.jsonl"), filepath.Join(dir, "queries.json")
	if err := writeJSONL(units, s); err != nil {
		return res, err
	}
	b, err := json.Marshal(map[string]any{"queries": qs, "timeRangeWave": s.TimeRangeWave()})
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(spec, b, 0o644); err != nil {
		return res, err
	}
	venv, err := command(root, "scripts/pyenv", "bench/mlmd")
	if err != nil {
		return res, fmt.Errorf("scripts/pyenv bench/mlmd: %w", err)
	}
	out, err := command(root, filepath.Join(strings.TrimSpace(venv), "bin", "python"), "bench/mlmd/mlmd_bench.py",
		units, spec, filepath.Join(dir, "mlmd.sqlite"), strconv.Itoa(n), strconv.FormatFloat(budget.Seconds(), 'f', 1, 64))
	if err != nil {
		return res, fmt.Errorf("mlmd_bench.py: %w", err)
	}
	return res, json.Unmarshal([]byte(out), &res)
}

// writeJSONL streams the workload to path, one unit a line.
func writeJSONL(path string, s workload.Spec) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	enc := json.NewEncoder(w)
	if err := s.Generate(func(u workload.Unit) error { return enc.Encode(u) }); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// command runs name in dir and answers its standard output; its standard
// error goes to ours.
func command(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	var out bytes.Buffer
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, os.Stderr
	err := cmd.Run()
	return out.String(), err
}
