package lineage

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Cursor is a keyset position in a list ordered by (Time desc, UID desc).
type Cursor struct {
	Time time.Time
	UID  string
}

// Encode returns the opaque form handed to clients.
func (c Cursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.Time.UnixNano(), 10) + ":" + c.UID))
}

// DecodeCursor parses an opaque cursor; "" gives the zero Cursor.
func DecodeCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, Errorf(EINVALID, "malformed cursor")
	}
	ns, uid, ok := strings.Cut(string(b), ":")
	n, err := strconv.ParseInt(ns, 10, 64)
	if !ok || err != nil || uid == "" {
		return Cursor{}, Errorf(EINVALID, "malformed cursor")
	}
	return Cursor{Time: time.Unix(0, n).UTC(), UID: uid}, nil
}

// After reports whether an item at (t, uid) comes after c in the order
// (Time desc, UID desc). Every item comes after the zero Cursor.
func (c Cursor) After(t time.Time, uid string) bool {
	if c.UID == "" {
		return true
	}
	if !t.Equal(c.Time) {
		return t.Before(c.Time)
	}
	return uid < c.UID
}
