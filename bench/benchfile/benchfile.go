// Package benchfile holds what the benchmark commands (bench/stream,
// bench/cli, bench/scale) share: random test files, the plain-copy
// baseline, content comparison, timing, a server process's memory and a
// free port for it.
package benchfile

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// BufSize is the buffer of every copy, the baseline's included.
const BufSize = 1 << 20

// Must stops the benchmark on an error.
func Must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

// WriteRandom writes size random bytes to path.
func WriteRandom(path string, size int64) {
	f, err := os.Create(path)
	Must(err)
	_, err = io.CopyN(f, rand.Reader, size)
	Must(err)
	Must(f.Close())
}

// ToFile copies r into a new file at path, then fsyncs it: the shared half
// of every measurement.
func ToFile(path string, r io.Reader) {
	out, err := os.Create(path)
	Must(err)
	// The wrappers hide ReadFrom/WriteTo, so the copy uses BufSize, as the
	// server's own copies do.
	_, err = io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{r}, make([]byte, BufSize))
	Must(err)
	Must(out.Sync())
	Must(out.Close())
}

// CopyFile is the baseline: a plain copy of a file on the same disk.
func CopyFile(from, to string) {
	in, err := os.Open(from)
	Must(err)
	defer in.Close()
	ToFile(to, in)
}

// SameFile reports whether two files hold the same bytes.
func SameFile(a, b string) bool {
	fa, err := os.Open(a)
	Must(err)
	defer fa.Close()
	fb, err := os.Open(b)
	Must(err)
	defer fb.Close()
	ba, bb := make([]byte, BufSize), make([]byte, BufSize)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, _ := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false
		}
		if ea != nil {
			return true
		}
	}
}

// TimeIt measures f.
func TimeIt(f func()) time.Duration { t := time.Now(); f(); return time.Since(t) }

// MiBps is size bytes over d, in MiB/s.
func MiBps(size int64, d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }

// ProcKiB reads a kB field (VmHWM, VmRSS) of a process's /proc status.
func ProcKiB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// FreeAddr returns a loopback address with a port free now, for a server
// the benchmark starts.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
