package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// transportErrors makes the GraphQL endpoint's own HTTP-level errors look
// like every other error: coded (extensions.code) and never echoing the
// request. gqlgen's POST transport puts the whole body in its "could not be
// decoded" message and its other transports answer uncoded errors, so JSON
// bodies are checked here first and every 4xx answer is given a code.
func transportErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodPost {
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			switch mt {
			case "application/json":
				body, ok := checkJSONRequest(w, r)
				if !ok {
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			case "multipart/form-data":
			default:
				refuse(w, http.StatusUnsupportedMediaType, "INVALID_ARGUMENT",
					"unsupported content type: send application/json, or multipart/form-data for uploads")
				return
			}
		}
		cw := &codingWriter{ResponseWriter: w, cap: capOf(r.Body)}
		next.ServeHTTP(cw, r)
		cw.finish()
	})
}

// jsonRequest is the shape of a GraphQL POST body.
type jsonRequest struct {
	Query         string     `json:"query"`
	OperationName string     `json:"operationName"`
	Variables     jsonObject `json:"variables"`
	Extensions    jsonObject `json:"extensions"`
}

// jsonObject checks that a field holds a JSON object (or null) without
// decoding it: gqlgen decodes the body again, and building the variables
// twice costs a large batch a tenth of its request.
type jsonObject struct{}

func (jsonObject) UnmarshalJSON(b []byte) error {
	if b[0] == '{' || string(b) == "null" {
		return nil
	}
	// The decoder adds the field's name.
	return &json.UnmarshalTypeError{Value: "non-object", Type: reflect.TypeFor[map[string]any]()}
}

// checkJSONRequest reads a JSON body (capped by the guard) and answers the
// error itself when it is not a GraphQL request.
func checkJSONRequest(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(r.Body)
	if c := capOf(r.Body); c != nil && c.exceeded {
		tooLarge(w, c.limit)
		return nil, false
	}
	if err != nil {
		refuse(w, http.StatusBadRequest, "INVALID_ARGUMENT", "could not read the request body")
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var req jsonRequest
	if err := dec.Decode(&req); err != nil {
		refuse(w, http.StatusBadRequest, "INVALID_ARGUMENT", describeJSONError(err))
		return nil, false
	}
	return body, true
}

// describeJSONError says what is wrong with a body without quoting it.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the request body is empty; send {\"query\": \"…\"}"
	case errors.As(err, &syntax):
		return fmt.Sprintf("the request body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("the request body's %q has the wrong type", typ.Field)
	}
	return "the request body is not a GraphQL request: send {\"query\": \"…\", \"variables\": {…}}"
}

// codingWriter passes successful answers straight through and holds back
// error answers (4xx and 5xx) to add codes and replace over-long messages.
type codingWriter struct {
	http.ResponseWriter
	cap    *limitedBody
	status int
	held   *bytes.Buffer
}

func (c *codingWriter) WriteHeader(status int) {
	if c.status != 0 {
		return
	}
	c.status = status
	if status >= 400 {
		c.held = &bytes.Buffer{}
		return
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *codingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	if c.held != nil {
		if c.held.Len() > 1<<20 {
			return len(b), nil // an error answer this long is not worth keeping
		}
		return c.held.Write(b)
	}
	return c.ResponseWriter.Write(b)
}

func (c *codingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func (c *codingWriter) Flush() {
	if c.held == nil {
		_ = http.NewResponseController(c.ResponseWriter).Flush()
	}
}

// finish writes a held error answer, coded.
func (c *codingWriter) finish() {
	if c.held == nil {
		return
	}
	if c.cap != nil && c.cap.exceeded {
		tooLarge(c.ResponseWriter, c.cap.limit)
		return
	}
	code := "INVALID_ARGUMENT"
	switch {
	case c.status == http.StatusRequestEntityTooLarge:
		code = "LIMIT_EXCEEDED"
	case c.status >= 500:
		code = "INTERNAL"
	}
	var resp struct {
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions,omitempty"`
		} `json:"errors"`
		Data json.RawMessage `json:"data,omitempty"`
	}
	if err := json.Unmarshal(c.held.Bytes(), &resp); err != nil || len(resp.Errors) == 0 {
		refuse(c.ResponseWriter, c.status, code, http.StatusText(c.status))
		return
	}
	for i := range resp.Errors {
		e := &resp.Errors[i]
		if e.Extensions == nil {
			e.Extensions = map[string]any{}
		}
		if _, ok := e.Extensions["code"].(string); !ok {
			e.Extensions["code"] = code
		}
		if len(e.Message) > 200 {
			e.Message = strings.ToValidUTF8(e.Message[:200], "") + "…"
		}
	}
	h := c.ResponseWriter.Header()
	h.Set("Content-Type", "application/json")
	h.Del("Content-Length")
	c.ResponseWriter.WriteHeader(c.status)
	json.NewEncoder(c.ResponseWriter).Encode(resp)
}

// multipartForm is gqlgen's multipart transport with a malformed `map`
// answered as the client's mistake: gqlgen places each file by type
// assertions along its path, which panic when the path runs through a
// number or past the end of a list.
type multipartForm struct{ transport.MultipartForm }

func (m multipartForm) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	defer func() {
		// Resolvers' panics are recovered inside exec; one reaching here
		// comes from reading the request.
		if v := recover(); v != nil {
			refuse(w, http.StatusBadRequest, "INVALID_ARGUMENT",
				"the multipart map names a path that does not lead to a variable of the operations")
		}
	}()
	m.MultipartForm.Do(w, r, exec)
}
