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
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/artigraph/artigraph/bench/benchfile"
)

func main() {
	sizeMiB := flag.Int("size", 1024, "artifact size in MiB")
	rounds := flag.Int("rounds", 3, "rounds; the best of each is reported")
	dir := flag.String("dir", ".bench-stream", "work directory (on the disk to measure)")
	flag.Parse()
	size := int64(*sizeMiB) << 20
	benchfile.Must(os.RemoveAll(*dir))
	benchfile.Must(os.MkdirAll(*dir, 0o755))
	defer os.RemoveAll(*dir)
	work, _ := filepath.Abs(*dir)

	bin := filepath.Join(work, "artigraph")
	run("go", "build", "-o", bin, ".")
	addr := freeAddr()
	srv := exec.Command(bin, "--addr", addr, "--data-dir", filepath.Join(work, "data"),
		"--max-upload-bytes", strconv.FormatInt(size+1<<20, 10))
	benchfile.Must(srv.Start())
	defer srv.Process.Kill()
	base := "http://" + addr
	waitReady(base)

	src := filepath.Join(work, "source.bin")
	benchfile.WriteRandom(src, size)
	graphql(base, `mutation { upsertProject(input: {name: "bench"}) { name } }`)
	rssBefore := procStatus(srv.Process.Pid, "VmRSS")

	var bestUp, bestCopyUp, bestDown, bestCopyDown float64
	for r := 0; r < *rounds; r++ {
		// Baseline for both directions: the plain copy on the same disk.
		bestCopyUp = max(bestCopyUp, benchfile.MiBps(size, benchfile.TimeIt(func() { benchfile.CopyFile(src, filepath.Join(work, "copy.bin")) })))
		os.Remove(filepath.Join(work, "copy.bin"))

		key := fmt.Sprintf("big%d", r)
		var ticket struct {
			CreateUpload struct{ URL string }
		}
		graphqlInto(base, `mutation { createUpload(input: {project: "bench", key: "`+key+`", kind: ARTIFACT, format: "bin"}) { url } }`, &ticket)
		var put struct{ DownloadURL, Hash string }
		bestUp = max(bestUp, benchfile.MiBps(size, benchfile.TimeIt(func() { put = upload(base+ticket.CreateUpload.URL, src) })))

		bestCopyDown = max(bestCopyDown, benchfile.MiBps(size, benchfile.TimeIt(func() { benchfile.CopyFile(src, filepath.Join(work, "copy.bin")) })))
		os.Remove(filepath.Join(work, "copy.bin"))
		down := filepath.Join(work, "down.bin")
		bestDown = max(bestDown, benchfile.MiBps(size, benchfile.TimeIt(func() { download(base+put.DownloadURL, down) })))
		if !benchfile.SameFile(src, down) {
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

func upload(url, path string) struct{ DownloadURL, Hash string } {
	f, err := os.Open(path)
	benchfile.Must(err)
	defer f.Close()
	st, err := f.Stat()
	benchfile.Must(err)
	req, _ := http.NewRequest(http.MethodPut, url, struct{ io.Reader }{f})
	req.ContentLength = st.Size() // as curl -T sends it
	resp, err := http.DefaultClient.Do(req)
	benchfile.Must(err)
	defer resp.Body.Close()
	var out struct {
		DownloadURL string `json:"downloadUrl"`
		Hash        string `json:"hash"`
	}
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		log.Fatalf("upload: %s %s", resp.Status, b)
	}
	benchfile.Must(json.NewDecoder(resp.Body).Decode(&out))
	return struct{ DownloadURL, Hash string }{out.DownloadURL, out.Hash}
}

func download(url, path string) {
	resp, err := http.Get(url)
	benchfile.Must(err)
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		log.Fatalf("download: %s", resp.Status)
	}
	benchfile.ToFile(path, resp.Body)
}

func kib(k int64) float64 { return float64(k) / 1024 }

func procStatus(pid int, field string) int64 {
	n, err := benchfile.ProcKiB(pid, field)
	benchfile.Must(err)
	return n
}

func graphql(base, q string) { graphqlInto(base, q, nil) }

func graphqlInto(base, q string, out any) {
	body, _ := json.Marshal(map[string]string{"query": q})
	resp, err := http.Post(base+"/graphql", "application/json", bytes.NewReader(body))
	benchfile.Must(err)
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	benchfile.Must(json.NewDecoder(resp.Body).Decode(&r))
	if len(r.Errors) > 0 {
		log.Fatalf("%s: %s", q, r.Errors[0].Message)
	}
	if out != nil {
		benchfile.Must(json.Unmarshal(r.Data, out))
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
	addr, err := benchfile.FreeAddr()
	benchfile.Must(err)
	return addr
}

func run(name string, args ...string) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	benchfile.Must(cmd.Run())
}
