package lineage

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseLabelSelector checks the label filter of ArtifactFilter.labels
// ("k=v" or "k"): refusals are EINVALID and only for an empty key; a parsed
// selector formats back to itself; Matches, VersionFilter.Validate and
// VersionFilter.Match agree with it.
//
//	go test ./lineage -run '^$' -fuzz '^FuzzParseLabelSelector$' -fuzztime 10m -parallel 1
func FuzzParseLabelSelector(f *testing.F) {
	for _, s := range []string{"env=prod", "env", "env=", "=prod", "", " ", " env = prod ", "a=b=c", "k=\x00", "é=ü", "\t=x", "a,b=c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sel, err := ParseLabelSelector(s)
		key, value, hasValue := strings.Cut(s, "=")
		validateErr := VersionFilter{Labels: []string{s}}.Validate()
		if err != nil {
			if ErrorCode(err) != EINVALID {
				t.Fatalf("ParseLabelSelector(%q): %v, want EINVALID", s, err)
			}
			if strings.TrimSpace(key) != "" {
				t.Fatalf("ParseLabelSelector(%q) refused a non-empty key: %v", s, err)
			}
			if ErrorCode(validateErr) != EINVALID {
				t.Fatalf("Validate accepted the filter %q ParseLabelSelector refuses: %v", s, validateErr)
			}
			return
		}
		if validateErr != nil {
			t.Fatalf("Validate refused the filter %q: %v", s, validateErr)
		}
		want := LabelSelector{Key: strings.TrimSpace(key), Value: value, HasValue: hasValue}
		if sel != want {
			t.Fatalf("ParseLabelSelector(%q) = %+v, want %+v", s, sel, want)
		}
		if strings.Contains(sel.Key, "=") || sel.Key != strings.TrimSpace(sel.Key) {
			t.Fatalf("ParseLabelSelector(%q): key %q", s, sel.Key)
		}
		// Its canonical spelling parses to the same selector.
		canon := sel.Key
		if sel.HasValue {
			canon += "=" + sel.Value
		}
		if again, err := ParseLabelSelector(canon); err != nil || again != sel {
			t.Fatalf("ParseLabelSelector(%q) = %+v, %v; want %+v", canon, again, err, sel)
		}

		// Matches: the label with the selector's value matches; another value
		// or no value only matches a key-only selector; other keys never.
		other := sel.Value + "x"
		cases := []struct {
			labels []Label
			want   bool
		}{
			{nil, false},
			{[]Label{{Key: sel.Key, Value: &sel.Value}}, true},
			{[]Label{{Key: sel.Key, Value: &other}}, !sel.HasValue},
			{[]Label{{Key: sel.Key}}, !sel.HasValue},
			{[]Label{{Key: sel.Key + "x", Value: &sel.Value}}, false},
			{[]Label{{Key: "0" + sel.Key, Value: &sel.Value}, {Key: sel.Key, Value: &sel.Value}}, true},
		}
		for _, c := range cases {
			if got := sel.Matches(c.labels); got != c.want {
				t.Fatalf("%+v.Matches(%s) = %v, want %v", sel, labelsString(c.labels), got, c.want)
			}
			v := Version{Key: "k", Labels: c.labels}
			if got := (VersionFilter{Labels: []string{s}}).Match(v); got != c.want {
				t.Fatalf("filter %q on %s: Match = %v, want %v", s, labelsString(c.labels), got, c.want)
			}
		}
	})
}

func labelsString(ls []Label) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Key)
		if l.Value != nil {
			b.WriteString("=" + *l.Value)
		}
		b.WriteString(";")
	}
	return b.String()
}

// FuzzCursor checks the opaque page cursors: any string decodes to a cursor
// or to EINVALID; a decoded cursor encodes to a string that decodes to it
// again; and every (time, uid) position survives encode and decode, with the
// order After defines.
//
//	go test ./lineage -run '^$' -fuzz '^FuzzCursor$' -fuzztime 10m -parallel 1
func FuzzCursor(f *testing.F) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 123456789, time.UTC)
	for _, c := range []Cursor{{Time: now, UID: "3f9a1c"}, {Time: time.Unix(0, 0), UID: "u:with:colons"}, {Time: time.Unix(0, -1), UID: "ü"}} {
		f.Add(c.Encode(), c.Time.UnixNano(), c.UID)
	}
	for _, s := range []string{"", "!!", "MTox", "MTo", "eDp1", "LTk5OTk5OTk5OTk5OTk5OTk5OTk6dQ", "OTIyMzM3MjAzNjg1NDc3NTgwNzp1"} {
		f.Add(s, int64(0), "")
	}
	f.Fuzz(func(t *testing.T, s string, ns int64, uid string) {
		c, err := DecodeCursor(s)
		switch {
		case err != nil:
			if ErrorCode(err) != EINVALID || c != (Cursor{}) {
				t.Fatalf("DecodeCursor(%q) = %+v, %v; want the zero Cursor and EINVALID", s, c, err)
			}
		case s == "":
			if c != (Cursor{}) {
				t.Fatalf(`DecodeCursor("") = %+v`, c)
			}
		default:
			if c.UID == "" || c.Time.Location() != time.UTC {
				t.Fatalf("DecodeCursor(%q) = %+v", s, c)
			}
			checkCursorRoundTrip(t, c)
		}

		// A position handed out as a cursor comes back as the same position.
		at := Cursor{Time: time.Unix(0, ns).UTC(), UID: uid}
		if uid == "" {
			return // no item has an empty uid
		}
		checkCursorRoundTrip(t, at)
	})
}

func checkCursorRoundTrip(t *testing.T, c Cursor) {
	t.Helper()
	s := c.Encode()
	back, err := DecodeCursor(s)
	if err != nil {
		t.Fatalf("DecodeCursor(Encode(%+v)) = %v", c, err)
	}
	if !back.Time.Equal(c.Time) || back.UID != c.UID || back.Encode() != s {
		t.Fatalf("cursor %+v came back as %+v", c, back)
	}
	// The item at the cursor is not after it; an earlier time, or the same
	// time and a smaller uid, is; a later time is not.
	if back.After(c.Time, c.UID) {
		t.Fatalf("%+v is after itself", c)
	}
	if !back.After(c.Time.Add(-1), c.UID) {
		t.Fatalf("an item 1ns older than %+v is not after it", c)
	}
	if back.After(c.Time.Add(1), "") {
		t.Fatalf("an item 1ns newer than %+v is after it", c)
	}
	if !back.After(c.Time, "") {
		t.Fatalf("an item at the time of %+v with a smaller uid is not after it", c)
	}
}
