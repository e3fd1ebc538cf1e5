"""The Python example (examples/python/lineage_report.py) against a real server."""

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "examples" / "python"))

import lineage_report  # noqa: E402


def graphql(server, query, variables=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(server.url + "/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        out = json.load(r)
    assert not out.get("errors"), out
    return out["data"]


def seed(server):
    """raw → (clean run) → features → (train run) → model, in project fraud."""
    graphql(server, 'mutation { upsertProject(input: {name: "fraud"}) { name } }')
    log = """mutation($key: String!, $kind: ArtifactKind!, $run: String, $body: String!) {
      logArtifact(input: {project: "fraud", key: $key, kind: $kind, runUid: $run, body: $body}) { uri } }"""
    raw = graphql(server, log, {"key": "raw", "kind": "DATASET", "body": "a,b\n1,2\n"})["logArtifact"]["uri"]
    start = """mutation($name: String!, $inputs: [String!]) {
      startRun(input: {project: "fraud", name: $name, pipeline: "nightly", inputs: $inputs}) { uid } }"""
    clean = graphql(server, start, {"name": "clean", "inputs": [raw]})["startRun"]["uid"]
    features = graphql(server, log, {"key": "features", "kind": "DATASET", "run": clean, "body": "f\n"})["logArtifact"]["uri"]
    train = graphql(server, start, {"name": "train", "inputs": [features]})["startRun"]["uid"]
    graphql(server, log, {"key": "model", "kind": "MODEL", "run": train, "body": "weights"})
    return raw, features


def test_report_lists_lineage_and_impact(server):
    raw, features = seed(server)
    r = lineage_report.report(server.url, "fraud", features)
    assert sorted(a["key"] for a in r["artifacts"]) == ["features", "model", "raw"]
    assert all(a["uri"].startswith("store://") and "latest" in a["tags"] for a in r["artifacts"])
    up = r["upstream"]
    assert [(n["depth"], n["type"]) for n in up["nodes"]] == [(0, "artifact"), (1, "run"), (2, "artifact")]
    assert up["nodes"][1]["run"]["name"] == "clean" and up["nodes"][2]["artifact"]["key"] == "raw"
    assert {e["relation"] for e in up["edges"]} == {"CONSUMED", "PRODUCED"} and len(up["edges"]) == 2
    assert not up["truncated"] and up["hidden"] == 0
    imp = r["impact"]
    assert [a["key"] for a in imp["artifacts"]] == ["model"]
    assert [x["name"] for x in imp["runs"]] == ["train"]
    assert [p["id"] for p in imp["pipelines"]] == ["nightly"]
    assert not imp["truncated"] and imp["hidden"] == 0


def test_report_pages_through_every_version(server):
    seed(server)
    c = lineage_report.client(server.url)
    assert len(lineage_report.all_artifacts(c, "fraud", page_size=1)) == 3


def test_command_line(server):
    raw, _ = seed(server)
    out = subprocess.run([sys.executable, str(REPO / "examples/python/lineage_report.py"), "--server", server.url,
                          "--project", "fraud", "--uri", raw], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "3 artifact versions in fraud"
    assert '"artifacts": 2' in out and '"runs": 2' in out and '"pipelines": 1' in out
