package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/artigraph/artigraph/lineage"
)

// apiCodes are the extensions.code values of API.md a client may see for a
// bad request. INTERNAL is left out: no request should cause one.
var apiCodes = map[string]bool{"NOT_FOUND": true, "INVALID_ARGUMENT": true, "CONFLICT": true,
	"UNAUTHENTICATED": true, "PERMISSION_DENIED": true, "LIMIT_EXCEEDED": true, "UNAVAILABLE": true}

const fuzzUploadQuery = `mutation($file: Upload!) { logArtifact(input: {project: "p", key: "fuzz", kind: MODEL, format: "bin"}, file: $file) { uri hash } }`

// multipartSeed is a GraphQL multipart request: operations, map, then files.
func multipartSeed(boundary string, parts ...[2]string) []byte {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.SetBoundary(boundary)
	for _, p := range parts {
		if name, ok := strings.CutPrefix(p[0], "file:"); ok {
			fw, _ := mw.CreateFormFile(name, "upload.bin")
			fw.Write([]byte(p[1]))
			continue
		}
		mw.WriteField(p[0], p[1])
	}
	mw.Close()
	return b.Bytes()
}

// FuzzMultipart sends arbitrary multipart bodies and boundaries to POST
// /graphql of the real handler. Properties: no 5xx, no INTERNAL, an answer
// that is GraphQL JSON whenever it is an error, and extensions.code on every
// error.
//
//	go test ./api -run '^$' -fuzz '^FuzzMultipart$' -fuzztime 10m -parallel 1
func FuzzMultipart(f *testing.F) {
	ops := func(query string, vars string) string {
		return fmt.Sprintf(`{"query": %q, "variables": %s}`, query, vars)
	}
	const bd = "xYzZY"
	for _, seed := range [][]byte{
		multipartSeed(bd, [2]string{"operations", ops(fuzzUploadQuery, `{"file": null}`)},
			[2]string{"map", `{"0": ["variables.file"]}`}, [2]string{"file:0", "weights"}),
		multipartSeed(bd, [2]string{"operations", `[` + ops(fuzzUploadQuery, `{"file": null}`) + `]`},
			[2]string{"map", `{"0": ["0.variables.file"]}`}, [2]string{"file:0", "batched"}),
		multipartSeed(bd, [2]string{"operations", ops(`{ projects { name } }`, `{}`)}, [2]string{"map", `{}`}),
		multipartSeed(bd, [2]string{"operations", ops(fuzzUploadQuery, `{"file": null}`)},
			[2]string{"map", `{"0": ["variables.file"]}`}),
		multipartSeed(bd, [2]string{"operations", ops(fuzzUploadQuery, `{"file": null}`)},
			[2]string{"map", `{"0": ["variables.nothere"], "1": ["variables.file"]}`}, [2]string{"file:1", "x"}),
		multipartSeed(bd, [2]string{"map", `{"0": ["variables.file"]}`}, [2]string{"file:0", "x"},
			[2]string{"operations", ops(fuzzUploadQuery, `{"file": null}`)}),
		multipartSeed(bd, [2]string{"operations", `{"query": `}, [2]string{"map", `[]`}),
		[]byte("--" + bd + "\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{}\r\n--" + bd),
		[]byte("--" + bd + "--\r\n"),
		nil,
	} {
		f.Add(seed, bd)
	}
	f.Add([]byte("--a\r\n\r\n--a--"), `"a"`)
	f.Add([]byte("x"), "")

	s := newServer(f)
	if _, err := s.svc.UpsertProject(f.Context(), lineage.Project{Name: "p"}); err != nil {
		f.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(body []byte, ctype string) (*http.Response, []byte, error) {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
		if err != nil {
			return nil, nil, err
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := client.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		return resp, raw, err
	}
	// The first seed is a working upload, so mutations start from requests
	// that reach the resolver.
	if resp, raw, err := post(multipartSeed(bd, [2]string{"operations", ops(fuzzUploadQuery, `{"file": null}`)},
		[2]string{"map", `{"0": ["variables.file"]}`}, [2]string{"file:0", "weights"}), "multipart/form-data; boundary="+bd); err != nil ||
		resp.StatusCode != 200 || !strings.Contains(string(raw), `"uri":"store://models/p/fuzz`) {
		f.Fatalf("the upload seed does not upload: %v %s", err, raw)
	}
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		ctype := "multipart/form-data; boundary=" + boundary
		if strings.ContainsAny(ctype, "\r\n\x00") {
			return // not a header value a client can send
		}
		resp, raw, err := post(body, ctype)
		if err != nil {
			if strings.Contains(err.Error(), "invalid header field value") {
				return
			}
			t.Fatalf("POST: %v", err)
		}
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
		var out gqlResponse
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("status %d, the answer is not JSON: %q", resp.StatusCode, raw)
		}
		if resp.StatusCode >= 400 && len(out.Errors) == 0 {
			t.Fatalf("status %d without errors: %s", resp.StatusCode, raw)
		}
		for _, e := range out.Errors {
			if !apiCodes[e.code()] {
				t.Fatalf("status %d, error %q has code %q: %s", resp.StatusCode, e.Message, e.code(), raw)
			}
		}
	})
}
