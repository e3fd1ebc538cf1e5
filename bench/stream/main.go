// Command stream measures streaming a large artifact through Artigraph
// against a plain file copy on the same disk, and the server's peak memory.
//
//	go run ./bench/stream -size 1024   # MiB; builds and starts the server itself
//
// Each direction is the same work on both sides: a copy with a 1 MiB
// buffer into a file on the same disk, then fsync. Upload: createUpload
// (GraphQL), then a PUT of the file, which the server streams to the
// artifact path while hashing, and fsyncs. Download: GET downloadUrl into a
// file. Baseline: the file copied to the same disk. Best of -rounds.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	sizeMiB := flag.Int("size", 1024, "artifact size in MiB")
	rounds := flag.Int("rounds", 3, "rounds; the best of each is reported")
	dir := flag.String("dir", ".bench-stream", "work directory (on the disk to measure)")
	flag.Parse()
	size := int64(*sizeMiB) << 20
	must(os.RemoveAll(*dir))
	must(os.MkdirAll(*dir, 0o755))
	defer os.RemoveAll(*dir)
	work, _ := filepath.Abs(*dir)

	bin := filepath.Join(work, "artigraph")
	run("go", "build", "-o", bin, ".")
	addr := freeAddr()
	srv := exec.Command(bin, "--addr", addr, "--data-dir", filepath.Join(work, "data"),
		"--max-upload-bytes", strconv.FormatInt(size+1<<20, 10))
	must(srv.Start())
	defer srv.Process.Kill()
	base := "http://" + addr
	waitReady(base)

	src := filepath.Join(work, "source.bin")
	writeRandom(src, size)
	graphql(base, `mutation { upsertProject(input: {name: "bench"}) { name } }`)
	rssBefore := procStatus(srv.Process.Pid, "VmRSS")

	var bestUp, bestCopyUp, bestDown, bestCopyDown float64
	for r := 0; r < *rounds; r++ {
		// Baseline for both directions: the plain copy on the same disk.
		bestCopyUp = max(bestCopyUp, mibps(size, timeIt(func() { copyFile(src, filepath.Join(work, "copy.bin")) })))
		os.Remove(filepath.Join(work, "copy.bin"))

		key := fmt.Sprintf("big%d", r)
		var ticket struct {
			CreateUpload struct{ URL string }
		}
		graphqlInto(base, `mutation { createUpload(input: {project: "bench", key: "`+key+`", kind: ARTIFACT, format: "bin"}) { url } }`, &ticket)
		var put struct{ DownloadURL, Hash string }
		bestUp = max(bestUp, mibps(size, timeIt(func() { put = upload(base+ticket.CreateUpload.URL, src) })))

		bestCopyDown = max(bestCopyDown, mibps(size, timeIt(func() { copyFile(src, filepath.Join(work, "copy.bin")) })))
		os.Remove(filepath.Join(work, "copy.bin"))
		down := filepath.Join(work, "down.bin")
		bestDown = max(bestDown, mibps(size, timeIt(func() { download(base+put.DownloadURL, down) })))
		if !sameFile(src, down) {
			log.Fatal("downloaded content differs")
		}
		os.Remove(down)
		graphql(base, `mutation { deleteArtifact(uri: "store://artifacts/bench/`+key+`", strategy: DATA_FORCE) }`)
	}
	peak := procStatus(srv.Process.Pid, "VmHWM")
	fmt.Printf("artifact %d MiB, best of %d rounds, on %s\n", *sizeMiB, *rounds, work)
	fmt.Printf("upload    %6.0f MiB/s   plain copy %6.0f MiB/s   ratio %.2f\n", bestUp, bestCopyUp, bestUp/bestCopyUp)
	fmt.Printf("download  %6.0f MiB/s   plain copy %6.0f MiB/s   ratio %.2f\n", bestDown, bestCopyDown, bestDown/bestCopyDown)
	fmt.Printf("server RSS %.1f MiB before, peak %.1f MiB: growth %.1f MiB\n", kib(rssBefore), kib(peak), kib(peak-rssBefore))
}

const bufSize = 1 << 20

func copyFile(from, to string) {
	in, err := os.Open(from)
	must(err)
	defer in.Close()
	toFile(to, in)
}

// toFile is the shared half of every measurement: a buffered copy into a
// file, then fsync.
func toFile(path string, r io.Reader) {
	out, err := os.Create(path)
	must(err)
	_, err = io.CopyBuffer(struct{ io.Writer }{out}, struct{ io.Reader }{r}, make([]byte, bufSize))
	must(err)
	must(out.Sync())
	must(out.Close())
}

func upload(url, path string) struct{ DownloadURL, Hash string } {
	f, err := os.Open(path)
	must(err)
	defer f.Close()
	st, err := f.Stat()
	must(err)
	req, _ := http.NewRequest(http.MethodPut, url, struct{ io.Reader }{f})
	req.ContentLength = st.Size() // as curl -T sends it
	resp, err := http.DefaultClient.Do(req)
	must(err)
	defer resp.Body.Close()
	var out struct {
		DownloadURL string `json:"downloadUrl"`
		Hash        string `json:"hash"`
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		log.Fatalf("upload: %s %s", resp.Status, b)
	}
	must(json.NewDecoder(resp.Body).Decode(&out))
	return struct{ DownloadURL, Hash string }{out.DownloadURL, out.Hash}
}

func download(url, path string) {
	resp, err := http.Get(url)
	must(err)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		log.Fatalf("download: %s", resp.Status)
	}
	toFile(path, resp.Body)
}

func timeIt(f func()) time.Duration { t := time.Now(); f(); return time.Since(t) }
func mibps(size int64, d time.Duration) float64 {
	return float64(size) / (1 << 20) / d.Seconds()
}
func kib(k int64) float64 { return float64(k) / 1024 }

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(err)
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return n
		}
	}
	log.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func writeRandom(path string, size int64) {
	f, err := os.Create(path)
	must(err)
	_, err = io.CopyN(f, rand.Reader, size)
	must(err)
	must(f.Close())
}

func sameFile(a, b string) bool {
	fa, _ := os.Open(a)
	fb, _ := os.Open(b)
	defer fa.Close()
	defer fb.Close()
	ba, bb := make([]byte, bufSize), make([]byte, bufSize)
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

func graphql(base, q string) { graphqlInto(base, q, nil) }

func graphqlInto(base, q string, out any) {
	body, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	must(err)
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	must(json.NewDecoder(resp.Body).Decode(&r))
	if len(r.Errors) > 0 {
		log.Fatalf("%s: %s", q, r.Errors[0].Message)
	}
	if out != nil {
		must(json.Unmarshal(r.Data, out))
	}
}

func waitReady(base string) {
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatal("server not ready")
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	defer l.Close()
	return l.Addr().String()
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	must(cmd.Run())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
