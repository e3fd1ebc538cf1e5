package embedded

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/artigraph/artigraph/lineage"
)

// load reads the whole file into memory. Records are decoded in parallel, as
// decoding is most of the work; the indexes are then built in one pass.
func (s *Store) load() (err error) {
	defer recoverDamage(&err)
	return s.db.View(func(tx *bolt.Tx) error {
		// The raw records point into the file's memory map, valid until
		// the transaction ends.
		projects, runs, versions := rawValues(tx, bucketProjects), rawValues(tx, bucketRuns), rawValues(tx, bucketVersions)
		edges := rawKeys(tx, bucketEdges)
		tokens := rawValues(tx, bucketTokens)

		ps, err := decodeAll(projects, decode[lineage.Project])
		if err != nil {
			return fmt.Errorf("project: %w", err)
		}
		rs, err := decodeAll(runs, decode[lineage.Run])
		if err != nil {
			return fmt.Errorf("run: %w", err)
		}
		vs, err := decodeAll(versions, decode[lineage.Version])
		if err != nil {
			return fmt.Errorf("artifact version: %w", err)
		}
		es, err := decodeAll(edges, decodeEdgeKey)
		if err != nil {
			return fmt.Errorf("edge: %w", err)
		}
		ts, err := decodeAll(tokens, decode[lineage.Token])
		if err != nil {
			return fmt.Errorf("token: %w", err)
		}

		for _, p := range ps {
			s.applyProject(p)
		}
		s.runs = make(map[lineage.RunKey]*lineage.Run, len(rs))
		for _, r := range rs {
			s.applyRun(r)
		}
		// Oldest first, so that every insert into the ordered lists appends.
		byTime := make([]item[*lineage.Version], len(vs))
		for i, v := range vs {
			byTime[i] = item[*lineage.Version]{position: versionPosition(v), val: v}
		}
		slices.SortFunc(byTime, func(a, b item[*lineage.Version]) int {
			switch {
			case a.less(b.position):
				return -1
			case b.less(a.position):
				return 1
			}
			return 0
		})
		s.versions = make(map[string]*lineage.Version, len(vs))
		for _, it := range byTime {
			s.versions[it.val.UID] = it.val
			s.indexVersion(it.val)
		}
		s.graph.ids = make(map[lineage.NodeRef]int32, len(vs)+len(rs))
		for _, e := range es {
			s.graph.add(e)
		}
		for _, t := range ts {
			s.applyToken(t)
		}
		return nil
	})
}

func rawValues(tx *bolt.Tx, bucket []byte) [][]byte {
	var out [][]byte
	tx.Bucket(bucket).ForEach(func(_, v []byte) error {
		out = append(out, v)
		return nil
	})
	return out
}

func rawKeys(tx *bolt.Tx, bucket []byte) [][]byte {
	var out [][]byte
	tx.Bucket(bucket).ForEach(func(k, _ []byte) error {
		out = append(out, k)
		return nil
	})
	return out
}

// decodeAll decodes raws on every CPU, keeping their order.
func decodeAll[T any](raws [][]byte, decode func([]byte) (T, error)) ([]T, error) {
	out := make([]T, len(raws))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(raws)/1000))
	chunk := (len(raws) + workers - 1) / max(workers, 1)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					errs[w] = fmt.Errorf("damaged record: %v", r)
				}
			}()
			for i := w * chunk; i < min(len(raws), (w+1)*chunk); i++ {
				v, err := decode(raws[i])
				if err != nil {
					errs[w] = fmt.Errorf("%s: %w", raws[i][:min(len(raws[i]), 80)], err)
					return
				}
				out[i] = v
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func decode[T any](b []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("damaged record: %w", err)
	}
	return v, nil
}
