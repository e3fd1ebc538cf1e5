"""Loads the scale benchmark's workload into Google ML Metadata (SQLite) and
times the benchmark's queries on it, in process.

    python mlmd_bench.py WORKLOAD.jsonl QUERIES.json DB_PATH ITERATIONS BUDGET_S

WORKLOAD.jsonl holds one unit a line, as bench/workload emits them (a run
with its inputs and outputs, or versions logged outside any run); units of a
wave depend only on earlier waves. QUERIES.json lists the queries
(bench/scale's Query) and the wave whose creation window the time-range
query asks for. Prints one JSON object: the ingest figures and, per query,
p50/p99 in milliseconds.

MLMD keeps lineage as events between executions and artifacts only: the
workload's DERIVED_FROM sources parallel the producing run's inputs, and
links (model to chart) have no MLMD edge, so they are kept as properties.
"""

import json
import os
import sys
import time

from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as pb

BATCH_UNITS = 500  # units per batch of puts
MS = 1000.0


def open_store(path):
    if os.path.exists(path):
        os.remove(path)
    cfg = pb.ConnectionConfig()
    cfg.sqlite.filename_uri = path
    cfg.sqlite.connection_mode = pb.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    return metadata_store.MetadataStore(cfg)


class Loader:
    """Puts units into MLMD in batches: artifacts, executions, events and
    project attributions, one call each per batch."""

    def __init__(self, store):
        self.store = store
        self.artifact_types, self.execution_types = {}, {}
        self.ids = {}  # (project, key) -> artifact id
        self.contexts = {}
        self.project_type = store.put_context_type(pb.ContextType(name="Project"))
        self.batch = []

    def type_id(self, kind):
        if kind not in self.artifact_types:
            t = pb.ArtifactType(name=kind)
            for p in ("team", "stage", "env"):
                t.properties[p] = pb.STRING
            self.artifact_types[kind] = self.store.put_artifact_type(t)
        return self.artifact_types[kind]

    def execution_type_id(self, name):
        if name not in self.execution_types:
            t = pb.ExecutionType(name=name)
            t.properties["pipeline"] = pb.STRING
            self.execution_types[name] = self.store.put_execution_type(t)
        return self.execution_types[name]

    def context_id(self, project):
        if project not in self.contexts:
            c = pb.Context(type_id=self.project_type, name=project)
            self.contexts[project] = self.store.put_contexts([c])[0]
        return self.contexts[project]

    def artifact(self, v):
        a = pb.Artifact(type_id=self.type_id(v["kind"]), name=v["project"] + "/" + v["key"], uri=v["targetPath"])
        a.state = pb.Artifact.LIVE
        for label in v["labels"]:
            a.properties[label["key"]].string_value = label["value"]
        for link in v.get("links") or []:
            a.custom_properties["link_" + link["relation"] + "_" + link["to"]["key"]].string_value = link["to"]["key"]
        return a

    def add(self, unit):
        self.batch.append(unit)
        if len(self.batch) >= BATCH_UNITS:
            self.flush()

    def flush(self):
        units, self.batch = self.batch, []
        if not units:
            return
        versions = [v for u in units for v in u["versions"]]
        ids = self.store.put_artifacts([self.artifact(v) for v in versions])
        for v, i in zip(versions, ids):
            self.ids[(v["project"], v["key"])] = i
        runs = [u for u in units if u.get("run")]
        execs = []
        for u in runs:
            r = u["run"]
            e = pb.Execution(type_id=self.execution_type_id(r["name"]), name=r["project"] + "/" + r["uid"])
            e.last_known_state = pb.Execution.COMPLETE
            e.properties["pipeline"].string_value = r["pipeline"]
            execs.append(e)
        exec_ids = self.store.put_executions(execs) if execs else []
        self.store.put_events(self.events(runs, exec_ids))
        attributions = [pb.Attribution(artifact_id=self.ids[(v["project"], v["key"])],
                                       context_id=self.context_id(v["project"])) for v in versions]
        self.store.put_attributions_and_associations(attributions, [])

    def events(self, runs, exec_ids):
        out = []
        for u, eid in zip(runs, exec_ids):
            for ref in u["run"]["inputs"]:
                out.append(pb.Event(artifact_id=self.ids[(ref["project"], ref["key"])], execution_id=eid,
                                    type=pb.Event.INPUT))
            for v in u["versions"]:
                out.append(pb.Event(artifact_id=self.ids[(v["project"], v["key"])], execution_id=eid,
                                    type=pb.Event.OUTPUT))
        return out


def load(store, path, window_wave):
    """Loads the workload; answers ingest figures and the creation window
    (ms since the epoch, as MLMD stamps) of window_wave."""
    loader = Loader(store)
    wave, versions, runs = None, 0, 0
    window, start = [0, 0], time.time()
    with open(path) as f:
        for line in f:
            u = json.loads(line)
            if u["wave"] != wave:
                loader.flush()  # a wave reads what earlier waves wrote
                if wave == window_wave:
                    window[1] = int(time.time() * MS)
                wave = u["wave"]
                if wave == window_wave:
                    window[0] = int(time.time() * MS)
            loader.add(u)
            versions += len(u["versions"])
            runs += 1 if u.get("run") else 0
    loader.flush()
    secs = time.time() - start
    return loader, {"versions": versions, "runs": runs, "seconds": secs, "versions_per_s": versions / secs}, window


def percentile(ds, p):
    s = sorted(ds)
    i = (len(s) * p + 99) // 100
    return s[max(0, min(len(s) - 1, i - 1))]


def time_query(n, budget, f):
    ds, items, start = [], 0, time.time()
    while len(ds) < n and (len(ds) < 3 or time.time() - start < budget):
        t = time.perf_counter()
        items = f()
        ds.append((time.perf_counter() - t) * MS)
    return {"p50_ms": percentile(ds, 50), "p99_ms": percentile(ds, 99), "n": len(ds), "items": items}


class Queries:
    """The benchmark's queries, as MLMD answers them."""

    def __init__(self, store, loader, window):
        self.store, self.loader, self.window = store, loader, window

    def artifact_id(self, ref):
        return self.loader.ids[(ref["project"], ref["key"])]

    def run(self, q):
        op = q["op"]
        if op == "artifact":
            kind, name = q["ref"]["kind"], q["ref"]["project"] + "/" + q["ref"]["key"]
            return lambda: int(self.store.get_artifact_by_type_and_name(kind, name) is not None)
        if op == "artifact_id":
            i = self.artifact_id(q["ref"])
            return lambda: len(self.store.get_artifacts_by_id([i]))
        if op == "artifacts":
            opts = metadata_store.ListOptions(limit=100, order_by=metadata_store.OrderByField.CREATE_TIME,
                                              is_asc=False, filter_query=self.filter(q))
            return lambda: len(self.store.get_artifacts(list_options=opts))
        direction = pb.LineageSubgraphQueryOptions.DOWNSTREAM
        if q.get("direction") == "UPSTREAM":
            direction = pb.LineageSubgraphQueryOptions.UPSTREAM
        opts = pb.LineageSubgraphQueryOptions(max_num_hops=q["depth"], direction=direction)
        opts.starting_artifacts.filter_query = "id = %d" % self.artifact_id(q["ref"])
        # impact lists (and counts) what is downstream, not the start
        start = 1 if op in ("impact", "impact-counts") else 0

        def lineage():
            g = self.store.get_lineage_subgraph(opts, ["artifacts", "executions", "events"])
            return len(g.artifacts) + len(g.executions) - start
        return lineage

    def filter(self, q):
        parts = ["contexts_p.name = '%s'" % q["project"]]
        for sel in q.get("labels") or []:
            k, v = sel.split("=", 1)
            parts.append("properties.%s.string_value = '%s'" % (k, v))
        if q.get("timeRange"):
            parts.append("create_time_since_epoch >= %d AND create_time_since_epoch <= %d" % tuple(self.window))
        return " AND ".join(parts)


def main():
    workload, queries_path, db, n, budget = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    with open(queries_path) as f:
        spec = json.load(f)
    store = open_store(db)
    loader, ingest, window = load(store, workload, spec["timeRangeWave"])
    ingest["file_bytes"] = os.path.getsize(db)
    qs = Queries(store, loader, window)
    timings = {}
    for q in spec["queries"] + [dict(spec["queries"][0], name="artifact(id)", op="artifact_id")]:
        timings[q["name"]] = time_query(n, budget, qs.run(q))
    json.dump({"ingest": ingest, "queries": timings}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
