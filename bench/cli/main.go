// Command cli measures the artigraph command line moving a large artifact
// (artigraph log, artigraph get --download -o) against a plain file copy on
// the same disk.
//
//	go run ./bench/cli -size 100   # MiB; builds the binary and starts the server itself
//
// Each figure is the wall time of the whole command as a user runs it:
// process start, the GraphQL calls, the streamed PUT or GET, the sha256 the
// client checks on download and the fsync of the file written (the server's
// blob on upload, -o on download). Baseline: the file copied with a 1 MiB
// buffer into a file on the same disk, then fsync. Best of -rounds.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/artigraph/artigraph/bench/benchfile"
)

func main() {
	sizeMiB := flag.Int("size", 100, "artifact size in MiB")
	rounds := flag.Int("rounds", 3, "rounds; the best of each is reported")
	dir := flag.String("dir", ".bench-cli", "work directory (on the disk to measure)")
	flag.Parse()
	size := int64(*sizeMiB) << 20
	benchfile.Must(os.RemoveAll(*dir))
	benchfile.Must(os.MkdirAll(*dir, 0o755))
	defer os.RemoveAll(*dir)
	work, _ := filepath.Abs(*dir)

	bin := filepath.Join(work, "artigraph")
	run(exec.Command("go", "build", "-o", bin, "."))
	server, stop := startServer(bin, filepath.Join(work, "data"), size)
	defer stop()
	client := func(args ...string) *exec.Cmd {
		c := exec.Command(bin, args...)
		c.Env = append(os.Environ(), "ARTIGRAPH_SERVER="+server, "ARTIGRAPH_TOKEN=")
		return c
	}
	run(client("project", "create", "bench"))

	src := filepath.Join(work, "source.bin")
	benchfile.WriteRandom(src, size)
	var bestUp, bestDown, bestCopy float64
	for r := 0; r < *rounds; r++ {
		cp := filepath.Join(work, "copy.bin")
		bestCopy = max(bestCopy, benchfile.MiBps(size, benchfile.TimeIt(func() { benchfile.CopyFile(src, cp) })))
		os.Remove(cp)

		key := fmt.Sprintf("big%d", r)
		bestUp = max(bestUp, benchfile.MiBps(size, benchfile.TimeIt(func() { run(client("log", "-p", "bench", "--key", key, src)) })))
		down := filepath.Join(work, "down.bin")
		uri := "store://artifacts/bench/" + key
		bestDown = max(bestDown, benchfile.MiBps(size, benchfile.TimeIt(func() { run(client("get", "--download", "-o", down, uri)) })))
		if !benchfile.SameFile(src, down) {
			log.Fatal("downloaded content differs")
		}
		os.Remove(down)
		run(client("rm", "--strategy", "data-force", uri))
	}
	fmt.Printf("artifact %d MiB, best of %d rounds, on %s\n", *sizeMiB, *rounds, work)
	fmt.Printf("artigraph log            %6.0f MiB/s   plain copy %6.0f MiB/s   ratio %.2f\n", bestUp, bestCopy, bestUp/bestCopy)
	fmt.Printf("artigraph get --download %6.0f MiB/s   plain copy %6.0f MiB/s   ratio %.2f\n", bestDown, bestCopy, bestDown/bestCopy)
}

var listening = regexp.MustCompile(`artigraph listening.*addr=(http://\S+)`)

// startServer runs the server on a free loopback port and returns its URL
// once it listens.
func startServer(bin, data string, size int64) (string, func()) {
	srv := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", data,
		"--max-upload-bytes", strconv.FormatInt(size+1<<20, 10))
	stderr, err := srv.StderrPipe()
	benchfile.Must(err)
	benchfile.Must(srv.Start())
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u, func() { srv.Process.Kill(); srv.Wait() }
	case <-time.After(30 * time.Second):
		srv.Process.Kill()
		log.Fatal("the server did not start")
	}
	return "", nil
}

func run(c *exec.Cmd) {
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = io.Discard, &stderr
	if err := c.Run(); err != nil {
		log.Fatalf("%s: %v: %s", c.Args, err, stderr.String())
	}
}
