package mlrunapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// MLRun's client sends its token (MLRUN_HTTPDB__TOKEN) as
// "Authorization: Bearer <token>", except when the token looks like an
// Iguazio session to it (longer than 20 characters, with a '-': many
// Artigraph tokens do, their secret being base64url): then it sends the
// cookie session=j:{"sid": "<token>"} instead. SessionAsBearer turns that
// cookie back into the bearer header, before the API's one authentication
// step reads it, so both spellings name the same caller.
func SessionAsBearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			if token := sessionToken(r.Header.Values("Cookie")); token != "" {
				r = r.Clone(r.Context())
				r.Header.Set("Authorization", "Bearer "+token)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// sessionToken reads the sid of a session=j:{"sid": …} cookie, written raw
// or URL-encoded. Go's cookie parser would drop such a value (it holds
// quotes and spaces), so the header is split by hand.
func sessionToken(headers []string) string {
	for _, h := range headers {
		for _, part := range strings.Split(h, ";") {
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || name != "session" {
				continue
			}
			if v, err := url.QueryUnescape(value); err == nil && !strings.HasPrefix(value, "j:{") {
				value = v
			}
			value = strings.Trim(value, `"`)
			value = strings.ReplaceAll(value, `\"`, `"`)
			rest, ok := strings.CutPrefix(value, "j:")
			if !ok {
				continue
			}
			var s struct {
				SID string `json:"sid"`
			}
			if json.Unmarshal([]byte(rest), &s) == nil && s.SID != "" {
				return s.SID
			}
		}
	}
	return ""
}
