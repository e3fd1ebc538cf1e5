package embedded

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/artigraph/artigraph/lineage"
)

// change is everything one mutation writes: the new states of the records it
// touches. commit writes it in one bbolt transaction, then applies it to
// memory.
type change struct {
	projects []lineage.Project
	runs     []lineage.Run
	versions []lineage.Version // new versions and new states of existing ones
	deleted  []string          // uids of versions removed, with every edge touching them
	dropped  []lineage.Edge    // edges removed: those touching the deleted versions, and others
	edges    []lineage.Edge    // new edges, known to be absent
	tokens   []lineage.Token   // new tokens and new states of existing ones
	unTokens []string          // ids of tokens removed
}

// record is one encoded key and value of a bucket.
type record struct{ key, val []byte }

// commit makes ch durable, then visible. The caller holds wmu; when commit
// returns, ch is on disk and in memory, and memory holds nothing the disk
// lacks. With group commit, wmu is let go while the fsync runs, so that the
// mutations waiting behind this one join the next transaction.
func (s *Store) commit(ch *change) error { return s.commitThen(ch, nil) }

// commitThen is commit for a mutation that answers with the state it made:
// read runs under wmu right after ch is applied to memory, before any later
// change, and commitThen returns once ch is durable. It does not wait for the
// groups queued behind ch, so memory may hold their changes by then: the
// caller reads its answer in read, never after.
func (s *Store) commitThen(ch *change, read func()) error {
	if len(ch.projects)+len(ch.runs)+len(ch.versions)+len(ch.deleted)+len(ch.dropped)+len(ch.edges)+len(ch.tokens)+len(ch.unTokens) == 0 {
		// Nothing to write, but what read sees must be durable: wunlock
		// waits for it.
		if read != nil {
			read()
		}
		return nil
	}
	enc, err := encodeChange(ch)
	if err != nil {
		return err
	}
	if s.group.enabled {
		err := s.group.commit(enc, read)
		s.committed = err == nil
		return err
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return writeChange(tx, enc) }); err != nil {
		return fmt.Errorf("embedded: write: %w", err)
	}
	s.txs.Add(1)
	s.mu.Lock()
	s.apply(enc)
	s.mu.Unlock()
	if read != nil {
		read()
	}
	return nil
}

// encodedChange is a change with its records encoded.
type encodedChange struct {
	ch                                      *change
	projects, runs, versions, edges, tokens []record
}

// encodeChange encodes ch's records. A value that cannot be encoded is the
// caller's mistake, found before anything is written or grouped.
func encodeChange(ch *change) (*encodedChange, error) {
	enc := &encodedChange{ch: ch}
	for _, p := range ch.projects {
		val, err := json.Marshal(p)
		if err != nil {
			return nil, lineage.Errorf(lineage.EINVALID, "project %q cannot be stored: %v", p.Name, err)
		}
		enc.projects = append(enc.projects, record{[]byte(p.Name), val})
	}
	for _, r := range ch.runs {
		val, err := json.Marshal(r)
		if err != nil {
			return nil, lineage.Errorf(lineage.EINVALID, "run %q cannot be stored: %v", r.UID, err)
		}
		enc.runs = append(enc.runs, record{runKey(r.Key()), val})
	}
	for _, v := range ch.versions {
		val, err := json.Marshal(v)
		if err != nil {
			return nil, lineage.Errorf(lineage.EINVALID, "artifact version %q cannot be stored: %v", v.UID, err)
		}
		enc.versions = append(enc.versions, record{[]byte(v.UID), val})
	}
	for _, e := range ch.edges {
		enc.edges = append(enc.edges, record{key: edgeKey(e)})
	}
	for _, t := range ch.tokens {
		val, err := json.Marshal(t)
		if err != nil {
			return nil, lineage.Errorf(lineage.EINVALID, "token %q cannot be stored: %v", t.ID, err)
		}
		enc.tokens = append(enc.tokens, record{[]byte(t.ID), val})
	}
	return enc, nil
}

// writeChange writes one encoded change in tx.
func writeChange(tx *bolt.Tx, enc *encodedChange) error {
	if err := putAll(tx.Bucket(bucketProjects), enc.projects); err != nil {
		return err
	}
	if err := putAll(tx.Bucket(bucketRuns), enc.runs); err != nil {
		return err
	}
	vb := tx.Bucket(bucketVersions)
	for _, uid := range enc.ch.deleted {
		if err := vb.Delete([]byte(uid)); err != nil {
			return err
		}
	}
	if err := putAll(vb, enc.versions); err != nil {
		return err
	}
	eb := tx.Bucket(bucketEdges)
	for _, e := range enc.ch.dropped {
		if err := eb.Delete(edgeKey(e)); err != nil {
			return err
		}
	}
	if err := putAll(eb, enc.edges); err != nil {
		return err
	}
	tb := tx.Bucket(bucketTokens)
	for _, id := range enc.ch.unTokens {
		if err := tb.Delete([]byte(id)); err != nil {
			return err
		}
	}
	return putAll(tb, enc.tokens)
}

// apply puts an encoded change into memory, decoded back so that memory
// holds exactly what a restart would load. The caller holds mu for writing.
func (s *Store) apply(enc *encodedChange) {
	for _, r := range enc.projects {
		s.applyProject(mustDecode[lineage.Project](r.val))
	}
	for _, r := range enc.runs {
		s.applyRun(mustDecode[lineage.Run](r.val))
	}
	s.removeVersions(enc.ch.deleted)
	for _, e := range enc.ch.dropped {
		s.graph.remove(e) // those of the deleted versions are gone already
	}
	for _, r := range enc.versions {
		s.applyVersion(mustDecode[lineage.Version](r.val))
	}
	for _, e := range enc.ch.edges {
		s.graph.add(e)
	}
	for _, id := range enc.ch.unTokens {
		delete(s.tokens, id)
	}
	for _, r := range enc.tokens {
		s.applyToken(mustDecode[lineage.Token](r.val))
	}
}

func putAll(b *bolt.Bucket, rs []record) error {
	for _, r := range rs {
		val := r.val
		if val == nil {
			val = []byte{}
		}
		if err := b.Put(r.key, val); err != nil {
			return err
		}
	}
	return nil
}

// mustDecode decodes what json.Marshal just encoded, which cannot fail.
func mustDecode[T any](b []byte) *T {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		panic(fmt.Sprintf("embedded: decode what was encoded: %v", err))
	}
	return v
}

func (s *Store) applyProject(p *lineage.Project) {
	s.projects[p.Name] = p
}

func (s *Store) applyRun(r *lineage.Run) {
	if old, ok := s.runs[r.Key()]; ok {
		// Keep the pointer, which the run list holds; move it in the list
		// only when its StartedAt (its place) changed.
		if runPosition(old) != runPosition(r) {
			s.indexes[old.Project].runs.remove(runPosition(old))
			*old = *r
			s.indexes[old.Project].runs.insert(item[*lineage.Run]{position: runPosition(old), val: old})
			return
		}
		*old = *r
		return
	}
	s.runs[r.Key()] = r
	s.index(r.Project).runs.insert(item[*lineage.Run]{position: runPosition(r), val: r})
}

// applyVersion adds v or replaces the version with its uid, keeping the same
// pointer so that the lists holding it stay valid once it is re-indexed.
func (s *Store) applyVersion(v *lineage.Version) {
	if old, ok := s.versions[v.UID]; ok {
		s.unindexVersion(old)
		*old = *v
		v = old
	} else {
		s.versions[v.UID] = v
	}
	s.indexVersion(v)
}

func (s *Store) indexVersion(v *lineage.Version) {
	for _, t := range v.Tags {
		s.tags[tagKeyOf(v, t)] = v
	}
	s.index(v.Project).add(v)
}

func (s *Store) unindexVersion(v *lineage.Version) {
	for _, t := range v.Tags {
		// The tag may already name another version, applied first in the
		// same change.
		if k := tagKeyOf(v, t); s.tags[k] == v {
			delete(s.tags, k)
		}
	}
	x := s.indexes[v.Project]
	x.remove(v)
	if x.empty() {
		delete(s.indexes, v.Project)
	}
}

func (s *Store) removeVersions(uids []string) {
	var nodes []lineage.NodeRef
	for _, uid := range uids {
		v, ok := s.versions[uid]
		if !ok {
			continue
		}
		s.unindexVersion(v)
		delete(s.versions, uid)
		nodes = append(nodes, lineage.VersionNode(*v))
	}
	s.graph.removeNodes(nodes)
}

// runKey and edgeKey encode keys as JSON arrays: unambiguous whatever the
// names contain.
func runKey(k lineage.RunKey) []byte {
	b, _ := json.Marshal([2]string{k.Project, k.UID})
	return b
}

func edgeKey(e lineage.Edge) []byte {
	b, _ := json.Marshal([8]string{
		string(e.From.Type), e.From.Project, e.From.UID,
		string(e.To.Type), e.To.Project, e.To.UID,
		string(e.Relation), e.Name,
	})
	return b
}

func decodeEdgeKey(b []byte) (lineage.Edge, error) {
	var f [8]string
	if err := json.Unmarshal(b, &f); err != nil {
		return lineage.Edge{}, err
	}
	e := lineage.Edge{
		From:     lineage.NodeRef{Type: lineage.NodeType(f[0]), Project: f[1], UID: f[2]},
		To:       lineage.NodeRef{Type: lineage.NodeType(f[3]), Project: f[4], UID: f[5]},
		Relation: lineage.Relation(f[6]),
		Name:     f[7],
	}
	if _, ok := relCode(e.Relation); !ok {
		return lineage.Edge{}, fmt.Errorf("unknown relation %q", e.Relation)
	}
	return e, nil
}
