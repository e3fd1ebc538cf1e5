"""MLRun artifact documents through Artigraph, both ways.

Artifacts are built with MLRun's own classes (a dataset from a DataFrame, a
plot, a plain artifact, a model with metrics, parameters and extra data),
written as MLRun writes them (to_yaml, to_dict as JSON), imported with
importArtifact and exported with the yaml field. MLRun's dict_to_artifact
must load the export with every field the original had, where it had it;
written back by MLRun and imported again, the document keeps its fields.
A model is a directory holding its model file, as MLRun logs it, and
downloadUrl serves that file.
"""

import datetime
import json
import os
import urllib.request

import pandas as pd
import pytest
import yaml
from mlrun.artifacts import Artifact, DatasetArtifact, ModelArtifact, PlotArtifact
from mlrun.artifacts.manager import dict_to_artifact
from mlrun.utils.helpers import calculate_local_file_hash

from test_uris import gql

VERSION = "uid key kind tags tree hash targetPath downloadUrl yaml extra"
TREE = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
UPDATED = datetime.datetime(2026, 12, 1, 6, 1, 22, 12485, tzinfo=datetime.timezone.utc)


def finish(a, project, tag, db_key=None):
    """The metadata a run's log_artifact gives an artifact."""
    a.metadata.project = project
    a.metadata.tree = TREE
    a.metadata.tag = tag
    a.metadata.iter = 0
    a.metadata.updated = UPDATED
    a.metadata.labels = {"team": "fraud", "mlrun/client_version": "1.12.1"}
    a.spec.db_key = db_key or a.metadata.key
    a.spec.producer = {"kind": "run", "name": "train", "uri": f"{project}/{TREE}", "owner": "ana", "workflow": "wf-7"}
    if not a.metadata.hash:
        a.metadata.hash = "3f786850e387550fdab836ed7e6dc881de23001b"
    return a


def artifacts(project, data_dir):
    df = pd.DataFrame({"id": [1, 2, 3], "amount": [9.5, 3.25, 1.0], "label": ["a", "b", "a"]})
    ds = DatasetArtifact(key="clean", df=df, format="parquet", target_path="/mlrun/data/clean.parquet", label_column="label")
    ds.spec.license = "MIT"
    ds.spec.size = 2048
    ds.spec.sources = [{"name": "raw", "path": "s3://bucket/raw.csv"}]
    ds.spec.extra_data = {"profile": "https://example.com/profile.html", "report": "/mlrun/data/report.html"}
    finish(ds, project, "v1")

    plot = PlotArtifact(key="roc", body="<html>roc</html>", target_path="/mlrun/data/roc.html")
    plot.spec.viewer = "web-app"
    plot.spec.extra_data = {"source": "roc.png"}  # a plain path, as MLRun logs a plot's extras
    finish(plot, project, "latest")

    art = Artifact(key="notes", body="hello", target_path="/mlrun/data/notes.txt", format="txt")
    finish(art, project, "latest")

    model_dir = os.path.join(data_dir, "artifacts", project, "clf") + "/"
    os.makedirs(model_dir, exist_ok=True)
    with open(model_dir + "model.pkl", "wb") as f:
        f.write(b"a pickled model for " + project.encode())
    model = ModelArtifact(
        key="clf", model_file="model.pkl", target_path=model_dir,
        metrics={"auc": 0.91, "accuracy": 0.87}, parameters={"n_estimators": 100, "max_depth": 5},
        framework="sklearn", algorithm="RandomForestClassifier",
        extra_data={"importance": model_dir + "importance.html", "confusion": "confusion.csv"},
        feature_vector="store://feature-vectors/fraud/features",
    )
    model.spec.inputs = [{"name": "amount", "value_type": "float"}]
    model.spec.outputs = [{"name": "label", "value_type": "str"}]
    model.spec.feature_weights = [0.7, 0.3]
    model.metadata.hash = calculate_local_file_hash(model_dir + "model.pkl")
    finish(model, project, "v1", db_key="train_clf")
    return [ds, plot, art, model]


def text_of(a, form):
    if form == "yaml":
        return a.to_yaml()
    return json.dumps(a.to_dict(), default=str)


def import_doc(server, text, project=None):
    q = "mutation($y: String!, $p: String) { importArtifact(yaml: $y, project: $p) { %s } }" % VERSION
    return gql(server, q, y=text, p=project)["importArtifact"]


def missing(want, got, at=""):
    """Paths of want's leaves that got lacks or holds another value at."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return [f"{at} (not a mapping: {got!r})"]
        out = []
        for k, v in want.items():
            if k not in got:
                out.append(f"{at}.{k}")
            else:
                out += missing(v, got[k], f"{at}.{k}")
        return out
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return [f"{at} (want {want!r}, got {got!r})"]
        return [p for i, (w, g) in enumerate(zip(want, got)) for p in missing(w, g, f"{at}[{i}]")]
    if want != got and not (isinstance(want, float) and isinstance(got, (int, float)) and float(got) == want):
        return [f"{at} (want {want!r}, got {got!r})"]
    return []


def plain(x):
    """x without MLRun's object wrappers (ObjectList of features)."""
    if hasattr(x, "to_dict"):
        x = x.to_dict()
    return json.loads(json.dumps(x, default=str))


def comparable(a):
    """a's dict as MLRun writes it, without what the store assigns."""
    d = json.loads(json.dumps(a.to_dict(), default=str))
    d["metadata"].pop("updated", None)
    d["metadata"].pop("uid", None)
    return d


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_mlrun_documents_round_trip(server, form):
    project = f"docs-{form}"
    gql(server, 'mutation($p: String!) { upsertProject(input: {name: $p}) { name } }', p=project)
    for orig in artifacts(project, str(server.data_dir)):
        want = comparable(orig)
        v = import_doc(server, text_of(orig, form))
        assert v["tree"] == TREE, v
        assert orig.metadata.tag in v["tags"], v
        # MLRun's hash is its sha1: kept as MLRun's, never taken for the sha256.
        assert v["hash"] is None, v

        loaded = dict_to_artifact(yaml.safe_load(v["yaml"]))
        assert type(loaded) is type(orig)
        got = comparable(loaded)
        assert missing(want, got) == [], (orig.kind, v["yaml"])
        assert loaded.metadata.hash == orig.metadata.hash
        assert loaded.metadata.tag == orig.metadata.tag
        assert loaded.metadata.tree == TREE
        assert loaded.spec.db_key == orig.spec.db_key
        assert loaded.spec.extra_data == orig.spec.extra_data
        assert loaded.spec.producer == orig.spec.producer
        if orig.kind == "dataset":
            assert loaded.status.preview == orig.status.preview and loaded.status.preview
            assert loaded.status.stats == orig.status.stats and loaded.status.stats
            assert loaded.status.header_original_length == orig.status.header_original_length
            assert loaded.spec.label_column == "label" and loaded.spec.license == "MIT"
        if orig.kind == "model":
            for f in ["model_file", "metrics", "parameters", "inputs", "outputs", "framework", "algorithm",
                      "feature_vector", "feature_weights"]:
                assert plain(getattr(loaded.spec, f)) == plain(getattr(orig.spec, f)), f
            # The model is its directory; downloadUrl serves the model file in it.
            assert v["targetPath"] == orig.spec.target_path and v["downloadUrl"], v
            url = v["downloadUrl"] if "://" in v["downloadUrl"] else server.url + v["downloadUrl"]
            with urllib.request.urlopen(url, timeout=30) as r:
                assert r.read() == b"a pickled model for " + project.encode()

        # Written back by MLRun and imported again (elsewhere), nothing is lost.
        back = loaded.to_yaml() if form == "yaml" else json.dumps(loaded.to_dict(), default=str)
        gql(server, 'mutation($p: String!) { upsertProject(input: {name: $p}) { name } }', p=project + "-back")
        again = import_doc(server, back, project=project + "-back")
        reloaded = dict_to_artifact(yaml.safe_load(again["yaml"]))
        want["metadata"]["project"] = project + "-back"
        assert missing(want, comparable(reloaded)) == [], (orig.kind, again["yaml"])
        # And into the same project it is the version already there.
        assert import_doc(server, back)["uid"] == v["uid"], (orig.kind, back)


def test_artigraph_model_exports_for_get_model(server):
    """A model Artigraph stored as one file: MLRun finds the file."""
    gql(server, 'mutation { upsertProject(input: {name: "m"}) { name } }')
    q = ('mutation { logArtifact(input: {project: "m", key: "clf", kind: MODEL, body: "weights", '
         'model: {modelFile: "model.pkl", framework: "sklearn"}}) { %s } }' % VERSION)
    v = gql(server, q)["logArtifact"]
    a = dict_to_artifact(yaml.safe_load(v["yaml"]))
    assert a.kind == "model" and a.metadata.tag == "latest"
    assert a.metadata.hash == v["hash"]  # Artigraph's sha256, where MLRun reads a hash
    target = os.path.join(os.path.dirname(a.spec.target_path), a.spec.model_target_file or a.spec.model_file)
    with open(target, "rb") as f:  # MLRun's get_model() path rule
        assert f.read() == b"weights"
