package lineage

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// Request size limits. Every write is bounded, so that one call (or the
// upload tickets that hold calls in memory) cannot take the server's memory.
const (
	MaxLabels         = 100
	MaxLabelKeyLen    = 253
	MaxLabelValueLen  = 1024
	MaxDescriptionLen = 64 << 10
	MaxExtraLen       = 1 << 20 // extra, and dataset and model metadata each
	MaxSources        = 1000    // sources of a log, inputs of a run
	MaxLinks          = 1000
	MaxPathLen        = 4096 // artifact and target paths
)

func validateLabels(ls []Label) error {
	if len(ls) > MaxLabels {
		return Errorf(ELIMIT, "at most %d labels may be given, not %d", MaxLabels, len(ls))
	}
	seen := make(map[string]bool, len(ls))
	for _, l := range ls {
		if l.Key == "" || len(l.Key) > MaxLabelKeyLen || !utf8.ValidString(l.Key) || hasControl(l.Key) ||
			strings.ContainsAny(l.Key, "=, ") {
			return Errorf(EINVALID, "invalid label key %.64q: 1 to %d bytes, no '=', ',', spaces or control characters", l.Key, MaxLabelKeyLen)
		}
		if l.Value != nil && len(*l.Value) > MaxLabelValueLen {
			return Errorf(ELIMIT, "the value of label %q is longer than %d bytes", l.Key, MaxLabelValueLen)
		}
		if seen[l.Key] {
			return Errorf(EINVALID, "label %q given twice", l.Key)
		}
		seen[l.Key] = true
	}
	return nil
}

func validateDescription(d string) error {
	if len(d) > MaxDescriptionLen {
		return Errorf(ELIMIT, "the description is longer than %d bytes", MaxDescriptionLen)
	}
	return nil
}

func validatePathLen(what, p string) error {
	if len(p) > MaxPathLen {
		return Errorf(ELIMIT, "%s is longer than %d bytes", what, MaxPathLen)
	}
	return nil
}

// validateLogSize bounds everything a log call carries besides its content.
func validateLogSize(req LogRequest) error {
	if err := validateDescription(req.Description); err != nil {
		return err
	}
	if len(req.Sources) > MaxSources {
		return Errorf(ELIMIT, "at most %d sources may be given, not %d", MaxSources, len(req.Sources))
	}
	for _, src := range req.Sources {
		if err := validatePathLen("a source", src); err != nil {
			return err
		}
	}
	if len(req.Links) > MaxLinks {
		return Errorf(ELIMIT, "at most %d links may be given, not %d", MaxLinks, len(req.Links))
	}
	if len(req.Extra) > MaxExtraLen {
		return Errorf(ELIMIT, "extra is larger than %d bytes", MaxExtraLen)
	}
	for what, v := range map[string]any{"dataset": req.Dataset, "model": req.Model} {
		if n := jsonSize(v); n > MaxExtraLen {
			return Errorf(ELIMIT, "the %s metadata is larger than %d bytes", what, MaxExtraLen)
		}
	}
	if pr := req.Producer; pr != nil {
		for _, f := range []string{pr.Kind, pr.Name, pr.URI, pr.Owner} {
			if len(f) > MaxLabelValueLen {
				return Errorf(ELIMIT, "the producer's fields may be at most %d bytes each", MaxLabelValueLen)
			}
		}
	}
	for what, p := range map[string]string{"artifactPath": req.ArtifactPath, "targetPath": req.TargetPath} {
		if err := validatePathLen(what, p); err != nil {
			return err
		}
	}
	return nil
}

// hasControl reports ASCII control characters (NUL, newlines, DEL, …).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	if string(b) == "null" {
		return 0
	}
	return len(b)
}
